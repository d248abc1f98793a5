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

package user

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/klog/v2/ktesting"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/credscache"
	"github.com/natsauth/nats-auth-operator/controllers/internal/testfixtures"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// The unit tier: sync is called directly on fake clientsets and seeded caches (testfixtures);
// test/integration runs the same controller against a real kube-apiserver.

const ns = "apps"

// userFixture is an issued account nats/orders that allows namespace apps, its keys, the user
// apps/api and the controller.
type userFixture struct {
	*testfixtures.Fixture
	c       *Controller
	acc     *natsv1alpha1.NatsAccount
	signing nkeys.KeyPair
	user    *natsv1alpha1.NatsUser
}

func newUserFixture(t *testing.T, edit func(acc *natsv1alpha1.NatsAccount, u *natsv1alpha1.NatsUser)) *userFixture {
	acc := testfixtures.Account("nats", "orders", "main")
	acc.Spec.AllowedUserNamespaces = []string{ns}
	keys, signing := testfixtures.AccountKeys(t, acc)
	u := testfixtures.User(ns, "api", "nats", "orders")
	if edit != nil {
		edit(acc, u)
	}
	f := testfixtures.New(t, []runtime.Object{testfixtures.Operator("nats", "main"), acc, keys, u}...)
	f.SecretTransform = credscache.Compact // as the binary's Secret informer
	f.Sync()
	c, err := NewController(f.Deps())
	if err != nil {
		t.Fatal(err)
	}
	return &userFixture{Fixture: f, c: c, acc: acc, signing: signing, user: u}
}

func (f *userFixture) sync(t *testing.T) error {
	_, ctx := ktesting.NewTestContext(t)
	return f.c.sync(ctx, testfixtures.Key(f.user))
}

// creds returns the creds Secret's decoded JWT; the test fails without one.
func (f *userFixture) creds(t *testing.T) *jwt.UserClaims {
	t.Helper()
	s := f.Secret(ns, "api")
	if s == nil {
		t.Fatal("no creds Secret")
	}
	claims, err := jwt.DecodeUserClaims(string(s.Data[naming.UserJWT]))
	if err != nil {
		t.Fatalf("user.jwt: %v", err)
	}
	return claims
}

// TestSyncFirstIssue: a new user converges in two writes (creds Secret, status): the Secret,
// with its finalizer and account-key label, is the record of the key, and the NatsUser gets no
// finalizer;
// without an uncached Secret read and without an event (QuietFirstReady); the resync that
// follows writes nothing.
func TestSyncFirstIssue(t *testing.T) {
	f := newUserFixture(t, nil)
	if err := f.sync(t); err != nil {
		t.Fatalf("sync: %v", err)
	}
	f.ExpectWrites("create secrets api", "update natsusers/status api")
	f.ExpectNoRead("secrets")
	f.ExpectEvents()

	got := f.User(ns, "api")
	f.ExpectReady(got.Status.Conditions, metav1.ConditionTrue, ReasonIssued)
	if len(got.Finalizers) != 0 {
		t.Errorf("finalizers %v, want none", got.Finalizers)
	}
	s := f.Secret(ns, "api")
	if s == nil || len(s.Data[naming.UserCreds]) == 0 || !metav1.IsControlledBy(s, got) ||
		s.Labels[naming.LabelSecretType] != naming.SecretTypeCreds || s.Labels[naming.LabelAccountKey] != f.acc.Status.PublicKey ||
		!slices.Equal(s.Finalizers, []string{naming.SecretFinalizer}) {
		t.Fatalf("creds Secret labels %v finalizers %v", s.Labels, s.Finalizers)
	}
	kp, err := natsjwt.ParseSeed(s.Data[naming.UserSeed], natsjwt.KindUser)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := kp.PublicKey()
	signingPub, _ := f.signing.PublicKey()
	claims := f.creds(t)
	if got.Status.PublicKey != pub || claims.Subject != pub || claims.Issuer != signingPub ||
		claims.IssuerAccount != f.acc.Status.PublicKey || got.Status.AccountPublicKey != f.acc.Status.PublicKey ||
		got.Status.SecretName != "api" || got.Status.IssuedAt.Unix() != claims.IssuedAt || got.Status.ExpiresAt != nil {
		t.Errorf("status %+v, JWT subject %s issuer %s account %s", got.Status, claims.Subject, claims.Issuer, claims.IssuerAccount)
	}

	f.Settle()
	if err := f.sync(t); err != nil {
		t.Fatalf("resync: %v", err)
	}
	f.ExpectWrites()
	f.ExpectEvents()
}

// TestSyncInvalidSpec: a bearer-token user of an account that disallows bearer tokens is
// InvalidSpec with a Warning and a terminal error, and gets no creds Secret.
func TestSyncInvalidSpec(t *testing.T) {
	f := newUserFixture(t, func(acc *natsv1alpha1.NatsAccount, u *natsv1alpha1.NatsUser) {
		acc.Spec.Limits = &natsv1alpha1.AccountLimits{DisallowBearer: true}
		u.Spec.BearerToken = true
	})
	if err := f.sync(t); !controllerhelpers.IsTerminal(err) {
		t.Fatalf("sync: %v, want a terminal error", err)
	}
	f.ExpectWrites("update natsusers/status api")
	f.ExpectEvents("Warning " + ReasonInvalidSpec)
	got := f.User(ns, "api")
	f.ExpectReady(got.Status.Conditions, metav1.ConditionFalse, ReasonInvalidSpec)
	if f.Secret(ns, "api") != nil || got.Status.PublicKey != "" {
		t.Errorf("an invalid user got credentials: %+v", got.Status)
	}
}

// TestSyncKeysMissing: a user whose status names a key but whose creds Secret is gone is
// KeysMissing after one GET that confirms the miss; no key or Secret is generated.
func TestSyncKeysMissing(t *testing.T) {
	var pub string
	f := newUserFixture(t, func(_ *natsv1alpha1.NatsAccount, u *natsv1alpha1.NatsUser) {
		_, pub = testfixtures.NewKey(t, natsjwt.KindUser)
		u.Status.PublicKey = pub
	})
	if err := f.sync(t); !controllerhelpers.IsTerminal(err) {
		t.Fatalf("sync: %v, want a terminal error", err)
	}
	f.ExpectWrites("update natsusers/status api")
	f.ExpectEvents("Warning " + ReasonKeysMissing)
	f.ExpectReads("get secrets api") // the one GET that confirms the cache miss
	got := f.User(ns, "api")
	f.ExpectReady(got.Status.Conditions, metav1.ConditionFalse, ReasonKeysMissing)
	if f.Secret(ns, "api") != nil || got.Status.PublicKey != pub {
		t.Errorf("the key was regenerated: %+v", got.Status)
	}
}

// TestSyncRenewal: validFor credentials are re-issued at two thirds of their life, and not
// before; the fake clock replaces the wall-clock wait of the integration suite. A renewal keeps
// the key and revokes nothing.
func TestSyncRenewal(t *testing.T) {
	const validFor = time.Hour
	f := newUserFixture(t, func(_ *natsv1alpha1.NatsAccount, u *natsv1alpha1.NatsUser) {
		u.Spec.ValidFor = &metav1.Duration{Duration: validFor}
	})
	start := f.Clock.Now()
	err := f.sync(t)
	if r, ok := controllerhelpers.AsRequeue(err); !ok || r.After < 39*time.Minute || r.After > 41*time.Minute {
		t.Fatalf("first sync: %v, want a requeue at two thirds of validFor", err)
	}
	first := f.creds(t)
	if want := start.Add(validFor).Unix(); first.Expires != want {
		t.Fatalf("expires %d, want %d", first.Expires, want)
	}
	f.Settle()

	f.Clock.Step(39 * time.Minute)
	if err := f.sync(t); err == nil {
		t.Fatal("no requeue for the renewal")
	}
	f.ExpectWrites()

	f.Clock.Step(2 * time.Minute)
	if err := f.sync(t); err == nil {
		t.Fatal("no requeue for the next renewal")
	}
	f.ExpectWrites("update secrets api", "update natsusers/status api")
	f.ExpectEvents("Normal " + EventRenewed)
	renewed := f.creds(t)
	if renewed.Subject != first.Subject || renewed.Expires != f.Clock.Now().Add(validFor).Unix() {
		t.Errorf("renewed JWT: subject %s (was %s), expires %d", renewed.Subject, first.Subject, renewed.Expires)
	}
	got := f.User(ns, "api")
	if got.Status.RevokedBefore != nil || f.Secret(ns, "api").Annotations[naming.AnnotationRevokedBefore] != "" {
		t.Errorf("a renewal revoked earlier JWTs: %+v", got.Status)
	}
	if got.Status.ExpiresAt.Unix() != renewed.Expires {
		t.Errorf("status.expiresAt %v, JWT expires %d", got.Status.ExpiresAt, renewed.Expires)
	}
}

// TestSyncRepairRevokesNothing: a creds Secret whose JWT was tampered with gets a new JWT for the
// same key and claims, and the earlier JWTs stay valid: they grant what the new one grants, and a
// revocation would make the account re-sign (the system account, for the resolver's creds).
func TestSyncRepairRevokesNothing(t *testing.T) {
	f := newUserFixture(t, nil)
	if err := f.sync(t); err != nil {
		t.Fatal(err)
	}
	first := f.creds(t)
	f.Settle()

	tampered := f.Secret(ns, "api").DeepCopy()
	tampered.Data[naming.UserJWT] = []byte("not a JWT")
	f.Put(tampered)
	f.Settle()
	f.Clock.Step(2 * time.Second)
	if err := f.sync(t); err != nil {
		t.Fatal(err)
	}
	// The status is written too when the new JWT's iat (wall clock, set by jwt/v2) is in a
	// later second.
	if w := f.Writes(); len(w) == 0 || w[0] != "update secrets api" {
		t.Errorf("writes %v, want the Secret's update first", w)
	}
	f.ExpectEvents("Normal " + EventReissued)
	if repaired := f.creds(t); repaired.Subject != first.Subject {
		t.Errorf("repaired JWT for %s, was %s", repaired.Subject, first.Subject)
	}
	got := f.User(ns, "api")
	if got.Status.RevokedBefore != nil || f.Secret(ns, "api").Annotations[naming.AnnotationRevokedBefore] != "" {
		t.Errorf("a repair revoked earlier JWTs: %+v", got.Status)
	}
}

// TestSyncWaitingForAccount: the finish step of a user whose account is not issued yet records
// Ready=False AccountNotReady without an event and retries with backoff (not terminal); the
// resync writes nothing; once the account is issued the user converges, and its recovery from
// a recorded not-ready condition is announced with a Normal event.
func TestSyncWaitingForAccount(t *testing.T) {
	var pub string
	f := newUserFixture(t, func(acc *natsv1alpha1.NatsAccount, _ *natsv1alpha1.NatsUser) {
		pub, acc.Status.PublicKey = acc.Status.PublicKey, ""
	})
	for i := range 2 {
		err := f.sync(t)
		if _, ok := controllerhelpers.AsRequeue(err); !ok || controllerhelpers.IsTerminal(err) {
			t.Fatalf("sync %d: %v, want a requeue with backoff", i, err)
		}
		if i == 0 {
			f.ExpectWrites("update natsusers/status api")
		} else {
			f.ExpectWrites()
		}
		f.ExpectEvents()
		f.ExpectReady(f.User(ns, "api").Status.Conditions, metav1.ConditionFalse, ReasonAccountNotReady)
		f.Settle()
	}

	f.acc.Status.PublicKey = pub
	f.Put(f.acc)
	f.Settle()
	if err := f.sync(t); err != nil {
		t.Fatalf("sync: %v", err)
	}
	f.ExpectWrites("create secrets api", "update natsusers/status api")
	f.ExpectEvents("Normal " + ReasonIssued)
	got := f.User(ns, "api")
	f.ExpectReady(got.Status.Conditions, metav1.ConditionTrue, ReasonIssued)
	if got.Status.ObservedGeneration != got.Generation {
		t.Errorf("observedGeneration %d, generation %d", got.Status.ObservedGeneration, got.Generation)
	}
}

// TestSyncReissueEventOnce: an edit re-issues the credentials with one Normal Reissued event
// that names the revocation of the earlier JWTs. A status write that fails after the Secret
// write emits nothing; its retry finds the new JWT already in the Secret (nothing to issue) and
// emits the one event, read from the change between the statuses.
func TestSyncReissueEventOnce(t *testing.T) {
	f := newUserFixture(t, nil)
	if err := f.sync(t); err != nil {
		t.Fatal(err)
	}
	f.Settle()
	if got := f.User(ns, "api").Status.Account; got != "nats/orders" {
		t.Errorf("status.account %q, want nats/orders", got)
	}
	edited := f.User(ns, "api").DeepCopy()
	edited.Spec.Tags = []natsv1alpha1.Tag{"team:a"}
	edited.Generation++
	f.Put(edited)
	f.Settle()
	f.Clock.Step(2 * time.Second)
	failed := false
	f.Nats.PrependReactor("update", "natsusers", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "status" || failed {
			return false, nil, nil
		}
		failed = true
		return true, nil, apierrors.NewConflict(natsv1alpha1.Resource("natsusers"), "api", errors.New("stale"))
	})
	if err := f.sync(t); !apierrors.IsConflict(err) {
		t.Fatalf("sync: %v, want the Conflict", err)
	}
	f.ExpectWrites("update secrets api") // the failed status write is not recorded
	f.ExpectEvents()
	f.Settle()
	if err := f.sync(t); err != nil {
		t.Fatalf("retry: %v", err)
	}
	f.ExpectWrites("update natsusers/status api")
	events := drainEvents(f.Fixture)
	if len(events) != 1 || !strings.HasPrefix(events[0], "Normal "+EventReissued) || !strings.Contains(events[0], "the spec changed; the account revokes") {
		t.Errorf("events %q, want one Reissued naming the edit and the revocation", events)
	}
	f.Settle()
	if err := f.sync(t); err != nil {
		t.Fatalf("resync: %v", err)
	}
	f.ExpectWrites()
	f.ExpectEvents()
}

// drainEvents returns the recorded events whole ("type reason message"); Fixture.Events keeps
// only type and reason.
func drainEvents(f *testfixtures.Fixture) []string {
	var out []string
	for {
		select {
		case e := <-f.Recorder.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

// TestSyncTrustsDigest: a resync of a converged user reads nothing from the API (the cache's
// digest matches status.credsDigest); a user whose status has no digest (written by an earlier
// version) is verified from one GET of its Secret and gets the digest in a status write, the
// Secret untouched; a Secret whose data no longer has the digest is verified and repaired.
func TestSyncTrustsDigest(t *testing.T) {
	f := newUserFixture(t, nil)
	if err := f.sync(t); err != nil {
		t.Fatal(err)
	}
	written := f.Secret(ns, "api").DeepCopy()
	if got := f.User(ns, "api").Status.CredsDigest; got != credscache.Digest(written.Data) {
		t.Fatalf("status.credsDigest %q, want the digest of the written data", got)
	}
	f.Settle()
	if err := f.sync(t); err != nil {
		t.Fatal(err)
	}
	f.ExpectWrites()
	f.ExpectReads()

	legacy := f.User(ns, "api").DeepCopy()
	legacy.Status.CredsDigest = ""
	f.Put(legacy)
	f.Settle()
	if err := f.sync(t); err != nil {
		t.Fatal(err)
	}
	f.ExpectReads("get secrets api")
	f.ExpectWrites("update natsusers/status api")
	if got := f.User(ns, "api").Status.CredsDigest; got != credscache.Digest(written.Data) {
		t.Errorf("status.credsDigest %q after the upgrade, want the Secret's", got)
	}
	if s := f.Secret(ns, "api"); credscache.Digest(s.Data) != credscache.Digest(written.Data) {
		t.Error("the upgrade rewrote the Secret")
	}

	f.Settle()
	tampered := f.Secret(ns, "api").DeepCopy()
	tampered.Data[naming.UserCreds] = []byte("not the creds file")
	f.Put(tampered)
	f.Settle()
	if err := f.sync(t); err != nil {
		t.Fatal(err)
	}
	f.ExpectReads("get secrets api")
	f.ExpectWrites("update secrets api")
	if s := f.Secret(ns, "api"); credscache.Digest(s.Data) != credscache.Digest(written.Data) {
		t.Error("the tampered creds file was not restored")
	}
}

// TestSyncTamperedSeedWithDigest: a Secret whose seed was swapped is not trusted (its digest
// differs) and is reported KeysInvalid, never rewritten with a new identity.
func TestSyncTamperedSeedWithDigest(t *testing.T) {
	f := newUserFixture(t, nil)
	if err := f.sync(t); err != nil {
		t.Fatal(err)
	}
	f.Settle()
	other, err := natsjwt.NewKey(natsjwt.KindUser)
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := other.Seed()
	tampered := f.Secret(ns, "api").DeepCopy()
	tampered.Data[naming.UserSeed] = seed
	f.Put(tampered)
	f.Settle()
	if err := f.sync(t); err == nil {
		t.Fatal("a swapped seed must fail the sync")
	}
	f.ExpectReady(f.User(ns, "api").Status.Conditions, metav1.ConditionFalse, ReasonKeysInvalid)
	if s := f.Secret(ns, "api"); string(s.Data[naming.UserSeed]) != string(seed) {
		t.Error("the Secret was rewritten")
	}
}
