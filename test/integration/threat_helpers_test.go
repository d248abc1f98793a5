/*
Copyright 2026 The nats-auth-operator Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package integration

import (
	"context"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	natsclientset "github.com/natsauth/nats-auth-operator/generated/clientset/versioned"
	"github.com/natsauth/nats-auth-operator/test/manifests"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// threatEnv is the layout SECURITY.md describes: a platform namespace with NatsOperator "main"
// and its accounts, where the account admin "bob" holds manifests/rbac's nats-auth-account-admin,
// and a tenant namespace where "alice" holds nats-auth-tenant. The controllers run as admin;
// alice and bob are impersonated, so RBAC decides each of their requests.
type threatEnv struct {
	t                     *testing.T
	ctx                   context.Context
	platform, tenant      string
	op                    *natsv1alpha1.NatsOperator
	alice, bob            identity
	tenantRole, adminRole string
}

// identity is one impersonated person's clients.
type identity struct {
	name string
	nats natsclientset.Interface
	kube kubernetes.Interface
}

func newThreatEnv(t *testing.T) *threatEnv {
	t.Helper()
	suite.StartControllers(t)
	e := &threatEnv{t: t, ctx: suite.Context(t), platform: controlPlane.NewNamespace(t), tenant: controlPlane.NewNamespace(t)}
	// The ClusterRoles get the platform namespace as suffix so parallel tests never share them.
	applyRBAC(t, manifests.KustomizeOverlay(t, "nameSuffix: -"+e.platform+"\n", manifests.Dir(t, "rbac")))
	e.tenantRole, e.adminRole = "nats-auth-tenant-"+e.platform, "nats-auth-account-admin-"+e.platform
	e.alice = e.person("alice-" + e.tenant)
	e.bob = e.person("bob-" + e.platform)
	e.bind(e.tenant, e.tenantRole, e.alice.name)
	e.bind(e.platform, e.adminRole, e.bob.name)
	e.op = suite.CreateOperator(t, e.platform, "main", nil)
	return e
}

// person returns the clients of an impersonated user.
func (e *threatEnv) person(name string) identity {
	cfg := controlPlane.ImpersonatedConfig(name)
	return identity{name: name, nats: natsclientset.NewForConfigOrDie(cfg), kube: kubernetes.NewForConfigOrDie(cfg)}
}

// bind grants the ClusterRole role to user in ns with a RoleBinding.
func (e *threatEnv) bind(ns, role, user string) {
	e.t.Helper()
	rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{GenerateName: role + "-", Namespace: ns},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
		Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}}}
	if _, err := controlPlane.KubeClient().RbacV1().RoleBindings(ns).Create(e.ctx, rb, metav1.CreateOptions{}); err != nil {
		e.t.Fatalf("bind %s to %s in %s: %v", role, user, ns, err)
	}
}

// grantSecretRead gives user get/list on Secrets in ns, as a namespace's built-in edit or admin
// role would.
func (e *threatEnv) grantSecretRead(ns, user string) {
	e.t.Helper()
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "secret-reader", Namespace: ns},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list"}}}}
	if _, err := controlPlane.KubeClient().RbacV1().Roles(ns).Create(e.ctx, role, metav1.CreateOptions{}); err != nil {
		e.t.Fatal(err)
	}
	rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "secret-reader-" + user, Namespace: ns},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "secret-reader"},
		Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}}}
	if _, err := controlPlane.KubeClient().RbacV1().RoleBindings(ns).Create(e.ctx, rb, metav1.CreateOptions{}); err != nil {
		e.t.Fatal(err)
	}
}

// account creates a NatsAccount of "main" in the platform namespace as bob and waits until it
// is Ready.
func (e *threatEnv) account(name string, allowed ...string) *natsv1alpha1.NatsAccount {
	e.t.Helper()
	acc := newAccount(e.platform, name, "main")
	acc.Spec.AllowedUserNamespaces = allowed
	if _, err := e.bob.nats.NatsauthV1alpha1().NatsAccounts(e.platform).Create(e.ctx, acc, metav1.CreateOptions{}); err != nil {
		e.t.Fatalf("bob creates account %s: %v", name, err)
	}
	return suite.WaitAccountReady(e.t, e.platform, name)
}

// createUser creates a NatsUser as who.
func (e *threatEnv) createUser(who identity, ns, name string, acc natsv1alpha1.NatsAccountReference, secretName string) {
	e.t.Helper()
	u := newUser(ns, name, acc, func(u *natsv1alpha1.NatsUser) { u.Spec.SecretName = secretName })
	if _, err := who.nats.NatsauthV1alpha1().NatsUsers(ns).Create(e.ctx, u, metav1.CreateOptions{}); err != nil {
		e.t.Fatalf("%s creates NatsUser %s/%s: %v", who.name, ns, name, err)
	}
}

// waitUserReason waits until the NatsUser's Ready condition is False with reason and returns it.
func (e *threatEnv) waitUserReason(ns, name, reason string) *natsv1alpha1.NatsUser {
	e.t.Helper()
	var got *natsv1alpha1.NatsUser
	suite.WaitFor(e.t, e.ctx, "NatsUser "+ns+"/"+name+" is refused with "+reason, func() bool {
		u, err := suite.NatsClient(e.t).NatsauthV1alpha1().NatsUsers(ns).Get(e.ctx, name, metav1.GetOptions{})
		if err != nil {
			return false
		}
		got = u
		c := meta.FindStatusCondition(u.Status.Conditions, natsv1alpha1.ConditionReady)
		return c != nil && c.Status == metav1.ConditionFalse && c.Reason == reason && c.ObservedGeneration == u.Generation
	})
	return got
}

// expectNoSecret fails when a Secret ns/name exists.
func (e *threatEnv) expectNoSecret(ns, name string) {
	e.t.Helper()
	if _, err := controlPlane.KubeClient().CoreV1().Secrets(ns).Get(e.ctx, name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		e.t.Errorf("Secret %s/%s: %v, want NotFound", ns, name, err)
	}
}

// expectForbidden fails for every entry that is not a Forbidden error.
func expectForbidden(t *testing.T, who string, results map[string]error) {
	t.Helper()
	for what, err := range results {
		if !apierrors.IsForbidden(err) {
			t.Errorf("%s may %s: got %v, want Forbidden", who, what, err)
		}
	}
}

// expectAllowed fails for every entry with an error.
func expectAllowed(t *testing.T, who string, results map[string]error) {
	t.Helper()
	for what, err := range results {
		if err != nil {
			t.Errorf("%s may not %s: %v", who, what, err)
		}
	}
}
