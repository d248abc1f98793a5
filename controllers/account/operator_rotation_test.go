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

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/internal/testfixtures"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// TestSyncOperatorRotationSigner: during an operator signing-key rotation the account is
// signed by the previous generation until the operator status says every server trusts the
// new one, then re-signed by generation 1 with the same claims; a seed the cache does not hold
// yet makes the account wait instead of signing with another key.
func TestSyncOperatorRotationSigner(t *testing.T) {
	f := newAccountFixture(t, testfixtures.Account(ns, "orders", "main"))
	f.issued(t)
	oldPub, _ := f.signing.PublicKey()
	newKey, newPub := testfixtures.NewKey(t, natsjwt.KindOperator)
	op := f.Operator(ns, "main")
	op.Status.SigningKey = &natsv1alpha1.OperatorSigningKeyStatus{PublicKey: newPub, Generation: 1,
		Phase: natsv1alpha1.SigningKeyRotating, PreviousPublicKey: oldPub}
	op.Status.SigningKeys = []string{newPub, oldPub}
	f.Put(op)
	f.Settle()

	if err := f.sync(t); err != nil {
		t.Fatalf("rotating, servers not rolled: %v", err)
	}
	f.ExpectWrites()
	if iss := f.claims(t).Issuer; iss != oldPub {
		t.Fatalf("issuer %s before the roll, want the previous key %s", iss, oldPub)
	}

	now := metav1.NewTime(f.Clock.Now())
	op.Status.SigningKey.ServersRolledAt = &now
	f.Put(op)
	f.Settle()
	if err := f.sync(t); err == nil {
		t.Fatal("signed although the operator key Secret lacks signing.1.nk")
	}
	f.ExpectWrites("update natsaccounts/status orders")

	keys := f.Secret(ns, naming.OperatorKeysSecret("main"))
	seed, err := newKey.Seed()
	if err != nil {
		t.Fatal(err)
	}
	keys.Data[naming.OperatorSigningSeedAt(1)] = seed
	f.Put(keys)
	f.Settle()
	before := f.Account(ns, "orders").Status.ClaimsHash
	if err := f.sync(t); err != nil {
		t.Fatalf("rolled: %v", err)
	}
	got := f.Account(ns, "orders")
	if iss := f.claims(t).Issuer; iss != newPub || got.Status.ClaimsHash != before {
		t.Fatalf("issuer %s claims hash %s; want %s and the unchanged %s", iss, got.Status.ClaimsHash, newPub, before)
	}
	f.ExpectReady(got.Status.Conditions, metav1.ConditionTrue, ReasonIssued)
}
