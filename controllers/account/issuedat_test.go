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
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2/ktesting"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/internal/testfixtures"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
)

// deleteUser puts a NatsUser of the account being deleted into the API and the caches, so the
// next sync has one more key to revoke.
func (f *accountFixture) deleteUser(t *testing.T, name string) string {
	t.Helper()
	now := f.Clock.Now()
	user, pub := userOf(t, ns, name, now.Add(-time.Minute))
	deleted := metav1.NewTime(now)
	user.DeletionTimestamp = &deleted
	f.Put(user)
	f.Sync()
	return pub
}

// expectSigned syncs and checks that the new JWT revokes pub with iat want, in one status write.
func (f *accountFixture) expectSigned(t *testing.T, c *Controller, pub string, want int64) {
	t.Helper()
	_, ctx := ktesting.NewTestContext(t)
	if err := c.sync(ctx, testfixtures.Key(f.acc)); err != nil {
		t.Fatalf("sync at %s: %v", f.Clock.Now().Format(time.StampMilli), err)
	}
	f.ExpectWrites("update natsaccounts/status orders")
	claims := f.claims(t)
	if _, ok := claims.Revocations[pub]; !ok || claims.IssuedAt != want {
		t.Fatalf("JWT iat %d (want %d), revokes %s: %v", claims.IssuedAt, want, pub, ok)
	}
	f.Settle()
}

// TestSyncIssueTimeSchedule: back-to-back changes are signed at once, each JWT with the next
// second as its iat, until the iat leads the clock by maxIssuedLead; the next change waits
// (requeue, no write) for the clock's next second and goes into that second's JWT. A restarted
// controller continues from the iat in status.jwt, and a clock that went back does not hold
// signing back.
func TestSyncIssueTimeSchedule(t *testing.T) {
	f := newAccountFixture(t, testfixtures.Account(ns, "orders", "main"))
	base := time.Date(2026, 12, 4, 4, 0, 0, 0, time.UTC)
	f.Clock.SetTime(base.Add(300 * time.Millisecond))
	f.issued(t)
	s := base.Unix()
	if got := f.claims(t).IssuedAt; got != s {
		t.Fatalf("first JWT iat %d, want the clock's second %d", got, s)
	}
	for i := int64(1); i <= maxIssuedLead; i++ {
		f.Clock.Step(time.Millisecond)
		f.expectSigned(t, f.c, f.deleteUser(t, fmt.Sprintf("u%02d", i)), s+i)
	}

	waiting := f.deleteUser(t, "waits")
	also := f.deleteUser(t, "joins")
	err := f.sync(t)
	r, ok := controllerhelpers.AsRequeue(err)
	if want := base.Add(time.Second).Sub(f.Clock.Now()); !ok || r.After != want {
		t.Fatalf("sync with the iat %ds ahead: %v, want a requeue after %s", maxIssuedLead, err, want)
	}
	f.ExpectWrites()
	f.Clock.SetTime(base.Add(time.Second))
	f.expectSigned(t, f.c, waiting, s+maxIssuedLead+1)
	if _, ok := f.claims(t).Revocations[also]; !ok {
		t.Error("the change that arrived while waiting is not in the same JWT")
	}

	// A new controller knows only what status.jwt says.
	restarted, err := NewController(f.Deps(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	next := f.deleteUser(t, "after-restart")
	_, ctx := ktesting.NewTestContext(t)
	if _, ok := controllerhelpers.AsRequeue(restarted.sync(ctx, testfixtures.Key(f.acc))); !ok {
		t.Fatal("the restarted controller signed beyond the lead")
	}
	f.Clock.SetTime(base.Add(2 * time.Second))
	f.expectSigned(t, restarted, next, s+maxIssuedLead+2)

	f.Clock.SetTime(base.Add(-10 * time.Minute))
	f.expectSigned(t, restarted, f.deleteUser(t, "clock-went-back"), s+maxIssuedLead+3)
}

// TestIssueTime: the iat after the previous one, the lead bound, and the first JWT of an
// account that adopted retained keys, which must come after any iat of the earlier incarnation.
func TestIssueTime(t *testing.T) {
	base := time.Date(2026, 12, 4, 4, 0, 0, 0, time.UTC)
	s := base.Unix()
	now := base.Add(250 * time.Millisecond)
	const toNext = 750 * time.Millisecond
	for _, tc := range []struct {
		name     string
		prev     int64 // 0: no status.jwt
		adopted  bool
		keysRef  bool // spec.keysSecretRef
		created  int64
		wantIAT  int64
		wantWait time.Duration
	}{
		{name: "first JWT", wantIAT: s},
		{name: "previous from an earlier second", prev: s - 5, wantIAT: s},
		{name: "previous from this second", prev: s, wantIAT: s + 1},
		{name: "previous one below the lead", prev: s + maxIssuedLead - 1, wantIAT: s + maxIssuedLead},
		{name: "previous at the lead", prev: s + maxIssuedLead, wantWait: toNext},
		{name: "previous beyond the lead (clock went back)", prev: s + maxIssuedLead + 30, wantIAT: s + maxIssuedLead + 31},
		{name: "adopted keys, created long ago", adopted: true, created: s - 3600, wantIAT: s},
		{name: "adopted keys, created a second ago", adopted: true, created: s - 1, wantIAT: s + maxIssuedLead},
		{name: "adopted keys, created this second", adopted: true, created: s, wantWait: toNext},
		{name: "adopted keys with a JWT of their own", adopted: true, created: s, prev: s, wantIAT: s + 1},
		{name: "keys from the user's Secret, created a minute ago", keysRef: true, created: s - 60, wantIAT: s + 1},
		{name: "keys from the user's Secret, created long ago", keysRef: true, created: s - 3600, wantIAT: s},
		{name: "keys from the user's Secret with a JWT of their own", keysRef: true, created: s - 1, prev: s, wantIAT: s + 1},
	} {
		acc := &natsv1alpha1.NatsAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "orders", UID: "new",
			CreationTimestamp: metav1.NewTime(time.Unix(tc.created, 0))}}
		if tc.keysRef {
			acc.Spec.KeysSecretRef = &natsv1alpha1.KeysSecretReference{Name: "nsc-keys"}
		}
		secrets := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
		createdFor := "new"
		if tc.adopted {
			createdFor = "old"
		}
		_ = secrets.Add(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: naming.AccountKeysSecret("orders"),
			Annotations: map[string]string{naming.AnnotationCreatedFor: createdFor}}})
		c := &Controller{secretLister: corelisters.NewSecretLister(secrets)}
		var current *jwt.AccountClaims
		if tc.prev != 0 {
			current = &jwt.AccountClaims{ClaimsData: jwt.ClaimsData{IssuedAt: tc.prev}}
			acc.Status.JWT = "eyJ..."
		}
		iat, wait := c.issueTime(acc, current, now)
		if iat != tc.wantIAT || wait != tc.wantWait {
			t.Errorf("%s: iat %d (%+d), wait %s; want %d (%+d), %s", tc.name, iat, iat-s, wait, tc.wantIAT, tc.wantIAT-s, tc.wantWait)
		}
	}
}

// TestIssueTimeBeyondTheLead: once the last iat is beyond the lead (a clock that went back), one
// JWT is signed per second of this clock, so the lead cannot grow while changes keep coming; back
// under the lead, the account is forgotten.
func TestIssueTimeBeyondTheLead(t *testing.T) {
	base := time.Date(2026, 12, 4, 4, 0, 0, 0, time.UTC)
	s := base.Unix()
	acc := &natsv1alpha1.NatsAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "orders"}}
	acc.Status.JWT = "eyJ..."
	c := &Controller{secretLister: corelisters.NewSecretLister(cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{}))}
	prev := s + maxIssuedLead + 30
	at := func(now time.Time) (int64, time.Duration) {
		return c.issueTime(acc, &jwt.AccountClaims{ClaimsData: jwt.ClaimsData{IssuedAt: prev}}, now)
	}
	if iat, wait := at(base.Add(100 * time.Millisecond)); iat != prev+1 || wait != 0 {
		t.Fatalf("first: iat %+d, wait %s", iat-s, wait)
	}
	prev++
	if iat, wait := at(base.Add(300 * time.Millisecond)); iat != 0 || wait != 700*time.Millisecond {
		t.Fatalf("second in the same second: iat %+d, wait %s; want a wait for the next second", iat-s, wait)
	}
	if iat, wait := at(base.Add(time.Second)); iat != prev+1 || wait != 0 {
		t.Fatalf("next second: iat %+d, wait %s", iat-s, wait)
	}
	prev = s
	if iat, _ := at(base.Add(2 * time.Second)); iat != s+2 {
		t.Fatalf("back under the lead: iat %+d", iat-s)
	}
	if _, ok := c.overCap.Load(cache.ObjectName{Namespace: ns, Name: "orders"}); ok {
		t.Fatal("an account back under the lead is still remembered")
	}
}
