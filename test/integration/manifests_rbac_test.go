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
	"fmt"
	"slices"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	resolverapp "github.com/natsauth/nats-auth-operator/cmd/resolver/app"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	natsclientset "github.com/natsauth/nats-auth-operator/generated/clientset/versioned"
	"github.com/natsauth/nats-auth-operator/test/manifests"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// rbacKinds are the objects of manifests/controller and manifests/resolver that grant access.
var rbacKinds = []string{"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"}

// installControllerRBAC applies the ServiceAccount and RBAC of manifests/controller for real,
// moved into ns by a temporary overlay (which also points the bindings' subjects at ns) and with
// the suffix -<ns> on every name, so that the cluster-wide objects of different tests never
// collide. edit, when set, changes the ClusterRole first. It returns the ServiceAccount's name.
// The cluster-scoped objects are deleted when the test ends.
func installControllerRBAC(t *testing.T, ns string, edit func(*rbacv1.ClusterRole)) string {
	t.Helper()
	objs := manifests.OfKind(manifests.KustomizeOverlay(t, fmt.Sprintf("namespace: %s\nnameSuffix: -%s\n", ns, ns),
		manifests.Dir(t, "controller")), rbacKinds...)
	if edit != nil {
		for i, o := range objs {
			if o.GetKind() == "ClusterRole" {
				var role rbacv1.ClusterRole
				manifests.Convert(t, o, &role)
				edit(&role)
				objs[i] = manifests.ToUnstructured(t, &role)
				objs[i].SetAPIVersion(rbacv1.SchemeGroupVersion.String())
				objs[i].SetKind("ClusterRole")
			}
		}
	}
	applyRBAC(t, objs)
	return "nats-auth-controller-" + ns
}

// applyRBAC applies objs with kubectl and deletes their cluster-scoped ones at cleanup.
func applyRBAC(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	suite.Kubectl(t, manifests.ToYAML(t, objs), "apply", "-f", "-")
	rbac := controlPlane.KubeClient().RbacV1()
	for _, o := range objs {
		name := o.GetName()
		switch o.GetKind() {
		case "ClusterRole":
			t.Cleanup(func() { _ = rbac.ClusterRoles().Delete(context.Background(), name, metav1.DeleteOptions{}) })
		case "ClusterRoleBinding":
			t.Cleanup(func() { _ = rbac.ClusterRoleBindings().Delete(context.Background(), name, metav1.DeleteOptions{}) })
		}
	}
}

// TestManifestControllerLeastPrivilege proves that the controller's manifests grant enough: the
// controller, running as its ServiceAccount with only those rules and with leader election in its
// namespace, issues an operator, an account and a user, re-issues an edited user (Secret update),
// and deletes a user (finalizer patch, Secret delete), and its events are recorded.
func TestManifestControllerLeastPrivilege(t *testing.T) {
	ns := controlPlane.NewNamespace(t)
	sa := installControllerRBAC(t, ns, nil)
	startControllersAs(t, ns, sa)
	ctx := suite.Context(t)

	suite.CreateOperator(t, ns, "rbac", nil)
	suite.WaitUserReady(t, ns, naming.ResolverUser("rbac"))
	readyAccount(t, ns, "app", "rbac")
	users := suite.NatsClient(t).NatsauthV1alpha1().NatsUsers(ns)
	u := &natsv1alpha1.NatsUser{ObjectMeta: metav1.ObjectMeta{Name: "svc", Namespace: ns},
		Spec: natsv1alpha1.NatsUserSpec{AccountRef: natsv1alpha1.NatsAccountReference{Name: "app"}}}
	if _, err := users.Create(ctx, u, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	first := suite.WaitUserReady(t, ns, "svc")
	before := suite.GetSecret(t, ns, "svc").ResourceVersion

	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := users.Get(ctx, "svc", metav1.GetOptions{})
		if err != nil {
			return err
		}
		cur.Spec.Permissions = &natsv1alpha1.Permissions{Pub: &natsv1alpha1.PublishPermission{Allow: []natsv1alpha1.Subject{"app.>"}}}
		_, err = users.Update(ctx, cur, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	edited := suite.WaitUserReady(t, ns, "svc")
	if edited.Generation == first.Generation || suite.GetSecret(t, ns, "svc").ResourceVersion == before {
		t.Errorf("the edited user was not re-issued into its Secret (generation %d -> %d)", first.Generation, edited.Generation)
	}

	if err := users.Delete(ctx, "svc", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	suite.WaitFor(t, ctx, "the deleted user's finalizer is removed and its Secret deleted", func() bool {
		_, errUser := users.Get(ctx, "svc", metav1.GetOptions{})
		_, errSecret := controlPlane.KubeClient().CoreV1().Secrets(ns).Get(ctx, "svc", metav1.GetOptions{})
		return apierrors.IsNotFound(errUser) && apierrors.IsNotFound(errSecret)
	})

	waitForEvent(t, ns, "rbac", "Issued")
	lease, err := controlPlane.KubeClient().CoordinationV1().Leases(ns).Get(ctx, "nats-auth-controller", metav1.GetOptions{})
	if err != nil || lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity == "" {
		t.Errorf("the controller holds no Lease nats-auth-controller in %s: %+v, %v", ns, lease, err)
	}
}

// TestManifestControllerMissingPermission proves that the controller really runs with the
// manifests' rules and that a missing rule is visible: without `create` on Secrets the operator
// gets no keys, is not Ready, and the controller logs the Forbidden error of the Secret create.
// Restoring the rule lets the same operator become Ready.
func TestManifestControllerMissingPermission(t *testing.T) {
	ns := controlPlane.NewNamespace(t)
	sa := installControllerRBAC(t, ns, func(role *rbacv1.ClusterRole) {
		removed := false
		for i, r := range role.Rules {
			if slices.Contains(r.Resources, "secrets") && slices.Contains(r.Verbs, "create") {
				role.Rules[i].Verbs = slices.DeleteFunc(slices.Clone(r.Verbs), func(v string) bool { return v == "create" })
				removed = true
			}
		}
		if !removed {
			t.Fatal("the controller ClusterRole grants no create on secrets to remove")
		}
	})
	run := startControllersAs(t, ns, sa)
	ctx := suite.Context(t)
	op := &natsv1alpha1.NatsOperator{ObjectMeta: metav1.ObjectMeta{Name: "denied", Namespace: ns}}
	if _, err := suite.NatsClient(t).NatsauthV1alpha1().NatsOperators(ns).Create(ctx, op, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var forbidden []error
	suite.WaitFor(t, ctx, "the controller logs a Forbidden create of a Secret", func() bool {
		forbidden = run.forbiddenErrors("secrets")
		return len(forbidden) > 0
	})
	t.Logf("logged: %v", forbidden[0])
	got, err := suite.NatsClient(t).NatsauthV1alpha1().NatsOperators(ns).Get(ctx, "denied", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c := meta.FindStatusCondition(got.Status.Conditions, natsv1alpha1.ConditionReady); (c != nil && c.Status == metav1.ConditionTrue) || got.Status.PublicKey != "" {
		t.Errorf("operator without its key Secret: Ready %+v, publicKey %q", c, got.Status.PublicKey)
	}
	if _, err := controlPlane.KubeClient().CoreV1().Secrets(ns).Get(ctx, naming.OperatorKeysSecret("denied"), metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the key Secret exists although the controller may not create Secrets: %v", err)
	}

	installControllerRBAC(t, ns, nil)
	suite.WaitOperatorReady(t, ns, "denied")
}

// TestManifestResolverRBAC proves the resolver's manifests: its ServiceAccount may read the
// NatsOperators and NatsAccounts of its namespace and server-side apply their status, and may not
// read Secrets, change an account's spec, update the status wholesale or read other namespaces.
// Then the resolver binary, running with only these rules, pushes an account to a nats-server
// and records the Pushed condition.
func TestManifestResolverRBAC(t *testing.T) {
	e := newResolverEnv(t, 1, nil)
	objs := manifests.OfKind(manifests.KustomizeOverlay(t, "namespace: "+e.ns+"\n", manifests.Dir(t, "resolver")), rbacKinds...)
	if crs := manifests.OfKind(objs, "ClusterRole", "ClusterRoleBinding"); len(crs) != 0 {
		t.Errorf("the resolver has cluster-wide RBAC: %d objects", len(crs))
	}
	applyRBAC(t, objs)
	cfg := controlPlane.ServiceAccountConfig(e.ns, "nats-auth-resolver")
	client := natsclientset.NewForConfigOrDie(cfg).NatsauthV1alpha1()
	kube := kubernetes.NewForConfigOrDie(cfg)
	ctx := e.ctx

	allowed := map[string]error{}
	_, allowed["list natsoperators"] = client.NatsOperators(e.ns).List(ctx, metav1.ListOptions{})
	_, allowed["list natsaccounts"] = client.NatsAccounts(e.ns).List(ctx, metav1.ListOptions{})
	_, allowed["get natsaccount"] = client.NatsAccounts(e.ns).Get(ctx, naming.SystemAccount("main"), metav1.GetOptions{})
	for name, watch := range map[string]func() error{
		"watch natsoperators": func() error {
			w, err := client.NatsOperators(e.ns).Watch(ctx, metav1.ListOptions{})
			if err == nil {
				w.Stop()
			}
			return err
		},
		"watch natsaccounts": func() error {
			w, err := client.NatsAccounts(e.ns).Watch(ctx, metav1.ListOptions{})
			if err == nil {
				w.Stop()
			}
			return err
		},
	} {
		allowed[name] = watch()
	}
	apply := fmt.Sprintf(`{"apiVersion":"natsauth.io/v1alpha1","kind":"NatsAccount","metadata":{"name":"main-system","namespace":%q},
"status":{"conditions":[{"type":"Pushed","status":"False","reason":"RBACProbe","message":"probe","lastTransitionTime":%q}]}}`,
		e.ns, time.Now().UTC().Format(time.RFC3339))
	force := true
	_, allowed["server-side apply natsaccounts/status"] = client.NatsAccounts(e.ns).Patch(ctx, naming.SystemAccount("main"), types.ApplyPatchType,
		[]byte(apply), metav1.PatchOptions{FieldManager: "nats-auth-resolver", Force: &force}, "status")
	opApply := fmt.Sprintf(`{"apiVersion":"natsauth.io/v1alpha1","kind":"NatsOperator","metadata":{"name":"main","namespace":%q},
"status":{"conditions":[{"type":"ServersRolled","status":"False","reason":"RBACProbe","message":"probe","lastTransitionTime":%q}]}}`,
		e.ns, time.Now().UTC().Format(time.RFC3339))
	_, allowed["server-side apply natsoperators/status"] = client.NatsOperators(e.ns).Patch(ctx, "main", types.ApplyPatchType,
		[]byte(opApply), metav1.PatchOptions{FieldManager: "nats-auth-resolver-rolled", Force: &force}, "status")
	for what, err := range allowed {
		if err != nil {
			t.Errorf("%s: %v", what, err)
		}
	}

	sys, err := suite.NatsClient(t).NatsauthV1alpha1().NatsAccounts(e.ns).Get(ctx, naming.SystemAccount("main"), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	forbidden := map[string]error{}
	_, forbidden["get the resolver's own creds Secret"] = kube.CoreV1().Secrets(e.ns).Get(ctx, naming.ResolverCredsSecret("main"), metav1.GetOptions{})
	_, forbidden["list secrets"] = kube.CoreV1().Secrets(e.ns).List(ctx, metav1.ListOptions{})
	changed := sys.DeepCopy()
	changed.Spec.Description = "changed by the resolver"
	_, forbidden["update a natsaccount's spec"] = client.NatsAccounts(e.ns).Update(ctx, changed, metav1.UpdateOptions{})
	_, forbidden["merge-patch a natsaccount"] = client.NatsAccounts(e.ns).Patch(ctx, naming.SystemAccount("main"), types.MergePatchType,
		[]byte(`{"spec":{"description":"x"}}`), metav1.PatchOptions{})
	_, forbidden["update natsaccounts/status"] = client.NatsAccounts(e.ns).UpdateStatus(ctx, sys, metav1.UpdateOptions{})
	_, forbidden["create a natsaccount"] = client.NatsAccounts(e.ns).Create(ctx, newAccount(e.ns, "intruder", "main"), metav1.CreateOptions{})
	_, forbidden["list natsaccounts of all namespaces"] = client.NatsAccounts("").List(ctx, metav1.ListOptions{})
	_, forbidden["list natsaccounts of another namespace"] = client.NatsAccounts("default").List(ctx, metav1.ListOptions{})
	_, forbidden["update natsoperators/status"] = client.NatsOperators(e.ns).UpdateStatus(ctx, e.op, metav1.UpdateOptions{})
	for what, err := range forbidden {
		if !apierrors.IsForbidden(err) {
			t.Errorf("%s: got %v, want Forbidden", what, err)
		}
	}

	// The binary itself, with only these rules and leader election as deployed.
	suite.StartResolver(t, e.ns, "main", e.servers[0].ClientURL(), e.credsFile, func(o *resolverapp.Options) {
		o.RestConfig = cfg
		o.LeaderElect = true
		o.LeaderElectionNamespace = e.ns
	})
	e.createAccount("app")
	e.waitFullyPushed("app")
	lease, err := controlPlane.KubeClient().CoordinationV1().Leases(e.ns).Get(ctx, "nats-auth-resolver", metav1.GetOptions{})
	if err != nil || lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity == "" {
		t.Errorf("the resolver holds no Lease nats-auth-resolver: %+v, %v", lease, err)
	}
}
