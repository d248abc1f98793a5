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
	"maps"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/internal/testfixtures"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
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
