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
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/controllers/user"
	"github.com/natsauth/nats-auth-operator/natsjwt"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// testUserValidForRenewal: validFor credentials carry an expiry, and at two thirds of their life
// the Secret is updated in place with a JWT for the same key, without a revocation or a
// Warning, and with one Normal Renewed event.
func testUserValidForRenewal(t *testing.T) {
	e := newUserEnv(t)
	// Renewal comes 40s after issue; allow for that on top of the usual deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	e.ctx = ctx
	ns := controlPlane.NewNamespace(t)
	acc := e.prepareAccount(ns, "orders", natsv1alpha1.NatsAccountSpec{}, accountSetup{})
	e.createUser(newUser(ns, "short", acc.ref(), func(u *natsv1alpha1.NatsUser) {
		u.Spec.ValidFor = &metav1.Duration{Duration: time.Minute}
	}))
	first := e.waitReady(ns, "short")
	st := first.Status
	if st.ExpiresAt == nil || st.ExpiresAt.Sub(st.IssuedAt.Time) != time.Minute {
		t.Fatalf("expiresAt %v, issuedAt %v: want one minute apart", st.ExpiresAt, st.IssuedAt)
	}
	secret := e.mustSecret(ns, "short")
	claims, _ := credsOf(t, secret)
	if claims.Expires != st.ExpiresAt.Unix() {
		t.Errorf("JWT exp %d, status expiresAt %s", claims.Expires, st.ExpiresAt)
	}

	var renewed *natsv1alpha1.NatsUser
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, 55*time.Second, false, func(context.Context) (bool, error) {
		u, err := e.getUser(ns, "short")
		if err != nil || u.Status.IssuedAt == nil || u.Status.IssuedAt.Equal(st.IssuedAt) {
			return false, nil
		}
		renewed = u
		return true, nil
	})
	if err != nil {
		t.Fatalf("credentials were not renewed within 55s: %v", err)
	}
	rst := renewed.Status
	if rst.PublicKey != st.PublicKey || rst.RevokedBefore != nil {
		t.Errorf("renewal changed the key (%s -> %s) or revoked (%v)", st.PublicKey, rst.PublicKey, rst.RevokedBefore)
	}
	if got := rst.IssuedAt.Sub(st.IssuedAt.Time); got < 39*time.Second {
		t.Errorf("renewed %s after issue, want two thirds of a minute", got)
	}
	if rst.ExpiresAt.Sub(rst.IssuedAt.Time) != time.Minute {
		t.Errorf("renewed expiresAt %s, issuedAt %s", rst.ExpiresAt, rst.IssuedAt)
	}
	after := e.mustSecret(ns, "short")
	newClaims, _ := credsOf(t, after)
	if after.UID != secret.UID || newClaims.IssuedAt != rst.IssuedAt.Unix() {
		t.Errorf("Secret not updated in place: UID %s -> %s, iat %d", secret.UID, after.UID, newClaims.IssuedAt)
	}
	if w := e.warnings(ns, "short"); len(w) != 0 {
		t.Errorf("renewal emitted warnings: %v", w)
	}
	suite.WaitFor(t, ctx, "one Renewed event", func() bool {
		return countEvents(t, ctx, ns, "NatsUser", "short", corev1.EventTypeNormal, user.EventRenewed) == 1
	})
}

// testUserDeletionWaitsForRevocation: a deleted user is gone at once (it has no finalizer), and
// its creds Secret, the record of its key, is kept by its finalizer until the account's JWT
// revokes the key; then the account controller releases and deletes it (this apiserver has no
// garbage collector).
func testUserDeletionWaitsForRevocation(t *testing.T) {
	e := newUserEnv(t)
	ns := controlPlane.NewNamespace(t)
	acc := e.prepareAccount(ns, "orders", natsv1alpha1.NatsAccountSpec{}, accountSetup{parkedOperator: true})
	e.createUser(newUser(ns, "leaving", acc.ref()))
	ready := e.waitReady(ns, "leaving")
	if err := e.nats.NatsauthV1alpha1().NatsUsers(ns).Delete(e.ctx, "leaving", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete user: %v", err)
	}
	suite.WaitFor(t, e.ctx, "the NatsUser is gone", func() bool {
		_, err := e.getUser(ns, "leaving")
		return apierrors.IsNotFound(err)
	})
	e.consistently(2*time.Second, "the creds Secret waits for the revocation", func() bool {
		s, err := e.secret(ns, "leaving")
		return err == nil && slices.Contains(s.Finalizers, naming.SecretFinalizer)
	})
	// What the account controller does: revoke the Secret's key up to its JWT's iat.
	acc.revoke(e, ready.Status.PublicKey, ready.Status.IssuedAt.Unix())
	suite.WaitFor(t, e.ctx, "the creds Secret is released after the revocation", func() bool {
		_, err := e.secret(ns, "leaving")
		return apierrors.IsNotFound(err)
	})
}

// testUserDeletionRevokedByAccount: with the real account controller, deleting a user revokes
// its key in the account JWT, and then the user is gone.
func testUserDeletionRevokedByAccount(t *testing.T) {
	e := newUserEnv(t)
	ns := controlPlane.NewNamespace(t)
	acc := e.realAccount(ns, "orders", natsv1alpha1.NatsAccountSpec{})
	e.createUser(newUser(ns, "leaving", acc.ref()))
	ready := e.waitReady(ns, "leaving")
	if err := e.nats.NatsauthV1alpha1().NatsUsers(ns).Delete(e.ctx, "leaving", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete user: %v", err)
	}
	suite.WaitFor(t, e.ctx, "the user and its Secret are gone", func() bool {
		_, uerr := e.getUser(ns, "leaving")
		_, serr := e.secret(ns, "leaving")
		return apierrors.IsNotFound(uerr) && apierrors.IsNotFound(serr)
	})
	if revs := e.accountJWT(ns, "orders").Revocations; !natsjwt.IsRevoked(revs, ready.Status.PublicKey, ready.Status.IssuedAt.Unix()) {
		t.Errorf("the user was released before its key was revoked: %v", revs)
	}
}

// testUserDeletionAccountGone: without an account nobody can revoke, so the finalizer does not
// wait.
func testUserDeletionAccountGone(t *testing.T) {
	e := newUserEnv(t)
	ns := controlPlane.NewNamespace(t)
	acc := e.prepareAccount(ns, "orders", natsv1alpha1.NatsAccountSpec{}, accountSetup{parkedOperator: true})
	e.createUser(newUser(ns, "orphan", acc.ref()))
	e.waitReady(ns, "orphan")
	if err := e.nats.NatsauthV1alpha1().NatsAccounts(ns).Delete(e.ctx, "orders", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete account: %v", err)
	}
	suite.WaitFor(t, e.ctx, "the account is gone", func() bool {
		_, err := e.nats.NatsauthV1alpha1().NatsAccounts(ns).Get(e.ctx, "orders", metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	})
	if err := e.nats.NatsauthV1alpha1().NatsUsers(ns).Delete(e.ctx, "orphan", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete user: %v", err)
	}
	suite.WaitFor(t, e.ctx, "the user and its Secret are gone", func() bool {
		_, uerr := e.getUser(ns, "orphan")
		_, serr := e.secret(ns, "orphan")
		return apierrors.IsNotFound(uerr) && apierrors.IsNotFound(serr)
	})
}

// testUserSecretOfAnotherUser: a NatsUser never takes over another NatsUser's Secret; when that
// Secret goes away, the waiting user is re-queued (usersByCredsSecret) and takes the name.
func testUserSecretOfAnotherUser(t *testing.T) {
	e := newUserEnv(t)
	ns := controlPlane.NewNamespace(t)
	acc := e.prepareAccount(ns, "orders", natsv1alpha1.NatsAccountSpec{}, accountSetup{})
	shared := func(u *natsv1alpha1.NatsUser) { u.Spec.SecretName = "shared" }
	e.createUser(newUser(ns, "first", acc.ref(), shared))
	first := e.waitReady(ns, "first")
	before := e.mustSecret(ns, "shared")

	e.createUser(newUser(ns, "second", acc.ref(), shared))
	second := e.waitReason(ns, "second", user.ReasonSecretConflict)
	expectOneWarning(e, ns, "second", user.ReasonSecretConflict)
	if second.Status.PublicKey != "" {
		t.Errorf("a refused user got a key: %s", second.Status.PublicKey)
	}
	if s := e.mustSecret(ns, "shared"); s.ResourceVersion != before.ResourceVersion || !metav1.IsControlledBy(s, first) {
		t.Errorf("the other user's Secret was touched")
	}

	if err := e.nats.NatsauthV1alpha1().NatsUsers(ns).Delete(e.ctx, "first", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete first user: %v", err)
	}
	second = e.waitReady(ns, "second")
	s := e.mustSecret(ns, "shared")
	checkCredsSecret(t, s, second)
	if claims, _ := credsOf(t, s); claims.Subject != second.Status.PublicKey || claims.Subject == first.Status.PublicKey {
		t.Errorf("Secret holds %s; first %s, second %s", claims.Subject, first.Status.PublicKey, second.Status.PublicKey)
	}
}

// testUserOwnNameTakenByAnotherUser: a NatsUser whose Secret has its own name, while another
// NatsUser's spec.secretName holds that name, waits with SecretConflict and is re-queued by name
// when the other user goes away (such users are not in usersByCredsSecret).
func testUserOwnNameTakenByAnotherUser(t *testing.T) {
	e := newUserEnv(t)
	ns := controlPlane.NewNamespace(t)
	acc := e.prepareAccount(ns, "orders", natsv1alpha1.NatsAccountSpec{}, accountSetup{})
	e.createUser(newUser(ns, "first", acc.ref(), func(u *natsv1alpha1.NatsUser) { u.Spec.SecretName = "later" }))
	e.waitReady(ns, "first")

	e.createUser(newUser(ns, "later", acc.ref()))
	e.waitReason(ns, "later", user.ReasonSecretConflict)
	if err := e.nats.NatsauthV1alpha1().NatsUsers(ns).Delete(e.ctx, "first", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete first user: %v", err)
	}
	later := e.waitReady(ns, "later")
	checkCredsSecret(t, e.mustSecret(ns, "later"), later)
}

// testUserRenameSecret: moving the credentials to another Secret name keeps the identity and the
// JWT; the old Secret is removed.
func testUserRenameSecret(t *testing.T) {
	e := newUserEnv(t)
	ns := controlPlane.NewNamespace(t)
	acc := e.prepareAccount(ns, "orders", natsv1alpha1.NatsAccountSpec{}, accountSetup{})
	e.createUser(newUser(ns, "mover", acc.ref(), func(u *natsv1alpha1.NatsUser) { u.Spec.SecretName = "old-name" }))
	before := e.waitReady(ns, "mover")
	_, token := credsOf(t, e.mustSecret(ns, "old-name"))
	patch := []byte(`{"spec":{"secretName":"new-name"}}`)
	if _, err := e.nats.NatsauthV1alpha1().NatsUsers(ns).Patch(e.ctx, "mover", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatalf("rename the Secret: %v", err)
	}
	var after *natsv1alpha1.NatsUser
	suite.WaitFor(t, e.ctx, "the credentials moved", func() bool {
		u, err := e.getUser(ns, "mover")
		after = u
		return err == nil && u.Status.ObservedGeneration == u.Generation && u.Status.SecretName == "new-name"
	})
	moved := e.mustSecret(ns, "new-name")
	checkCredsSecret(t, moved, after)
	if _, newToken := credsOf(t, moved); newToken != token || after.Status.PublicKey != before.Status.PublicKey {
		t.Errorf("the move re-issued or changed the key: %s -> %s", before.Status.PublicKey, after.Status.PublicKey)
	}
	suite.WaitFor(t, e.ctx, "the old Secret is removed", func() bool {
		_, err := e.secret(ns, "old-name")
		return apierrors.IsNotFound(err)
	})
}
