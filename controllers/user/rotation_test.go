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
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/internal/testfixtures"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// rotate does what the account controller does when the default key starts a scheduled
// rotation to generation 1: the new seed goes into the key Secret and status names it, the old
// key as the previous one. edit adjusts the account status further. It returns the new key.
func (f *userFixture) rotate(t *testing.T, edit func(st *natsv1alpha1.NatsAccountStatus, newPub string)) string {
	t.Helper()
	kp, pub := testfixtures.NewKey(t, natsjwt.KindAccount)
	seed, err := kp.Seed()
	if err != nil {
		t.Fatal(err)
	}
	keys := f.Secret("nats", naming.AccountKeysSecret("orders")).DeepCopy()
	keys.Data[naming.AccountSigningSeedAt(naming.DefaultSigningKey, 1)] = seed
	acc := f.Account("nats", "orders").DeepCopy()
	old := acc.Status.SigningKeys[0].PublicKey
	acc.Status.SigningKeys[0] = natsv1alpha1.SigningKeyStatus{Name: naming.DefaultSigningKey, PublicKey: pub, Generation: 1,
		Phase: natsv1alpha1.SigningKeyRotating, PreviousPublicKey: old}
	if edit != nil {
		edit(&acc.Status, pub)
	}
	f.Put(keys)
	f.Put(acc)
	f.Settle()
	return pub
}

// TestSyncRotatedSigningKey: a user signed by the key a rotation replaced is re-issued by the
// new generation with the same claims, revoking nothing (the old JWT stays valid during the
// overlap), with a Normal Reissued event.
func TestSyncRotatedSigningKey(t *testing.T) {
	f := newUserFixture(t, nil)
	if err := f.sync(t); err != nil {
		t.Fatalf("first sync: %v", err)
	}
	f.Settle()
	before := f.creds(t)
	f.Clock.Step(2 * time.Second)
	newPub := f.rotate(t, nil)
	if err := f.sync(t); err != nil {
		t.Fatalf("sync: %v", err)
	}
	after := f.creds(t)
	if after.Issuer != newPub || after.Subject != before.Subject {
		t.Errorf("issuer %s subject %s, want the new key %s and the same user key", after.Issuer, after.Subject, newPub)
	}
	if got := f.User(ns, "api").Status; got.RevokedBefore != nil {
		t.Errorf("a rotation must revoke nothing, revokedBefore %v", got.RevokedBefore)
	}
	f.ExpectEvents("Normal " + EventReissued)
}

// TestSyncRotationWaits: while the resolver has not pushed the JWT that trusts the new key, or
// while the account JWT does not trust it yet, the user keeps its old credentials.
func TestSyncRotationWaits(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(t *testing.T, st *natsv1alpha1.NatsAccountStatus, newPub string)
	}{
		{"not pushed", func(_ *testing.T, st *natsv1alpha1.NatsAccountStatus, _ string) {
			st.ClaimsHash, st.PushedClaimsHash = "new", "old"
		}},
		{"not trusted", func(t *testing.T, st *natsv1alpha1.NatsAccountStatus, _ string) {
			st.JWT = accountJWT(t, st.PublicKey, st.SigningKeys[0].PreviousPublicKey)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newUserFixture(t, nil)
			if err := f.sync(t); err != nil {
				t.Fatalf("first sync: %v", err)
			}
			f.Settle()
			before := f.creds(t)
			f.rotate(t, func(st *natsv1alpha1.NatsAccountStatus, newPub string) { tc.edit(t, st, newPub) })
			err := f.sync(t)
			if _, ok := controllerhelpers.AsRequeue(err); !ok || controllerhelpers.IsTerminal(err) {
				t.Fatalf("want a retry, got %v", err)
			}
			if f.creds(t).Issuer != before.Issuer {
				t.Error("the credentials were re-issued before the new key could be used")
			}
		})
	}
}

// accountJWT is an account JWT for accountPub trusting only signingPub.
func accountJWT(t *testing.T, accountPub, signingPub string) string {
	t.Helper()
	op, err := nkeys.CreateOperator()
	if err != nil {
		t.Fatal(err)
	}
	ac := jwt.NewAccountClaims(accountPub)
	ac.SigningKeys.Add(signingPub)
	token, err := ac.Encode(op)
	if err != nil {
		t.Fatal(err)
	}
	return token
}
