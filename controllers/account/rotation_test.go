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
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/internal/testfixtures"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// signingSeed parses the seed stored under dataKey in the account key Secret of orders.
func (f *accountFixture) signingSeed(t *testing.T, dataKey string) nkeys.KeyPair {
	t.Helper()
	keys := f.Secret(ns, naming.AccountKeysSecret("orders"))
	kp, err := natsjwt.ParseSeed(keys.Data[dataKey], natsjwt.KindAccount)
	if err != nil {
		t.Fatalf("seed %s: %v", dataKey, err)
	}
	return kp
}

// resign replaces the user JWT of creds with one signed by signer, as the user controller's
// re-issue does.
func resign(t *testing.T, creds *corev1.Secret, accountPub string, signer nkeys.KeyPair) *corev1.Secret {
	t.Helper()
	uc, err := jwt.DecodeUserClaims(string(creds.Data[naming.UserJWT]))
	if err != nil {
		t.Fatal(err)
	}
	uc.IssuerAccount = accountPub
	token, err := uc.Encode(signer)
	if err != nil {
		t.Fatal(err)
	}
	out := creds.DeepCopy()
	out.Data[naming.UserJWT] = []byte(token)
	return out
}

func (f *accountFixture) defaultKey(t *testing.T) natsv1alpha1.SigningKeyStatus {
	t.Helper()
	for _, sk := range f.Account(ns, "orders").Status.SigningKeys {
		if sk.Name == naming.DefaultSigningKey {
			return sk
		}
	}
	t.Fatal("no default signing key in status")
	return natsv1alpha1.SigningKeyStatus{}
}

// setRotation edits the stored account's spec as kubectl would and lets the caches catch up.
func (f *accountFixture) setRotation(t *testing.T, edit func(acc *natsv1alpha1.NatsAccount)) {
	t.Helper()
	acc := f.Account(ns, "orders").DeepCopy()
	edit(acc)
	acc.Generation++
	f.Put(acc)
	f.Settle()
}

// TestSyncScheduledRotation walks the default key through Rotating, Retiring and Active on a
// fake clock: both keys are trusted until the only user is re-signed by the new one and the
// grace period has passed; then the old key leaves the JWT and its seed leaves the Secret.
func TestSyncScheduledRotation(t *testing.T) {
	f := newAccountFixture(t, testfixtures.Account(ns, "orders", "main"))
	f.issued(t)
	accPub := f.Account(ns, "orders").Status.PublicKey
	oldPub := f.defaultKey(t).PublicKey
	live := testfixtures.User(ns, "live", ns, "orders")
	live.UID = "uid-live"
	creds, _, _ := credsOf(t, live, accPub)
	creds = resign(t, creds, accPub, f.signingSeed(t, naming.AccountSigningSeed(naming.DefaultSigningKey)))
	f.Put(live)
	f.Put(creds)
	f.setRotation(t, func(acc *natsv1alpha1.NatsAccount) {
		acc.Spec.SigningKeyRotation = &natsv1alpha1.SigningKeyRotation{Generation: 1, GracePeriod: &metav1.Duration{Duration: 10 * time.Minute}}
	})

	f.Clock.Step(time.Second)
	if err := f.sync(t); err != nil {
		t.Fatalf("start: %v", err)
	}
	f.ExpectEvents("Normal " + EventRotationStarted)
	st := f.defaultKey(t)
	if st.Phase != natsv1alpha1.SigningKeyRotating || st.Generation != 1 || st.PreviousPublicKey != oldPub || st.PublicKey == oldPub {
		t.Fatalf("status after start %+v", st)
	}
	if sk := f.claims(t).SigningKeys; !sk.Contains(oldPub) || !sk.Contains(st.PublicKey) {
		t.Errorf("the JWT must trust both keys during the overlap: %v", sk.Keys())
	}
	if keys := f.Secret(ns, naming.AccountKeysSecret("orders")).Data; keys[naming.AccountSigningSeed("default")] == nil || keys["signing-default.1.nk"] == nil {
		t.Errorf("both seeds must be kept: %v", len(keys))
	}
	f.Settle()
	if keys := f.c.secretAccounts(creds); len(keys) != 1 {
		t.Errorf("a rotating account must be re-queued by its users' creds Secrets, got %v", keys)
	}

	// The user still holds a JWT of the old key: nothing moves.
	if err := f.sync(t); err != nil {
		t.Fatalf("waiting: %v", err)
	}
	f.ExpectWrites()
	f.ExpectEvents()

	f.Put(resign(t, creds, accPub, f.signingSeed(t, "signing-default.1.nk")))
	f.Settle()
	err := f.sync(t)
	if r, ok := controllerhelpers.AsRequeue(err); !ok || r.After != 10*time.Minute {
		t.Fatalf("after the re-issue want a recheck at the grace period's end, got %v", err)
	}
	f.ExpectEvents("Normal " + EventUsersReissued)
	if st := f.defaultKey(t); st.Phase != natsv1alpha1.SigningKeyRetiring || st.UsersReissuedAt == nil {
		t.Fatalf("status after re-issue %+v", st)
	}
	f.Settle()

	f.Clock.Step(9 * time.Minute)
	if err := f.sync(t); err == nil {
		t.Fatal("within the grace period want a recheck")
	}
	if !f.claims(t).SigningKeys.Contains(oldPub) {
		t.Fatal("the old key left the JWT before its grace period ended")
	}
	f.Settle()

	f.Clock.Step(time.Minute)
	if err := f.sync(t); err != nil {
		t.Fatalf("retire: %v", err)
	}
	f.ExpectEvents("Normal " + EventOldKeyRetired)
	st = f.defaultKey(t)
	if st.Phase != natsv1alpha1.SigningKeyActive || f.claims(t).SigningKeys.Contains(oldPub) || !f.claims(t).SigningKeys.Contains(st.PublicKey) {
		t.Errorf("after retirement status %+v, JWT keys %v", st, f.claims(t).SigningKeys.Keys())
	}
	keys := f.Secret(ns, naming.AccountKeysSecret("orders")).Data
	if _, ok := keys[naming.AccountSigningSeed("default")]; ok || keys["signing-default.1.nk"] == nil || keys[naming.AccountIdentitySeed] == nil {
		t.Errorf("want only the retired seed removed, data keys: %d", len(keys))
	}
	f.Settle()
	if err := f.sync(t); err != nil {
		t.Fatalf("resync: %v", err)
	}
	f.ExpectWrites()
}

// TestSyncEmergencyRotation: an emergency rotation of a named scoped key drops the old key from
// the JWT in one sync, and its seed from the Secret in the next; the default key is untouched.
func TestSyncEmergencyRotation(t *testing.T) {
	acc := testfixtures.Account(ns, "orders", "main")
	acc.Spec.SigningKeys = []natsv1alpha1.AccountSigningKey{{Name: "ci", Scope: &natsv1alpha1.SigningKeyScope{}}}
	f := newAccountFixture(t, acc)
	f.issued(t)
	before := f.Account(ns, "orders").Status.SigningKeys
	f.setRotation(t, func(acc *natsv1alpha1.NatsAccount) {
		acc.Spec.SigningKeys[0].Rotation = &natsv1alpha1.SigningKeyRotation{Generation: 2, Mode: natsv1alpha1.RotationEmergency}
	})
	if err := f.sync(t); err != nil {
		t.Fatalf("sync: %v", err)
	}
	f.ExpectEvents("Normal "+EventRotationStarted, "Normal "+EventOldKeyRetired)
	after := f.Account(ns, "orders").Status.SigningKeys
	if after[0] != before[0] {
		t.Errorf("the default key changed: %+v", after[0])
	}
	ci := after[1]
	if ci.Phase != natsv1alpha1.SigningKeyActive || ci.Generation != 2 || ci.PreviousPublicKey != before[1].PublicKey || !ci.Scoped {
		t.Fatalf("status %+v", ci)
	}
	sk := f.claims(t).SigningKeys
	if sk.Contains(before[1].PublicKey) || !sk.Contains(ci.PublicKey) {
		t.Errorf("JWT keys %v", sk.Keys())
	}
	// The seed goes once the cache holds the Secret with the new one (its event re-queues).
	f.Settle()
	if err := f.sync(t); err != nil {
		t.Fatalf("resync: %v", err)
	}
	f.ExpectWrites("update secrets " + naming.AccountKeysSecret("orders"))
	keys := f.Secret(ns, naming.AccountKeysSecret("orders")).Data
	if _, ok := keys[naming.AccountSigningSeed("ci")]; ok || keys["signing-ci.2.nk"] == nil {
		t.Error("want the old ci seed removed and generation 2 stored")
	}
}

// TestSyncRotationGenerationDown: generations only go up; lowering one is the user's mistake.
func TestSyncRotationGenerationDown(t *testing.T) {
	acc := testfixtures.Account(ns, "orders", "main")
	acc.Spec.SigningKeyRotation = &natsv1alpha1.SigningKeyRotation{Generation: 3}
	f := newAccountFixture(t, acc)
	f.issued(t)
	if st := f.defaultKey(t); st.Generation != 3 || st.Phase != natsv1alpha1.SigningKeyActive || st.PreviousPublicKey != "" {
		t.Fatalf("a first issue at generation 3 has nothing to rotate from: %+v", st)
	}
	f.setRotation(t, func(acc *natsv1alpha1.NatsAccount) { acc.Spec.SigningKeyRotation.Generation = 2 })
	if err := f.sync(t); !controllerhelpers.IsTerminal(err) {
		t.Fatalf("want a terminal error, got %v", err)
	}
	if c := meta.FindStatusCondition(f.Account(ns, "orders").Status.Conditions, natsv1alpha1.ConditionReady); c == nil || c.Reason != ReasonInvalidSpec {
		t.Errorf("Ready %+v, want InvalidSpec", c)
	}
}

func TestSeedGeneration(t *testing.T) {
	for _, tc := range []struct {
		key, name string
		gen       int32
		ok        bool
	}{
		{"signing-default.nk", "default", 0, true},
		{"signing-default.12.nk", "default", 12, true},
		{"signing-default-2.nk", "default", 0, false},
		{"signing-default.02.nk", "default", 0, false},
		{"signing-default.x.nk", "default", 0, false},
		{"signing-ci.3.nk", "default", 0, false},
		{"account.nk", "default", 0, false},
	} {
		gen, ok := seedGeneration(tc.key, tc.name)
		if gen != tc.gen || ok != tc.ok {
			t.Errorf("seedGeneration(%q, %q) = %d, %v", tc.key, tc.name, gen, ok)
		}
	}
}
