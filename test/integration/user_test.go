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
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/jwt/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/controllers/user"
	"github.com/natsauth/nats-auth-operator/natsjwt"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestUser runs the NatsUser controller (inside the whole controller binary) against the real
// apiserver. The subtests share one controller and run in parallel, each in its own namespace.
func TestUser(t *testing.T) {
	suite.StartControllers(t)
	for name, fn := range map[string]func(*testing.T){
		"IssueResyncEdit":           testUserIssueResyncEdit,
		"ScopedSigningKey":          testUserScopedSigningKey,
		"WaitsQuietlyForAccount":    testUserWaitsQuietlyForAccount,
		"ValidForRenewal":           testUserValidForRenewal,
		"DeletionWaitsForRevoke":    testUserDeletionWaitsForRevocation,
		"DeletionRevokedByAccount":  testUserDeletionRevokedByAccount,
		"DeletionAccountGone":       testUserDeletionAccountGone,
		"SecretOfAnotherNatsUser":   testUserSecretOfAnotherUser,
		"OwnNameTakenByAnotherUser": testUserOwnNameTakenByAnotherUser,
		"RenameSecret":              testUserRenameSecret,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t)
		})
	}
}

// testUserIssueResyncEdit runs on an account issued by the real operator and account
// controllers: a user becomes Ready with a Secret whose creds work as a unit and whose JWT says
// what the spec says, signed by the account's default signing key; a resync writes nothing; an
// edit re-issues for the same key, and the account revokes the old JWT but not the new one.
func testUserIssueResyncEdit(t *testing.T) {
	e := newUserEnv(t)
	ns := controlPlane.NewNamespace(t)
	acc := e.realAccount(ns, "orders", natsv1alpha1.NatsAccountSpec{})
	e.createUser(newUser(ns, "api", acc.ref(), func(u *natsv1alpha1.NatsUser) {
		u.Spec.Permissions = &natsv1alpha1.Permissions{
			Pub: &natsv1alpha1.PublishPermission{Allow: []natsv1alpha1.Subject{"orders.>"}, Deny: []natsv1alpha1.Subject{"orders.admin.*"}},
			Sub: &natsv1alpha1.SubscribePermission{Allow: []natsv1alpha1.SubscribeSubject{"_INBOX.>", "orders.* workers"}},
		}
		u.Spec.Limits = &natsv1alpha1.UserLimits{Subs: ptr.To[int64](10), Payload: ptr.To[int64](4096),
			Src: []natsv1alpha1.CIDR{"10.0.0.0/8"}, TimesLocation: "Europe/Berlin",
			Times: []natsv1alpha1.TimeRange{{Start: "08:00:00", End: "18:00:00"}}}
		u.Spec.Tags = []natsv1alpha1.Tag{"team:orders"}
		u.Spec.SecretName = "api-creds"
	}))
	ready := e.waitReady(ns, "api")
	// The creds Secret, not a NatsUser finalizer, records the issued key.
	if len(ready.Finalizers) != 0 {
		t.Errorf("finalizers = %v, want none", ready.Finalizers)
	}
	if s := e.mustSecret(ns, "api-creds"); !slices.Contains(s.Finalizers, naming.SecretFinalizer) || s.Labels[naming.LabelAccountKey] != acc.pub {
		t.Errorf("creds Secret finalizers %v, account-key label %q; want %s and %s", s.Finalizers, s.Labels[naming.LabelAccountKey], naming.SecretFinalizer, acc.pub)
	}
	st := ready.Status
	if st.SecretName != "api-creds" || st.AccountPublicKey != acc.pub || st.ClaimsHash == "" || st.IssuedAt == nil ||
		st.ExpiresAt != nil || st.RevokedBefore != nil {
		t.Errorf("status = %+v", st)
	}
	checkIssuedCreds(t, e.mustSecret(ns, "api-creds"), ready, acc)
	expectNoWrites(e, ns, "api", "api-creds")

	// An edit keeps the key, re-issues in a later second and revokes the earlier JWTs.
	editAndCheckReissue(e, ns, ready)
	if w := e.warnings(ns, "api"); len(w) != 0 {
		t.Errorf("warnings for a good user: %v", w)
	}
}

// checkIssuedCreds checks the first creds of user "api": they parse, match the status, are
// signed by the account's default signing key for the account, and say what the spec says.
func checkIssuedCreds(t *testing.T, secret *corev1.Secret, ready *natsv1alpha1.NatsUser, acc *handAccount) {
	t.Helper()
	st := ready.Status
	checkCredsSecret(t, secret, ready)
	claims, _ := credsOf(t, secret)
	if claims.Subject != st.PublicKey || claims.IssuedAt != st.IssuedAt.Unix() {
		t.Errorf("JWT sub/iat = %s/%d, status says %s/%s", claims.Subject, claims.IssuedAt, st.PublicKey, st.IssuedAt)
	}
	if claims.Issuer != publicKey(t, acc.signing["default"]) || claims.IssuerAccount != acc.pub {
		t.Errorf("iss/issuer_account = %s/%s, want the default signing key and the account %s", claims.Issuer, claims.IssuerAccount, acc.pub)
	}
	wantPerms := jwt.Permissions{
		Pub: jwt.Permission{Allow: jwt.StringList{"orders.>"}, Deny: jwt.StringList{"orders.admin.*"}},
		Sub: jwt.Permission{Allow: jwt.StringList{"_INBOX.>", "orders.* workers"}},
	}
	if diff := cmp.Diff(wantPerms, claims.Permissions); diff != "" {
		t.Errorf("permissions (-want +got):\n%s", diff)
	}
	if l := claims.Limits; l.Subs != 10 || l.Payload != 4096 || l.Data != jwt.NoLimit || l.Locale != "Europe/Berlin" ||
		!slices.Equal(l.Src, jwt.CIDRList{"10.0.0.0/8"}) || len(l.Times) != 1 || claims.Tags[0] != "team:orders" {
		t.Errorf("limits/tags = %+v / %v", l, claims.Tags)
	}
}

// expectNoWrites re-queues a converged user through each of its watches and checks that
// neither the NatsUser nor its Secret is written.
func expectNoWrites(e *userEnv, ns, name, secretName string) {
	e.t.Helper()
	e.touch("NatsAccount", ns, "orders")
	e.touch("NatsUser", ns, name)
	e.touch("Secret", ns, secretName)
	before, _ := e.getUser(ns, name)
	secretBefore := e.mustSecret(ns, secretName)
	e.consistently(3*time.Second, "a resync writes neither the NatsUser nor its Secret", func() bool {
		u, err := e.getUser(ns, name)
		s, serr := e.secret(ns, secretName)
		return err == nil && serr == nil && u.ResourceVersion == before.ResourceVersion && s.ResourceVersion == secretBefore.ResourceVersion
	})
}

// editAndCheckReissue edits user "api" and checks the re-issue: same key, a later iat,
// revokedBefore at the new iat, the Secret updated, and the account revoking only the old JWT.
func editAndCheckReissue(e *userEnv, ns string, ready *natsv1alpha1.NatsUser) {
	t, st := e.t, ready.Status
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		u, err := e.getUser(ns, "api")
		if err != nil {
			return err
		}
		u.Spec.Permissions.Pub.Allow = append(u.Spec.Permissions.Pub.Allow, "billing.>")
		_, err = e.nats.NatsauthV1alpha1().NatsUsers(ns).Update(e.ctx, u, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatalf("edit user: %v", err)
	}
	var edited *natsv1alpha1.NatsUser
	suite.WaitFor(t, e.ctx, "the edit is issued", func() bool {
		u, err := e.getUser(ns, "api")
		edited = u
		return err == nil && u.Status.ObservedGeneration == u.Generation && u.Status.ClaimsHash != st.ClaimsHash &&
			meta.IsStatusConditionTrue(u.Status.Conditions, natsv1alpha1.ConditionReady)
	})
	est := edited.Status
	if est.PublicKey != st.PublicKey {
		t.Errorf("an edit changed the key: %s -> %s", st.PublicKey, est.PublicKey)
	}
	if !est.IssuedAt.After(st.IssuedAt.Time) {
		t.Errorf("new iat %s is not after the old %s: the revocation would cover the new JWT", est.IssuedAt, st.IssuedAt)
	}
	if est.RevokedBefore == nil || !est.RevokedBefore.Equal(est.IssuedAt) {
		t.Errorf("revokedBefore = %v, want the new iat %s", est.RevokedBefore, est.IssuedAt)
	}
	newClaims, _ := credsOf(t, e.mustSecret(ns, "api-creds"))
	if !slices.Contains(newClaims.Pub.Allow, "billing.>") || newClaims.IssuedAt != est.IssuedAt.Unix() {
		t.Errorf("Secret not updated: pub.allow %v, iat %d", newClaims.Pub.Allow, newClaims.IssuedAt)
	}
	suite.WaitFor(t, e.ctx, "the account revokes the earlier JWT", func() bool {
		return e.accountJWT(ns, "orders").Revocations[st.PublicKey] == est.RevokedBefore.Unix()-1
	})
	revs := e.accountJWT(ns, "orders").Revocations
	if !natsjwt.IsRevoked(revs, st.PublicKey, st.IssuedAt.Unix()) || natsjwt.IsRevoked(revs, st.PublicKey, est.IssuedAt.Unix()) {
		t.Errorf("revocations %v must cover iat %d and spare iat %d", revs, st.IssuedAt.Unix(), est.IssuedAt.Unix())
	}
}

// checkCredsSecret checks the creds Secret's shape: labels, controller reference and type.
func checkCredsSecret(t *testing.T, s *corev1.Secret, u *natsv1alpha1.NatsUser) {
	t.Helper()
	wantLabels := map[string]string{naming.LabelManagedBy: naming.ManagedByValue, naming.LabelSecretType: naming.SecretTypeCreds, naming.LabelUser: u.Name}
	for k, v := range wantLabels {
		if s.Labels[k] != v {
			t.Errorf("Secret %s label %s = %q, want %q", s.Name, k, s.Labels[k], v)
		}
	}
	if !metav1.IsControlledBy(s, u) {
		t.Errorf("Secret %s is not controlled by NatsUser %s: %+v", s.Name, u.Name, s.OwnerReferences)
	}
	if s.Type != corev1.SecretTypeOpaque {
		t.Errorf("Secret %s type = %s", s.Name, s.Type)
	}
}

// testUserScopedSigningKey: a user of a scoped key is signed by that key and carries no
// permissions of its own (they come from the key's template in the account JWT).
func testUserScopedSigningKey(t *testing.T) {
	e := newUserEnv(t)
	ns := controlPlane.NewNamespace(t)
	acc := e.prepareAccount(ns, "orders", natsv1alpha1.NatsAccountSpec{SigningKeys: []natsv1alpha1.AccountSigningKey{
		{Name: "readers", Scope: &natsv1alpha1.SigningKeyScope{Role: "reader", Template: natsv1alpha1.UserPermissionLimits{
			Permissions: &natsv1alpha1.Permissions{Sub: &natsv1alpha1.SubscribePermission{Allow: []natsv1alpha1.SubscribeSubject{"orders.>"}}},
		}}},
		{Name: "ci"},
	}}, accountSetup{})
	e.createUser(newUser(ns, "reader", acc.ref(), func(u *natsv1alpha1.NatsUser) { u.Spec.SigningKey = "readers" }))
	e.createUser(newUser(ns, "builder", acc.ref(), func(u *natsv1alpha1.NatsUser) { u.Spec.SigningKey = "ci" }))
	e.waitReady(ns, "reader")
	claims, _ := credsOf(t, e.mustSecret(ns, "reader"))
	if claims.Issuer != publicKey(t, acc.signing["readers"]) || claims.IssuerAccount != acc.pub {
		t.Errorf("scoped user iss/issuer_account = %s/%s", claims.Issuer, claims.IssuerAccount)
	}
	if !claims.HasEmptyPermissions() {
		t.Errorf("scoped user carries permissions: %+v", claims.Permissions)
	}
	// An unscoped named key signs too. (The schema allows no permissions of its own for a
	// user that names any signing key.)
	e.waitReady(ns, "builder")
	claims, _ = credsOf(t, e.mustSecret(ns, "builder"))
	if claims.Issuer != publicKey(t, acc.signing["ci"]) || claims.IssuerAccount != acc.pub {
		t.Errorf("unscoped named key: iss/issuer_account %s/%s", claims.Issuer, claims.IssuerAccount)
	}
}

// testUserWaitsQuietlyForAccount: an account that is not issued yet, or whose keys are not in
// place yet, makes the user wait without a Warning; the account's status update and the key
// Secret's appearance re-queue it (through the usersByAccount index).
func testUserWaitsQuietlyForAccount(t *testing.T) {
	e := newUserEnv(t)
	ns := controlPlane.NewNamespace(t)
	acc := e.prepareAccount(ns, "late", natsv1alpha1.NatsAccountSpec{}, accountSetup{noKeys: true, unissued: true})
	e.createUser(newUser(ns, "patient", acc.ref()))
	e.waitReason(ns, "patient", user.ReasonAccountNotReady)
	acc.publish(e, nil)
	suite.WaitFor(t, e.ctx, "the user waits for the account keys", func() bool {
		u, err := e.getUser(ns, "patient")
		return err == nil && len(u.Status.Conditions) == 1 && u.Status.Conditions[0].Message != "" &&
			u.Status.Conditions[0].Reason == user.ReasonAccountNotReady && slices.Contains([]string{
			"waiting for the signing keys of NatsAccount " + ns + "/late"}, u.Status.Conditions[0].Message)
	})
	if _, err := e.secret(ns, "patient"); !apierrors.IsNotFound(err) {
		t.Errorf("Secret written before the account could sign: %v", err)
	}
	acc.writeKeys(e)
	e.waitReady(ns, "patient")
	if w := e.warnings(ns, "patient"); len(w) != 0 {
		t.Errorf("waiting for the account emitted warnings: %v", w)
	}
}
