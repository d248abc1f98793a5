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
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

func TestRevokeUser(t *testing.T) {
	const pub = "UUSER"
	at := func(sec int64) *metav1.Time { return &metav1.Time{Time: time.Unix(sec, 0)} }
	user := func(revokedBefore, issuedAt, deleted *metav1.Time) *natsv1alpha1.NatsUser {
		u := &natsv1alpha1.NatsUser{}
		u.Status.PublicKey = pub
		u.Status.RevokedBefore, u.Status.IssuedAt, u.DeletionTimestamp = revokedBefore, issuedAt, deleted
		return u
	}
	for _, tc := range []struct {
		name       string
		list       map[string]int64
		user       *natsv1alpha1.NatsUser
		disallowed bool
		want       int64
	}{
		{"nothing to revoke", nil, user(nil, at(100), nil), false, 0},
		{"re-issued: up to revokedBefore-1", nil, user(at(200), at(200), nil), false, 199},
		{"deleted: up to the deletion", nil, user(nil, at(100), at(300)), false, 300},
		{"deleted after a later issue: up to the issue", nil, user(nil, at(400), at(300)), false, 400},
		{"re-issued, then deleted: up to the last issue", nil, user(at(500), at(500), at(300)), false, 500},
		{"never lowered", map[string]int64{pub: 1000}, user(at(200), at(200), nil), false, 1000},
		{"namespace no longer allowed: up to the current JWT", nil, user(nil, at(600), nil), true, 600},
		{"not allowed, then allowed and re-issued later: not lowered", map[string]int64{pub: 600}, user(nil, at(700), nil), false, 600},
	} {
		got := revokeUser(tc.list, tc.user, !tc.disallowed)
		if got[pub] != tc.want {
			t.Errorf("%s: revoked up to %d, want %d", tc.name, got[pub], tc.want)
		}
	}
	noKey := user(at(200), nil, at(300))
	noKey.Status.PublicKey = ""
	if got := revokeUser(map[string]int64{}, noKey, true); len(got) != 0 {
		t.Errorf("a user without a key revokes nothing: %v", got)
	}
	in := map[string]int64{"UOTHER": 7}
	if revokeUser(in, user(at(200), at(200), nil), true); len(in) != 1 {
		t.Error("revokeUser modified its input")
	}
}

// TestRevocationsCompaction: with spec.maxUserLifetime the entries older than the bound fold
// into "*", which stays below every live user's current JWT; without it nothing is dropped.
func TestRevocationsCompaction(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 30, 0, 0, time.UTC)
	ago := func(d time.Duration) int64 { return now.Add(-d).Unix() }
	acc := func(life time.Duration) *natsv1alpha1.NatsAccount {
		a := &natsv1alpha1.NatsAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "acc"}}
		if life > 0 {
			a.Spec.MaxUserLifetime = &metav1.Duration{Duration: life}
		}
		return a
	}
	liveUser := func(issued time.Duration) *natsv1alpha1.NatsUser {
		u := &natsv1alpha1.NatsUser{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "live"}}
		u.Spec.AccountRef.Name = "acc"
		u.Status.PublicKey = "ULIVE"
		u.Status.IssuedAt = &metav1.Time{Time: now.Add(-issued)}
		return u
	}
	current := &jwt.AccountClaims{}
	current.Revocations = jwt.RevocationList{"UOLD": ago(3 * time.Hour), "UNEW": ago(10 * time.Minute)}
	for _, tc := range []struct {
		name        string
		acc         *natsv1alpha1.NatsAccount
		live        *natsv1alpha1.NatsUser
		want        map[string]int64
		wantRecheck bool
	}{
		{"no bound keeps everything", acc(0), liveUser(time.Minute),
			map[string]int64{"UOLD": ago(3 * time.Hour), "UNEW": ago(10 * time.Minute)}, false},
		{"entries past the bound fold into *", acc(time.Hour), liveUser(30 * time.Minute),
			map[string]int64{"UNEW": ago(10 * time.Minute), "*": ago(90 * time.Minute)}, true},
		{"* stays below a live JWT issued before the bound", acc(time.Hour), liveUser(5 * time.Hour),
			map[string]int64{"UOLD": ago(3 * time.Hour), "UNEW": ago(10 * time.Minute)}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			idx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, naming.UserIndexers())
			if err := idx.Add(tc.live); err != nil {
				t.Fatal(err)
			}
			c := &Controller{userIndexer: idx}
			got, added, recheck := c.revocations(tc.acc, current, now)
			if !maps.Equal(got, tc.want) {
				t.Errorf("revocations = %v, want %v", got, tc.want)
			}
			if added != 0 {
				t.Errorf("added = %d: compaction adds no user entry", added)
			}
			if (recheck > 0) != tc.wantRecheck {
				t.Errorf("recheck = %s, want one: %v", recheck, tc.wantRecheck)
			}
			for pub, ts := range current.Revocations {
				if !natsjwt.IsRevoked(got, pub, ts) {
					t.Errorf("%s is no longer revoked", pub)
				}
			}
			if natsjwt.IsRevoked(got, "ULIVE", tc.live.Status.IssuedAt.Unix()) {
				t.Error("the live user's current JWT is revoked")
			}
		})
	}
}

// TestAdoptedAt: a key Secret created for another NatsAccount UID is adopted even when both were
// created in the same second; one created for this account is not; a Secret from before the
// created-for annotation falls back to comparing creation times.
func TestAdoptedAt(t *testing.T) {
	created := metav1.NewTime(time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC))
	acc := &natsv1alpha1.NatsAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "acc", UID: "new", CreationTimestamp: created}}
	for _, tc := range []struct {
		name        string
		annotations map[string]string
		secretAge   time.Duration
		adopted     bool
	}{
		{"created for an earlier account in the same second", map[string]string{naming.AnnotationCreatedFor: "old"}, 0, true},
		{"created for this account", map[string]string{naming.AnnotationCreatedFor: "new"}, 0, false},
		{"legacy Secret of the same second", nil, 0, false},
		{"legacy Secret older than the account", nil, time.Hour, true},
	} {
		secrets := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
		_ = secrets.Add(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: naming.AccountKeysSecret("acc"),
			Annotations: tc.annotations, CreationTimestamp: metav1.NewTime(created.Add(-tc.secretAge))}})
		c := &Controller{secretLister: corelisters.NewSecretLister(secrets)}
		if got := c.adoptedAt(acc) != 0; got != tc.adopted {
			t.Errorf("%s: adopted %v, want %v", tc.name, got, tc.adopted)
		}
	}
}
