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

package operator

import (
	"encoding/base64"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/internal/testfixtures"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// dropSeed removes data key from the operator key Secret (a restore from an older backup) and
// returns the seed.
func dropSeed(t *testing.T, f *testfixtures.Fixture, key string) []byte {
	t.Helper()
	secret := f.Secret(ns, naming.OperatorKeysSecret("main"))
	seed, ok := secret.Data[key]
	if !ok {
		t.Fatalf("key Secret has no %s", key)
	}
	delete(secret.Data, key)
	f.Put(secret)
	f.Settle()
	return seed
}

// expectSeedRefused: the sync is KeysMissing naming key, writes only the status, generates no
// seed and keeps the public keys the status names.
func expectSeedRefused(t *testing.T, f *testfixtures.Fixture, c *Controller, key string, before natsv1alpha1.NatsOperatorStatus) {
	t.Helper()
	dataBefore := slices.Sorted(maps.Keys(f.Secret(ns, naming.OperatorKeysSecret("main")).Data))
	if err := syncOperator(t, c); !controllerhelpers.IsTerminal(err) {
		t.Fatalf("sync: %v, want a terminal error", err)
	}
	f.ExpectWrites("update natsoperators/status main")
	f.ExpectEvents("Warning " + ReasonKeysMissing)
	got := f.Operator(ns, "main")
	if cond := f.ExpectReady(got.Status.Conditions, metav1.ConditionFalse, ReasonKeysMissing); !strings.Contains(cond.Message, key) {
		t.Errorf("Ready message %q does not name %s", cond.Message, key)
	}
	if dataAfter := slices.Sorted(maps.Keys(f.Secret(ns, naming.OperatorKeysSecret("main")).Data)); !slices.Equal(dataAfter, dataBefore) {
		t.Errorf("key Secret holds %v, had %v: a seed was generated", dataAfter, dataBefore)
	}
	if got.Status.PublicKey != before.PublicKey || !slices.Equal(got.Status.SigningKeys, before.SigningKeys) ||
		!equality.Semantic.DeepEqual(got.Status.SigningKey, before.SigningKey) {
		t.Errorf("status keys changed: %+v, were %+v", got.Status, before)
	}
	expectNoSeed(t, f, got)
}

// TestSyncRecordedSeedMissing: a key Secret that lacks a seed whose public key the status names
// (identity, the generation-0 signing key, or a rotated-to generation: a backup taken before
// the rotation) is KeysMissing and no seed is generated; restoring the seed makes it Ready.
func TestSyncRecordedSeedMissing(t *testing.T) {
	for _, tc := range []struct {
		name   string
		rotate bool
		key    string
	}{
		{"identity", false, naming.OperatorIdentitySeed},
		{"signing generation 0", false, naming.OperatorSigningSeed},
		{"signing generation 1", true, naming.OperatorSigningSeedAt(1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, c, _ := issuedOperator(t)
			if tc.rotate {
				setRotation(f, &natsv1alpha1.SigningKeyRotation{Generation: 1})
				if err := syncOperator(t, c); err != nil {
					t.Fatalf("start rotation: %v", err)
				}
				f.Settle()
			}
			before := f.Operator(ns, "main").Status
			seed := dropSeed(t, f, tc.key)
			f.ClearActions()
			expectSeedRefused(t, f, c, tc.key, before)

			f.Settle()
			secret := f.Secret(ns, naming.OperatorKeysSecret("main"))
			secret.Data[tc.key] = seed
			f.Put(secret)
			f.Settle()
			f.ClearActions()
			if err := syncOperator(t, c); err != nil {
				t.Fatalf("sync after the restore: %v", err)
			}
			f.ExpectWrites("update natsoperators/status main")
			got := f.Operator(ns, "main")
			f.ExpectReady(got.Status.Conditions, metav1.ConditionTrue, ReasonIssued)
			if !slices.Equal(got.Status.SigningKeys, before.SigningKeys) {
				t.Errorf("status.signingKeys %v, were %v", got.Status.SigningKeys, before.SigningKeys)
			}
		})
	}
}

// countingIndexer counts the account listings of a sync.
type countingIndexer struct {
	cache.Indexer
	listings int
}

func (i *countingIndexer) ByIndex(name, value string) ([]any, error) {
	if name == naming.AccountsByOperator {
		i.listings++
	}
	return i.Indexer.ByIndex(name, value)
}

// TestSyncRotationListsAccountsOnce: a Rotating operator lists its accounts only once the
// servers were rolled, and then once per sync (the step and the Ready message share it; the
// sync that records the roll lists them for the message).
func TestSyncRotationListsAccountsOnce(t *testing.T) {
	f, c, _ := issuedOperator(t)
	counter := &countingIndexer{Indexer: c.accountIndexer}
	c.accountIndexer = counter
	setRotation(f, &natsv1alpha1.SigningKeyRotation{Generation: 1})
	for i := range 2 {
		if err := syncOperator(t, c); err != nil {
			t.Fatalf("sync %d: %v", i, err)
		}
		f.Settle()
	}
	if counter.listings != 0 {
		t.Errorf("accounts listed %d times before the servers were rolled, want 0", counter.listings)
	}
	op := f.Operator(ns, "main")
	op.Status.ServersClaimsHash = op.Status.ClaimsHash
	f.Put(op)
	f.Settle()
	for i := range 2 {
		counter.listings = 0
		if err := syncOperator(t, c); err != nil {
			t.Fatalf("sync after the roll %d: %v", i, err)
		}
		f.Settle()
		if counter.listings != 1 {
			t.Errorf("sync %d after the roll listed the accounts %d times, want 1", i, counter.listings)
		}
	}
	if msg := ready(f.Operator(ns, "main")); !strings.Contains(msg, naming.SystemAccount("main")) {
		t.Errorf("Ready message %q does not name the account still signed by the old key", msg)
	}
}

// TestSyncRetiringKeepsRecheck: an operator that is NotReady while its previous signing key
// retires is still synced again when the grace period ends.
func TestSyncRetiringKeepsRecheck(t *testing.T) {
	f, c, _ := issuedOperator(t)
	setRotation(f, &natsv1alpha1.SigningKeyRotation{Generation: 1, GracePeriod: &metav1.Duration{Duration: time.Minute}})
	if err := syncOperator(t, c); err != nil {
		t.Fatalf("start: %v", err)
	}
	f.Settle()
	op := f.Operator(ns, "main")
	now := metav1.NewTime(f.Clock.Now())
	op.Status.SigningKey.Phase = natsv1alpha1.SigningKeyRetiring
	op.Status.SigningKey.ServersRolledAt, op.Status.SigningKey.AccountsResignedAt = &now, &now
	op.Spec.SigningKeys = []string{"not-a-key"} // InvalidSpec: a NotReady after the keys
	f.Put(op)
	f.Settle()
	f.Clock.Step(20 * time.Second)
	err := syncOperator(t, c)
	if r, ok := controllerhelpers.AsRequeue(err); !ok || r.After != 40*time.Second {
		t.Fatalf("sync: %v, want a recheck when the grace period ends in 40s", err)
	}
	f.ExpectReady(f.Operator(ns, "main").Status.Conditions, metav1.ConditionFalse, ReasonInvalidSpec)
}

// TestTokenIssuer: the payload's iss is read without a signature check; anything that is not
// a JWT has none.
func TestTokenIssuer(t *testing.T) {
	kp, pub := testfixtures.NewKey(t, natsjwt.KindOperator)
	_, accPub := testfixtures.NewKey(t, natsjwt.KindAccount)
	token, err := jwt.NewAccountClaims(accPub).Encode(kp)
	if err != nil {
		t.Fatal(err)
	}
	if got := tokenIssuer(token); got != pub {
		t.Errorf("tokenIssuer = %q, want %s", got, pub)
	}
	for _, bad := range []string{"", "a.b", "a.!!.c", "a." + base64.RawURLEncoding.EncodeToString([]byte("[1]")) + ".c"} {
		if got := tokenIssuer(bad); got != "" {
			t.Errorf("tokenIssuer(%q) = %q, want empty", bad, got)
		}
	}
}
