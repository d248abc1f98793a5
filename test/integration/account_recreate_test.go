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
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/natsauth/nats-auth-operator/natsjwt"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestAccountRecreatedKeepsRevocations is the regression test for what the chaos soak found: an
// account deleted and re-created adopts its retained keys, but its JWT, the record of its
// revocations, went with the old object, so the creds of a user deleted earlier connected
// again. The re-created account revokes every user JWT issued before it existed ("*"), and a
// user that still exists is re-issued after it.
func TestAccountRecreatedKeepsRevocations(t *testing.T) {
	ctx := suite.Context(t)
	ns := controlPlane.NewNamespace(t)
	suite.StartControllers(t)
	op := setupOperator(t, ctx, ns, "main")
	accounts := suite.NatsClient(t).NatsauthV1alpha1().NatsAccounts(ns)
	users := suite.NatsClient(t).NatsauthV1alpha1().NatsUsers(ns)
	createAccount(t, ctx, newAccount(ns, "app", op.Name))
	first := waitAccountReady(t, ctx, ns, "app")
	gone, kept := createReadyUser(t, ctx, ns, "gone", "app"), createReadyUser(t, ctx, ns, "kept", "app")
	if err := users.Delete(ctx, "gone", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// Its creds Secret is released once the account JWT revokes its key.
	suite.WaitFor(t, ctx, "the deleted user and its creds Secret are gone", func() bool {
		_, err := users.Get(ctx, "gone", metav1.GetOptions{})
		_, serr := controlPlane.KubeClient().CoreV1().Secrets(ns).Get(ctx, "gone", metav1.GetOptions{})
		return apierrors.IsNotFound(err) && apierrors.IsNotFound(serr)
	})

	if err := accounts.Delete(ctx, "app", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	suite.WaitFor(t, ctx, "the account is gone", func() bool {
		_, err := accounts.Get(ctx, "app", metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	})
	createAccount(t, ctx, newAccount(ns, "app", op.Name))
	again := waitAccountReady(t, ctx, ns, "app")
	if again.Status.PublicKey != first.Status.PublicKey {
		t.Fatalf("the re-created account did not adopt its retained keys")
	}
	revs := decodeAccount(t, again).Revocations
	if !natsjwt.IsRevoked(revs, gone.Status.PublicKey, gone.Status.IssuedAt.Unix()) {
		t.Errorf("the re-created account does not revoke the JWT of the user deleted before: %v", revs)
	}
	suite.WaitFor(t, ctx, "the surviving user is re-issued after the account's revocation", func() bool {
		u, err := users.Get(ctx, "kept", metav1.GetOptions{})
		if err != nil || u.Status.IssuedAt == nil || u.Status.IssuedAt.Unix() <= kept.Status.IssuedAt.Unix() {
			return false
		}
		acc := getAccount(t, ctx, ns, "app")
		return !natsjwt.IsRevoked(decodeAccount(t, acc).Revocations, u.Status.PublicKey, u.Status.IssuedAt.Unix())
	})
}
