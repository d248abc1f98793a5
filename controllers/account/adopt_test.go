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
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nkeys"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/internal/testfixtures"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// TestSyncAdoptedRotationWaitsForSeed: raising the generation of an adopted account's default
// key before the user added its seed holds back nothing but the rotation: the key stays at its
// generation, Ready stays True, SigningKeysRotated turns False (one Warning) naming the data key,
// nothing uncached is read and no Secret written, and a deleted user is revoked meanwhile. With
// the seed added (the Secret's event re-queues) the scheduled rotation starts from it.
func TestSyncAdoptedRotationWaitsForSeed(t *testing.T) {
	identity, _ := testfixtures.NewKey(t, natsjwt.KindAccount)
	signing, oldPub := testfixtures.NewKey(t, natsjwt.KindAccount)
	seedOf := func(kp nkeys.KeyPair) []byte {
		s, err := kp.Seed()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	user := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "nsc"}, Data: map[string][]byte{
		naming.AccountIdentitySeed: seedOf(identity), naming.AccountSigningSeed(naming.DefaultSigningKey): seedOf(signing)}}
	acc := testfixtures.Account(ns, "orders", "main")
	acc.Spec.KeysSecretRef = &natsv1alpha1.KeysSecretReference{Name: "nsc"}
	f := newAccountFixture(t, acc, user)
	f.issued(t)
	if c := meta.FindStatusCondition(f.Account(ns, "orders").Status.Conditions, natsv1alpha1.ConditionSigningKeysRotated); c == nil ||
		c.Status != metav1.ConditionTrue || c.Reason != ReasonRotationSeedsProvided {
		t.Fatalf("SigningKeysRotated %+v before any rotation, want True %s", c, ReasonRotationSeedsProvided)
	}
	f.setRotation(t, func(acc *natsv1alpha1.NatsAccount) {
		acc.Spec.SigningKeyRotation = &natsv1alpha1.SigningKeyRotation{Generation: 1, GracePeriod: &metav1.Duration{Duration: time.Minute}}
	})
	before := f.Account(ns, "orders").Status

	if err := f.sync(t); err != nil {
		t.Fatalf("sync without the seed: %v, want Ready", err)
	}
	f.ExpectWrites("update natsaccounts/status orders")
	f.ExpectEvents("Warning " + ReasonRotationSeedMissing)
	if reads := f.Reads(); len(reads) != 0 {
		t.Errorf("uncached reads %v, want none", reads)
	}
	got := f.Account(ns, "orders").Status
	if c := meta.FindStatusCondition(got.Conditions, natsv1alpha1.ConditionReady); c == nil || c.Status != metav1.ConditionTrue || c.Reason != ReasonIssued {
		t.Fatalf("Ready %+v, want True %s: a missing rotation seed holds back nothing else", c, ReasonIssued)
	}
	if c := meta.FindStatusCondition(got.Conditions, natsv1alpha1.ConditionSigningKeysRotated); c == nil || c.Status != metav1.ConditionFalse ||
		c.Reason != ReasonRotationSeedMissing || !strings.Contains(c.Message, "signing-default.1.nk") || !strings.Contains(c.Message, ns+"/nsc") {
		t.Fatalf("SigningKeysRotated %+v, want False RotationSeedMissing naming data key signing-default.1.nk of Secret %s/nsc", c, ns)
	}
	if got.JWT != before.JWT || got.SigningKeys[0].PublicKey != oldPub || got.SigningKeys[0].Generation != 0 {
		t.Fatalf("status moved while the seed is missing: %+v", got.SigningKeys)
	}

	// Still without the seed: a deleted user is revoked at once, with no second Warning.
	f.Settle()
	gone := f.deleteUser(t, "gone")
	if err := f.sync(t); err != nil {
		t.Fatalf("sync with a deleted user: %v", err)
	}
	f.ExpectWrites("update natsaccounts/status orders")
	f.ExpectEvents("Normal " + EventRevoked)
	if _, ok := f.claims(t).Revocations[gone]; !ok {
		t.Fatalf("the deleted user %s is not revoked while the rotation waits for its seed", gone)
	}
	if sk := f.claims(t).SigningKeys; !sk.Contains(oldPub) || len(sk) != 1 {
		t.Fatalf("signing keys %v, want only the current %s", sk.Keys(), oldPub)
	}

	f.Settle()
	next, newPub := testfixtures.NewKey(t, natsjwt.KindAccount)
	user = user.DeepCopy()
	user.Data[naming.AccountSigningSeedAt(naming.DefaultSigningKey, 1)] = seedOf(next)
	f.Put(user)
	f.Settle()
	if err := f.sync(t); err != nil {
		t.Fatalf("sync with the seed: %v", err)
	}
	f.ExpectWrites("update natsaccounts/status orders")
	st := f.defaultKey(t)
	if st.Generation != 1 || st.PublicKey != newPub || st.PreviousPublicKey != oldPub || st.Phase != natsv1alpha1.SigningKeyRotating {
		t.Fatalf("default key %+v, want generation 1 Rotating from the user's seed %s", st, newPub)
	}
	if sk := f.claims(t).SigningKeys; !sk.Contains(oldPub) || !sk.Contains(newPub) {
		t.Errorf("the JWT must trust both keys during the overlap: %v", sk.Keys())
	}
}

// TestSyncAdoptedRotationInvalidSeedHeld: a new generation's data key that holds no account
// seed holds the rotation like a missing one (the key stays, Ready stays True), and the message
// names the data key, never its content.
func TestSyncAdoptedRotationInvalidSeedHeld(t *testing.T) {
	identity, _ := testfixtures.NewKey(t, natsjwt.KindAccount)
	signing, oldPub := testfixtures.NewKey(t, natsjwt.KindAccount)
	idSeed, _ := identity.Seed()
	skSeed, _ := signing.Seed()
	const junk = "not-a-seed-at-all"
	user := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "nsc"}, Data: map[string][]byte{
		naming.AccountIdentitySeed: idSeed, naming.AccountSigningSeed(naming.DefaultSigningKey): skSeed,
		naming.AccountSigningSeedAt(naming.DefaultSigningKey, 1): []byte(junk)}}
	acc := testfixtures.Account(ns, "orders", "main")
	acc.Spec.KeysSecretRef = &natsv1alpha1.KeysSecretReference{Name: "nsc"}
	f := newAccountFixture(t, acc, user)
	f.issued(t)
	f.setRotation(t, func(acc *natsv1alpha1.NatsAccount) {
		acc.Spec.SigningKeyRotation = &natsv1alpha1.SigningKeyRotation{Generation: 1}
	})
	if err := f.sync(t); err != nil {
		t.Fatalf("sync with an invalid new seed: %v, want Ready", err)
	}
	f.ExpectWrites("update natsaccounts/status orders")
	f.ExpectEvents("Warning " + ReasonRotationSeedMissing)
	got := f.Account(ns, "orders").Status
	c := meta.FindStatusCondition(got.Conditions, natsv1alpha1.ConditionSigningKeysRotated)
	if c == nil || c.Status != metav1.ConditionFalse || !strings.Contains(c.Message, "signing-default.1.nk") || strings.Contains(c.Message, junk) {
		t.Fatalf("SigningKeysRotated %+v, want False naming data key signing-default.1.nk and not its content", c)
	}
	if st := got.SigningKeys[0]; st.Generation != 0 || st.PublicKey != oldPub {
		t.Fatalf("default key %+v, want generation 0 with %s", st, oldPub)
	}
}
