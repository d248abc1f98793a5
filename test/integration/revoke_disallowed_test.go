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
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/test/testbed"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestDisallowedNamespaceUserIsRevoked: when an admin removes a namespace from an account's
// allowedUserNamespaces, the users there go NamespaceNotAllowed and their keys are revoked in
// the account JWT, so a live connection is closed and the creds file is refused. The key itself
// is kept: allowed again, the user gets a new JWT for the same key, and it connects.
func TestDisallowedNamespaceUserIsRevoked(t *testing.T) {
	e := newResolverEnv(t, 1, nil)
	e.startResolver()
	tenant := controlPlane.NewNamespace(t)
	acc := newAccount(e.ns, "orders", "main")
	acc.Spec.AllowedUserNamespaces = []string{tenant}
	createAccount(t, e.ctx, acc)
	e.waitFullyPushed("orders")
	ref := natsv1alpha1.NatsAccountReference{Namespace: e.ns, Name: "orders"}
	if _, err := suite.NatsClient(t).NatsauthV1alpha1().NatsUsers(tenant).Create(e.ctx, newUser(tenant, "api", ref), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	before := suite.WaitUserReady(t, tenant, "api")
	creds := suite.GetSecret(t, tenant, "api").Data["user.creds"]
	_, closed := resolverConnectUser(t, e.servers[0], creds)

	setAllowed := func(namespaces string) {
		t.Helper()
		patch := fmt.Sprintf(`{"spec":{"allowedUserNamespaces":%s}}`, namespaces)
		if _, err := suite.NatsClient(t).NatsauthV1alpha1().NatsAccounts(e.ns).Patch(e.ctx, "orders", types.MergePatchType,
			[]byte(patch), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	setAllowed(`null`)
	suite.WaitFor(t, e.ctx, "the user is NamespaceNotAllowed", func() bool {
		u, err := suite.NatsClient(t).NatsauthV1alpha1().NatsUsers(tenant).Get(e.ctx, "api", metav1.GetOptions{})
		c := meta.FindStatusCondition(u.Status.Conditions, natsv1alpha1.ConditionReady)
		return err == nil && c != nil && c.Reason == "NamespaceNotAllowed"
	})
	select {
	case <-closed:
	case <-time.After(15 * time.Second):
		t.Fatal("the client of the disallowed namespace is still connected 15s after the account stopped allowing it")
	}
	if nc, err := testbed.ConnectCreds(e.servers[0].ClientURL(), creds); err == nil {
		nc.Close()
		t.Fatal("the creds of a user in a disallowed namespace still connect")
	}

	setAllowed(fmt.Sprintf("[%q]", tenant))
	var after *natsv1alpha1.NatsUser
	suite.WaitFor(t, e.ctx, "the user is Ready with a new JWT", func() bool {
		u, err := suite.NatsClient(t).NatsauthV1alpha1().NatsUsers(tenant).Get(e.ctx, "api", metav1.GetOptions{})
		after = u
		return err == nil && suite.IsReady(u.Status.Conditions, u.Generation) && u.Status.IssuedAt != nil &&
			u.Status.IssuedAt.After(before.Status.IssuedAt.Time)
	})
	if after.Status.PublicKey != before.Status.PublicKey {
		t.Errorf("the key changed from %s to %s; re-allowing must keep it", before.Status.PublicKey, after.Status.PublicKey)
	}
	fresh := suite.GetSecret(t, tenant, "api").Data["user.creds"]
	suite.WaitFor(t, e.ctx, "the re-issued creds connect", func() bool {
		nc, err := testbed.ConnectCreds(e.servers[0].ClientURL(), fresh)
		if err == nil {
			nc.Close()
		}
		return err == nil
	})
}

// TestDeletedWhileAccountKeysMissingIsRevokedLater: a NatsUser deleted while its account's key
// Secret is missing cannot be revoked (nothing can sign the account JWT), so the deletion records
// the key on the account, with a Warning event, and releases the NatsUser. Once the key Secret is
// restored the account revokes the key: the live connection closes, the creds are refused, and
// the record is cleared.
func TestDeletedWhileAccountKeysMissingIsRevokedLater(t *testing.T) {
	e := newResolverEnv(t, 1, nil)
	e.startResolver()
	e.createAccount("orders")
	e.waitFullyPushed("orders")
	creds := e.createUser("api", "orders")
	pub := suite.WaitUserReady(t, e.ns, "api").Status.PublicKey
	_, closed := resolverConnectUser(t, e.servers[0], creds)

	secrets := controlPlane.KubeClient().CoreV1().Secrets(e.ns)
	keys := suite.GetSecret(t, e.ns, "orders-account-keys")
	if err := secrets.Delete(e.ctx, keys.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitAccountCondition(t, e.ctx, e.ns, "orders", metav1.ConditionFalse, "KeysMissing")
	if err := suite.NatsClient(t).NatsauthV1alpha1().NatsUsers(e.ns).Delete(e.ctx, "api", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	pendingKey := "pending-revocation.natsauth.io/" + pub
	suite.WaitFor(t, e.ctx, "the NatsUser is gone and the account records the revocation", func() bool {
		_, err := suite.NatsClient(t).NatsauthV1alpha1().NatsUsers(e.ns).Get(e.ctx, "api", metav1.GetOptions{})
		return apierrors.IsNotFound(err) && e.account("orders").Annotations[pendingKey] != ""
	})
	// Events are sent asynchronously: wait for the warning, then check it was not repeated.
	suite.WaitFor(t, e.ctx, "a RevocationPending warning on the account", func() bool {
		return warningEvents(t, e.ctx, e.ns, "orders", "RevocationPending") > 0
	})
	if n := warningEvents(t, e.ctx, e.ns, "orders", "RevocationPending"); n != 1 {
		t.Errorf("%d RevocationPending warnings on the account, want 1", n)
	}

	restored := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: keys.Name, Namespace: e.ns, Labels: keys.Labels},
		Type: keys.Type, Data: keys.Data}
	if _, err := secrets.Create(e.ctx, restored, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-closed:
	case <-time.After(20 * time.Second):
		t.Fatal("the deleted user's client is still connected 20s after the account keys were restored")
	}
	if nc, err := testbed.ConnectCreds(e.servers[0].ClientURL(), creds); err == nil {
		nc.Close()
		t.Fatal("the deleted user's creds connect after the keys were restored")
	}
	suite.WaitFor(t, e.ctx, "the pending revocation is cleared", func() bool {
		_, pending := e.account("orders").Annotations[pendingKey]
		return !pending
	})
}
