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

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/natsjwt"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestAccountRevocations proves the revocation contract with the user controller: when an edit
// re-issues a user's credentials (status.revokedBefore), the account JWT revokes the key up to
// revokedBefore-1s, which covers the old JWT and spares the new one; when the user is deleted,
// the account revokes the key up to its last issue, and then releases its creds Secret.
func TestAccountRevocations(t *testing.T) {
	ctx := suite.Context(t)
	ns := controlPlane.NewNamespace(t)
	suite.StartControllers(t)
	op := setupOperator(t, ctx, ns, "main")
	createAccount(t, ctx, newAccount(ns, "app", op.Name))
	waitAccountReady(t, ctx, ns, "app")
	users := suite.NatsClient(t).NatsauthV1alpha1().NatsUsers(ns)
	first := createReadyUser(t, ctx, ns, "svc", "app")
	pub := first.Status.PublicKey

	edited := first.DeepCopy()
	edited.Spec.Permissions = &natsv1alpha1.Permissions{Pub: &natsv1alpha1.PublishPermission{Allow: []natsv1alpha1.Subject{"app.>"}}}
	if _, err := users.Update(ctx, edited, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	second := suite.WaitUserReady(t, ns, "svc")
	if second.Status.RevokedBefore == nil || second.Status.PublicKey != pub {
		t.Fatalf("the user controller did not re-issue with revokedBefore: %+v", second.Status)
	}
	want := second.Status.RevokedBefore.Unix() - 1
	var acc *natsv1alpha1.NatsAccount
	suite.WaitFor(t, ctx, "the account revokes the re-issued user's old JWTs", func() bool {
		acc = getAccount(t, ctx, ns, "app")
		return acc.Status.JWT != "" && decodeAccount(t, acc).Revocations[pub] == want
	})
	revs := decodeAccount(t, acc).Revocations
	if !natsjwt.IsRevoked(revs, pub, first.Status.IssuedAt.Unix()) || natsjwt.IsRevoked(revs, pub, second.Status.IssuedAt.Unix()) {
		t.Errorf("revocation at %d must cover the old JWT (iat %d) and spare the new one (iat %d)", want,
			first.Status.IssuedAt.Unix(), second.Status.IssuedAt.Unix())
	}
	if acc.Status.Revocations != 1 {
		t.Errorf("status.revocations = %d, want 1", acc.Status.Revocations)
	}

	if err := users.Delete(ctx, "svc", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// The user goes at once; its creds Secret is released once the account JWT revokes its key.
	suite.WaitFor(t, ctx, "the deleted user and its creds Secret are gone", func() bool {
		_, err := users.Get(ctx, "svc", metav1.GetOptions{})
		_, serr := controlPlane.KubeClient().CoreV1().Secrets(ns).Get(ctx, "svc", metav1.GetOptions{})
		return apierrors.IsNotFound(err) && apierrors.IsNotFound(serr)
	})
	acc = getAccount(t, ctx, ns, "app")
	if revs := decodeAccount(t, acc).Revocations; !natsjwt.IsRevoked(revs, pub, second.Status.IssuedAt.Unix()) || revs[pub] <= want {
		t.Errorf("deletion must revoke the current JWT (iat %d): revoked up to %d", second.Status.IssuedAt.Unix(), revs[pub])
	}
	if acc.Status.Revocations != 1 {
		t.Errorf("status.revocations = %d, want 1 (one key)", acc.Status.Revocations)
	}

	// The JWT is the durable store: with the user gone, re-syncs keep the entry.
	settle(t, ctx, ns, op.Name)
	if got := getAccount(t, ctx, ns, "app"); got.Status.JWT != acc.Status.JWT {
		t.Error("a re-sync after the user is gone changed the account JWT")
	}
}
