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

package account

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/klog/v2/ktesting"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/internal/testfixtures"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// The unit tier: sync is called directly on fake clientsets and seeded caches (testfixtures);
// test/integration runs the same controller against a real kube-apiserver.

const ns = "nats"

// accountFixture is an operator with its keys, the account nats/orders and the controller.
type accountFixture struct {
	*testfixtures.Fixture
	c       *Controller
	op      *natsv1alpha1.NatsOperator
	signing nkeys.KeyPair
	acc     *natsv1alpha1.NatsAccount
}

func newAccountFixture(t *testing.T, acc *natsv1alpha1.NatsAccount, objs ...runtime.Object) *accountFixture {
	op := testfixtures.Operator(ns, "main")
	opKeys, signing := testfixtures.OperatorKeys(t, op)
	f := testfixtures.New(t, append([]runtime.Object{op, opKeys, acc}, objs...)...)
	c, err := NewController(f.Deps(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	return &accountFixture{Fixture: f, c: c, op: op, signing: signing, acc: acc}
}

func (f *accountFixture) sync(t *testing.T) error {
	_, ctx := ktesting.NewTestContext(t)
	return f.c.sync(ctx, testfixtures.Key(f.acc))
}

// claims decodes the account JWT in the API's status.
func (f *accountFixture) claims(t *testing.T) *jwt.AccountClaims {
	t.Helper()
	got := f.Account(f.acc.Namespace, f.acc.Name)
	claims, err := jwt.DecodeAccountClaims(got.Status.JWT)
	if err != nil {
		t.Fatalf("status.jwt: %v", err)
	}
	return claims
}

// issued runs the first sync of the account and lets the caches catch up.
func (f *accountFixture) issued(t *testing.T) {
	t.Helper()
	if err := f.sync(t); err != nil {
		t.Fatalf("first sync: %v", err)
	}
	f.Settle()
}

// TestSyncFirstIssue: a new account gets its finalizer, its key Secret and a JWT signed by the
// operator's signing key in three writes and one Normal event; the resync that follows writes
// nothing, reads nothing uncached and emits nothing.
func TestSyncFirstIssue(t *testing.T) {
	f := newAccountFixture(t, testfixtures.Account(ns, "orders", "main"))
	if err := f.sync(t); err != nil {
		t.Fatalf("sync: %v", err)
	}
	f.ExpectWrites("patch natsaccounts orders", "create secrets orders-account-keys", "update natsaccounts/status orders")
	f.ExpectEvents("Normal " + ReasonIssued)

	got := f.Account(ns, "orders")
	f.ExpectReady(got.Status.Conditions, metav1.ConditionTrue, ReasonIssued)
	if !slices.Contains(got.Finalizers, naming.AccountFinalizer) {
		t.Errorf("finalizers %v", got.Finalizers)
	}
	keys := f.Secret(ns, naming.AccountKeysSecret("orders"))
	if keys == nil || len(keys.Data) != 2 {
		t.Fatalf("key Secret %+v", keys)
	}
	identity, err := natsjwt.ParseSeed(keys.Data[naming.AccountIdentitySeed], natsjwt.KindAccount)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := identity.PublicKey()
	signingPub, _ := f.signing.PublicKey()
	claims := f.claims(t)
	if got.Status.PublicKey != pub || claims.Subject != pub || claims.Issuer != signingPub ||
		got.Status.OperatorPublicKey != f.op.Status.PublicKey || got.Status.ClaimsHash == "" {
		t.Errorf("status %+v, JWT subject %s issuer %s", got.Status, claims.Subject, claims.Issuer)
	}

	f.Settle()
	if err := f.sync(t); err != nil {
		t.Fatalf("resync: %v", err)
	}
	f.ExpectWrites()
	f.ExpectEvents()
	f.ExpectReads()
}

// TestSyncInvalidSpec: a spec that cannot produce a JWT is InvalidSpec with a Warning, no JWT,
// and a terminal error (not retried).
func TestSyncInvalidSpec(t *testing.T) {
	acc := testfixtures.Account(ns, "orders", "main")
	acc.Spec.Exports = []natsv1alpha1.Export{{Name: "bad", Subject: "orders events", Type: natsv1alpha1.ExportStream}}
	f := newAccountFixture(t, acc)
	if err := f.sync(t); !controllerhelpers.IsTerminal(err) {
		t.Fatalf("sync: %v, want a terminal error", err)
	}
	f.ExpectWrites("patch natsaccounts orders", "create secrets orders-account-keys", "update natsaccounts/status orders")
	f.ExpectEvents("Warning " + ReasonInvalidSpec)
	got := f.Account(ns, "orders")
	c := f.ExpectReady(got.Status.Conditions, metav1.ConditionFalse, ReasonInvalidSpec)
	if got.Status.JWT != "" || got.Status.ClaimsHash != "" {
		t.Errorf("an invalid spec got a JWT: %+v", got.Status)
	}
	if !strings.Contains(c.Message, "spec.exports[0].subject") {
		t.Errorf("message %q does not name the field", c.Message)
	}
}

// TestSyncKeysMissing: an account whose status names a key but whose key Secret is gone is
// KeysMissing; the miss is confirmed with one GET and nothing is generated or signed.
func TestSyncKeysMissing(t *testing.T) {
	acc := testfixtures.Account(ns, "orders", "main")
	acc.Finalizers = []string{naming.AccountFinalizer}
	_, acc.Status.PublicKey = testfixtures.NewKey(t, natsjwt.KindAccount)
	f := newAccountFixture(t, acc)
	if err := f.sync(t); !controllerhelpers.IsTerminal(err) {
		t.Fatalf("sync: %v, want a terminal error", err)
	}
	f.ExpectWrites("update natsaccounts/status orders")
	f.ExpectEvents("Warning " + ReasonKeysMissing)
	f.ExpectReads("get secrets orders-account-keys") // the one GET that confirms the cache miss
	got := f.Account(ns, "orders")
	f.ExpectReady(got.Status.Conditions, metav1.ConditionFalse, ReasonKeysMissing)
	if got.Status.PublicKey != acc.Status.PublicKey || got.Status.JWT != "" {
		t.Errorf("status %+v", got.Status)
	}
	if f.Secret(ns, naming.AccountKeysSecret("orders")) != nil {
		t.Error("a new key Secret was generated")
	}
}

// userOf is a NatsUser of nats/orders in namespace userNS with an issued key.
func userOf(t *testing.T, userNS, name string, issuedAt time.Time) (*natsv1alpha1.NatsUser, string) {
	u := testfixtures.User(userNS, name, ns, "orders")
	u.Finalizers = []string{naming.UserFinalizer}
	_, u.Status.PublicKey = testfixtures.NewKey(t, natsjwt.KindUser)
	u.Status.IssuedAt = &metav1.Time{Time: issuedAt}
	return u, u.Status.PublicKey
}

// TestSyncRevokesDeletedUser: a NatsUser being deleted is revoked up to its deletion in the
// next account JWT, signed at once even within the second of the current JWT, with the next
// second as its iat (issuedat_test.go has the schedule).
func TestSyncRevokesDeletedUser(t *testing.T) {
	f := newAccountFixture(t, testfixtures.Account(ns, "orders", "main"))
	f.issued(t)
	first := f.claims(t).IssuedAt
	now := f.Clock.Now()
	user, pub := userOf(t, ns, "api", now.Add(-10*time.Minute))
	deleted := metav1.NewTime(now.Add(-time.Minute))
	user.DeletionTimestamp = &deleted
	f.Put(user)
	f.Sync()

	if err := f.sync(t); err != nil {
		t.Fatalf("sync: %v", err)
	}
	f.ExpectWrites("update natsaccounts/status orders")
	f.ExpectEvents("Normal " + EventRevoked)
	claims := f.claims(t)
	if got := claims.Revocations[pub]; got != deleted.Unix() {
		t.Errorf("revoked up to %d, want the deletion %d", got, deleted.Unix())
	}
	if claims.IssuedAt != first+1 {
		t.Errorf("iat %d, want the first JWT's %d + 1", claims.IssuedAt, first)
	}
	if got := f.Account(ns, "orders").Status.Revocations; got != 1 {
		t.Errorf("status.revocations = %d", got)
	}
}

// TestSyncRevokesUserOfDisallowedNamespace: a user whose namespace the account no longer
// allows has its current JWT revoked (revokeUser with allowed=false); a user of an allowed
// namespace is untouched.
func TestSyncRevokesUserOfDisallowedNamespace(t *testing.T) {
	acc := testfixtures.Account(ns, "orders", "main")
	acc.Spec.AllowedUserNamespaces = []string{"apps"}
	f := newAccountFixture(t, acc)
	f.issued(t)
	now := f.Clock.Now()
	allowed, allowedPub := userOf(t, "apps", "api", now.Add(-time.Hour))
	rogue, roguePub := userOf(t, "team-x", "rogue", now.Add(-30*time.Minute))
	f.Put(allowed)
	f.Put(rogue)
	f.Sync()

	f.Clock.Step(2 * time.Second)
	if err := f.sync(t); err != nil {
		t.Fatalf("sync: %v", err)
	}
	f.ExpectWrites("update natsaccounts/status orders")
	revocations := f.claims(t).Revocations
	if got := revocations[roguePub]; got != rogue.Status.IssuedAt.Unix() {
		t.Errorf("disallowed user revoked up to %d, want its issue time %d", got, rogue.Status.IssuedAt.Unix())
	}
	if _, ok := revocations[allowedPub]; ok || len(revocations) != 1 {
		t.Errorf("revocations %v: only the disallowed user's key belongs there", revocations)
	}
}

// TestSyncJWTSizeGuard: an account without maxUserLifetime whose JWT grows past three quarters
// of the (injected, small) limit with revocations of deleted users gets JWTSizeNearLimit=True,
// reason RevocationsUnbounded, and one Warning event while Ready stays True; a resync and a
// further revocation add no second Warning. With maxUserLifetime set and the revocations
// compacted, the condition turns False with one Normal event.
func TestSyncJWTSizeGuard(t *testing.T) {
	f := newAccountFixture(t, testfixtures.Account(ns, "orders", "main"))
	f.issued(t)
	got := f.Account(ns, "orders")
	size0 := len(got.Status.JWT)
	if c := meta.FindStatusCondition(got.Status.Conditions, natsv1alpha1.ConditionJWTSizeNearLimit); c == nil ||
		c.Status != metav1.ConditionFalse || c.Reason != ReasonJWTSizeWithinLimit {
		t.Fatalf("first issue: size condition %+v, want False %s", c, ReasonJWTSizeWithinLimit)
	}
	// Warn 1000 bytes above the empty account's JWT: 30 revocations (about 90 bytes each in the
	// encoded JWT) cross it, the compacted list does not.
	f.c.maxJWTSize = (size0 + 1000) * 4 / 3
	deleteUsers := func(n int) {
		now := f.Clock.Now()
		for i := range n {
			u, _ := userOf(t, ns, fmt.Sprintf("gone-%d-%d", now.Unix(), i), now.Add(-time.Hour))
			deleted := metav1.NewTime(now.Add(-time.Minute))
			u.DeletionTimestamp = &deleted
			f.Put(u)
		}
		f.Sync()
		f.Clock.Step(2 * time.Second)
	}
	sizeCondition := func(status metav1.ConditionStatus, reason string) {
		t.Helper()
		got := f.Account(ns, "orders")
		if !meta.IsStatusConditionTrue(got.Status.Conditions, natsv1alpha1.ConditionReady) {
			t.Fatalf("Ready is not True: %+v", got.Status.Conditions)
		}
		c := meta.FindStatusCondition(got.Status.Conditions, natsv1alpha1.ConditionJWTSizeNearLimit)
		if c == nil || c.Status != status || c.Reason != reason || !strings.Contains(c.Message, fmt.Sprint(len(got.Status.JWT))) {
			t.Fatalf("size condition %+v for a %d-byte JWT, want %s %s", c, len(got.Status.JWT), status, reason)
		}
	}

	deleteUsers(30)
	if err := f.sync(t); err != nil {
		t.Fatalf("sync: %v", err)
	}
	f.ExpectWrites("update natsaccounts/status orders")
	f.ExpectEvents("Normal "+EventRevoked, "Warning "+EventJWTSizeNearLimit)
	sizeCondition(metav1.ConditionTrue, ReasonRevocationsUnbounded)

	f.Settle()
	if err := f.sync(t); err != nil {
		t.Fatalf("resync: %v", err)
	}
	f.ExpectWrites()
	f.ExpectEvents()

	deleteUsers(1)
	f.ClearActions()
	if err := f.sync(t); err != nil {
		t.Fatalf("sync: %v", err)
	}
	f.ExpectWrites("update natsaccounts/status orders")
	f.ExpectEvents("Normal " + EventRevoked)
	sizeCondition(metav1.ConditionTrue, ReasonRevocationsUnbounded)

	f.Settle()
	acc := f.Account(ns, "orders").DeepCopy()
	acc.Spec.MaxUserLifetime = &metav1.Duration{Duration: time.Hour}
	acc.Generation++
	f.Put(acc)
	f.Settle()
	f.Clock.Step(3 * time.Hour)
	if err := f.sync(t); err != nil {
		if _, ok := controllerhelpers.AsRequeue(err); !ok {
			t.Fatalf("sync: %v", err)
		}
	}
	f.ExpectEvents("Normal " + EventJWTSizeWithinLimit)
	sizeCondition(metav1.ConditionFalse, ReasonJWTSizeWithinLimit)
	if n := f.Account(ns, "orders").Status.Revocations; n != 1 {
		t.Errorf("status.revocations = %d after compaction, want only *", n)
	}
}
