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
	"maps"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/internal/testfixtures"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
)

// TestSyncRecordedSeedMissing: an account key Secret that lacks a seed whose public key the
// status names (identity, a signing key, a rotated-to generation of one) is KeysMissing; no seed
// is generated and the status keys stay; restoring the seed makes the account Ready again.
func TestSyncRecordedSeedMissing(t *testing.T) {
	for _, tc := range []struct {
		name   string
		rotate bool
		key    string
	}{
		{"identity", false, naming.AccountIdentitySeed},
		{"default signing key", false, naming.AccountSigningSeed(naming.DefaultSigningKey)},
		{"rotated-to generation", true, naming.AccountSigningSeedAt(naming.DefaultSigningKey, 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newAccountFixture(t, testfixtures.Account(ns, "orders", "main"))
			f.issued(t)
			if tc.rotate {
				f.setRotation(t, func(acc *natsv1alpha1.NatsAccount) {
					acc.Spec.SigningKeyRotation = &natsv1alpha1.SigningKeyRotation{Generation: 1}
				})
				if err := f.sync(t); err != nil {
					t.Fatalf("start rotation: %v", err)
				}
				f.Settle()
			}
			before := f.Account(ns, "orders").Status
			secret := f.Secret(ns, naming.AccountKeysSecret("orders"))
			seed := secret.Data[tc.key]
			if seed == nil {
				t.Fatalf("key Secret has no %s", tc.key)
			}
			delete(secret.Data, tc.key)
			f.Put(secret)
			f.Settle()
			dataBefore := slices.Sorted(maps.Keys(secret.Data))
			f.ClearActions()

			if err := f.sync(t); !controllerhelpers.IsTerminal(err) {
				t.Fatalf("sync: %v, want a terminal error", err)
			}
			f.ExpectWrites("update natsaccounts/status orders")
			f.ExpectEvents("Warning " + ReasonKeysMissing)
			got := f.Account(ns, "orders")
			if cond := readyOf(t, got); cond.Status != metav1.ConditionFalse || cond.Reason != ReasonKeysMissing || !strings.Contains(cond.Message, tc.key) {
				t.Errorf("Ready = %s/%s (%s), want False/KeysMissing naming %s", cond.Status, cond.Reason, cond.Message, tc.key)
			}
			if data := slices.Sorted(maps.Keys(f.Secret(ns, naming.AccountKeysSecret("orders")).Data)); !slices.Equal(data, dataBefore) {
				t.Errorf("key Secret holds %v, had %v: a seed was generated", data, dataBefore)
			}
			if got.Status.PublicKey != before.PublicKey || got.Status.JWT != before.JWT ||
				!equality.Semantic.DeepEqual(got.Status.SigningKeys, before.SigningKeys) {
				t.Errorf("status keys changed: %+v, were %+v", got.Status, before)
			}

			f.Settle()
			secret = f.Secret(ns, naming.AccountKeysSecret("orders"))
			secret.Data[tc.key] = seed
			f.Put(secret)
			f.Settle()
			// A rotation whose new key signs no user yet retires the old one after a grace period.
			if err := f.sync(t); err != nil {
				if _, ok := controllerhelpers.AsRequeue(err); !ok {
					t.Fatalf("sync after the restore: %v", err)
				}
			}
			got = f.Account(ns, "orders")
			if cond := readyOf(t, got); cond.Status != metav1.ConditionTrue || cond.Reason != ReasonIssued {
				t.Errorf("Ready = %s/%s (%s) after the restore, want True/%s", cond.Status, cond.Reason, cond.Message, ReasonIssued)
			}
			if !slices.Equal(signingPubs(got), signingPubs(&natsv1alpha1.NatsAccount{Status: before})) || got.Status.PublicKey != before.PublicKey {
				t.Errorf("status keys %+v after the restore, were %+v", got.Status, before)
			}
		})
	}
}

func readyOf(t *testing.T, acc *natsv1alpha1.NatsAccount) metav1.Condition {
	t.Helper()
	c := meta.FindStatusCondition(acc.Status.Conditions, natsv1alpha1.ConditionReady)
	if c == nil {
		t.Fatalf("no Ready condition in %+v", acc.Status.Conditions)
	}
	return *c
}

func signingPubs(acc *natsv1alpha1.NatsAccount) []string {
	var out []string
	for _, sk := range acc.Status.SigningKeys {
		out = append(out, sk.Name+"="+sk.PublicKey)
	}
	return out
}
