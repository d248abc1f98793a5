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
	"fmt"
	"slices"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/test/testbed"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// connectedUser is a Ready user's creds and the channel closed when its live client is closed.
type connectedUser struct {
	name   string
	creds  []byte
	closed <-chan struct{}
}

// connectUsers creates Ready users of account in ns and connects a client of each.
func (e *resolverEnv) connectUsers(ns, account string, names ...string) []connectedUser {
	e.t.Helper()
	ref := natsv1alpha1.NatsAccountReference{Namespace: e.ns, Name: account}
	var out []connectedUser
	for _, name := range names {
		if _, err := suite.NatsClient(e.t).NatsauthV1alpha1().NatsUsers(ns).Create(e.ctx, newUser(ns, name, ref), metav1.CreateOptions{}); err != nil {
			e.t.Fatal(err)
		}
	}
	for _, name := range names {
		suite.WaitUserReady(e.t, ns, name)
		creds := suite.GetSecret(e.t, ns, name).Data[naming.UserCreds]
		_, closed := resolverConnectUser(e.t, e.servers[0], creds)
		out = append(out, connectedUser{name: name, creds: creds, closed: closed})
	}
	return out
}

// expectRevoked waits until each user's client is closed and checks that its creds are refused.
func (e *resolverEnv) expectRevoked(users []connectedUser) {
	e.t.Helper()
	for _, u := range users {
		select {
		case <-u.closed:
		case <-time.After(30 * time.Second):
			e.t.Fatalf("the client of %s is still connected 30s on", u.name)
		}
		if nc, err := testbed.ConnectCreds(e.servers[0].ClientURL(), u.creds); err == nil {
			nc.Close()
			e.t.Fatalf("the creds of %s still connect", u.name)
		}
	}
}

// expectNoRecords waits until no Secret in ns carries the revoke-key finalizer.
func (e *resolverEnv) expectNoRecords(ns string) {
	e.t.Helper()
	e.waitFor("no Secret in "+ns+" keeps the revoke-key finalizer", func() bool {
		list, err := controlPlane.KubeClient().CoreV1().Secrets(ns).List(e.ctx, metav1.ListOptions{})
		if err != nil {
			return false
		}
		for _, s := range list.Items {
			if slices.Contains(s.Finalizers, naming.SecretFinalizer) {
				return false
			}
		}
		return true
	})
}

// patchMeta merge-patches the metadata of a NatsUser ("natsusers") or Secret ("secrets").
func (e *resolverEnv) patchMeta(resource, ns, name, metadata string) {
	e.t.Helper()
	patch := []byte(fmt.Sprintf(`{"metadata":%s}`, metadata))
	var err error
	if resource == "secrets" {
		_, err = controlPlane.KubeClient().CoreV1().Secrets(ns).Patch(e.ctx, name, types.MergePatchType, patch, metav1.PatchOptions{})
	} else {
		_, err = suite.NatsClient(e.t).NatsauthV1alpha1().NatsUsers(ns).Patch(e.ctx, name, types.MergePatchType, patch, metav1.PatchOptions{})
	}
	if err != nil {
		e.t.Fatalf("patch %s %s/%s: %v", resource, ns, name, err)
	}
}

// deleteUser deletes a NatsUser; the error is fatal except NotFound.
func (e *resolverEnv) deleteUser(ns, name string) {
	e.t.Helper()
	err := suite.NatsClient(e.t).NatsauthV1alpha1().NatsUsers(ns).Delete(e.ctx, name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		e.t.Fatal(err)
	}
}

// deleteNamespaceContents does what the namespace controller, which this apiserver lacks, does
// when a namespace is deleted: it deletes every NatsUser and every Secret in it.
func (e *resolverEnv) deleteNamespaceContents(ns string) {
	e.t.Helper()
	all := metav1.ListOptions{}
	if err := suite.NatsClient(e.t).NatsauthV1alpha1().NatsUsers(ns).DeleteCollection(e.ctx, metav1.DeleteOptions{}, all); err != nil {
		e.t.Fatal(err)
	}
	if err := controlPlane.KubeClient().CoreV1().Secrets(ns).DeleteCollection(e.ctx, metav1.DeleteOptions{}, all); err != nil {
		e.t.Fatal(err)
	}
}

// tenantAccount creates account "orders" that allows the returned namespaces, n of them.
func (e *resolverEnv) tenantAccount(n int) []string {
	e.t.Helper()
	var tenants []string
	for range n {
		tenants = append(tenants, controlPlane.NewNamespace(e.t))
	}
	acc := newAccount(e.ns, "orders", "main")
	acc.Spec.AllowedUserNamespaces = tenants
	createAccount(e.t, e.ctx, acc)
	e.waitFullyPushed("orders")
	return tenants
}

// TestUserDeletedWhileControllerDownIsRevoked: the creds Secret is the record of an issued key,
// so NatsUsers deleted while the controllers are stopped are revoked once they are back: one
// that never had a finalizer, one whose legacy finalizer was stripped by hand, and a legacy one
// whose Secret an earlier version wrote without the revoke-key finalizer (its NatsUser
// finalizer is released once the Secret records the key). The clients are disconnected, the
// creds refused and the Secrets released.
func TestUserDeletedWhileControllerDownIsRevoked(t *testing.T) {
	e := newResolverEnv(t, 1, nil)
	e.startResolver()
	tenant := e.tenantAccount(1)[0]
	users := e.connectUsers(tenant, "orders", "api", "stripped", "legacy")
	for _, u := range users {
		if f := suite.WaitUserReady(t, tenant, u.name).Finalizers; len(f) != 0 {
			t.Errorf("NatsUser %s has finalizers %v, want none", u.name, f)
		}
	}
	legacyFinalizer := fmt.Sprintf(`{"finalizers":[%q]}`, naming.UserFinalizer)
	e.patchMeta("natsusers", tenant, "stripped", legacyFinalizer)
	e.patchMeta("natsusers", tenant, "legacy", legacyFinalizer)

	e.stopControllers()
	e.patchMeta("natsusers", tenant, "stripped", `{"finalizers":null}`)
	e.patchMeta("secrets", tenant, "legacy", fmt.Sprintf(`{"finalizers":null,"labels":{%q:null}}`, naming.LabelAccountKey))
	for _, u := range users {
		e.deleteUser(tenant, u.name)
	}
	suite.WaitFor(t, e.ctx, "the users without a finalizer are gone", func() bool {
		_, err1 := suite.NatsClient(t).NatsauthV1alpha1().NatsUsers(tenant).Get(e.ctx, "api", metav1.GetOptions{})
		_, err2 := suite.NatsClient(t).NatsauthV1alpha1().NatsUsers(tenant).Get(e.ctx, "stripped", metav1.GetOptions{})
		return apierrors.IsNotFound(err1) && apierrors.IsNotFound(err2)
	})
	for _, u := range users {
		select {
		case <-u.closed:
			t.Fatalf("the client of %s was closed while the controllers were stopped", u.name)
		default:
		}
	}

	suite.StartControllers(t)
	e.expectRevoked(users)
	e.expectNoRecords(tenant)
	suite.WaitFor(t, e.ctx, "the legacy user is released", func() bool {
		_, err := suite.NatsClient(t).NatsauthV1alpha1().NatsUsers(tenant).Get(e.ctx, "legacy", metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	})
}

// TestNamespaceDeletedWithUsersIsRevoked: a namespace deleted with users in it, while the
// controllers run and while they are stopped: its NatsUsers and Secrets are deleted (as the
// namespace controller does), the kept creds Secrets make the account revoke their keys, the
// clients are disconnected, the creds refused, and no Secret keeps the finalizer afterwards.
func TestNamespaceDeletedWithUsersIsRevoked(t *testing.T) {
	e := newResolverEnv(t, 1, nil)
	e.startResolver()
	tenants := e.tenantAccount(2)
	running := e.connectUsers(tenants[0], "orders", "a", "b")
	down := e.connectUsers(tenants[1], "orders", "c", "d")

	e.deleteNamespaceContents(tenants[0])
	e.expectRevoked(running)
	e.expectNoRecords(tenants[0])

	e.stopControllers()
	e.deleteNamespaceContents(tenants[1])
	suite.StartControllers(t)
	e.expectRevoked(down)
	e.expectNoRecords(tenants[1])
}
