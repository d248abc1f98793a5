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

package natsjwt

import (
	"maps"
	"testing"
	"time"
)

func TestRevokeUpTo(t *testing.T) {
	in := map[string]int64{"U1": 100}
	out := RevokeUpTo(in, "U1", 50)
	if out["U1"] != 100 {
		t.Errorf("entry moved backwards: %d", out["U1"])
	}
	out = RevokeUpTo(in, "U1", 200)
	if out["U1"] != 200 || in["U1"] != 100 {
		t.Errorf("got %d (input now %d), want 200 and an untouched input", out["U1"], in["U1"])
	}
	out = RevokeUpTo(nil, "*", 10)
	if out["*"] != 10 {
		t.Errorf("nil list: %v", out)
	}
	if out := RevokeUpTo(in, "U2", 0); len(out) != 1 {
		t.Errorf("issuedAt 0 added an entry: %v", out)
	}
}

func TestIsRevokedAndRevokedAt(t *testing.T) {
	list := map[string]int64{"U1": 100, "*": 50}
	cases := []struct {
		pub  string
		iat  int64
		want bool
	}{
		{"U1", 100, true},  // inclusive: same second is revoked
		{"U1", 101, false}, // a second later escapes
		{"U2", 50, true},   // covered by "*"
		{"U2", 51, false},
	}
	for _, tc := range cases {
		if got := IsRevoked(list, tc.pub, tc.iat); got != tc.want {
			t.Errorf("IsRevoked(%s, %d) = %v, want %v", tc.pub, tc.iat, got, tc.want)
		}
	}
	if got := RevokedAt(list, "U1"); got != 100 {
		t.Errorf("RevokedAt(U1) = %d", got)
	}
	if got := RevokedAt(list, "U2"); got != 50 {
		t.Errorf("RevokedAt(U2) = %d", got)
	}
	if got := RevokedAt(nil, "U2"); got != 0 {
		t.Errorf("RevokedAt(nil) = %d", got)
	}
}

func TestCanIssueAfter(t *testing.T) {
	at := int64(1_000_000)
	cases := []struct {
		name     string
		now      time.Time
		ok       bool
		wantWait time.Duration
	}{
		{"no revocation", time.Unix(at, 0), true, 0},
		{"same second", time.Unix(at, 300_000_000), false, 700 * time.Millisecond},
		{"second before", time.Unix(at-1, 0), false, 2 * time.Second},
		{"next second", time.Unix(at+1, 0), true, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			revokedAt := at
			if tc.name == "no revocation" {
				revokedAt = 0
			}
			ok, wait := CanIssueAfter(revokedAt, tc.now)
			if ok != tc.ok || wait != tc.wantWait {
				t.Errorf("CanIssueAfter = %v, %v; want %v, %v", ok, wait, tc.ok, tc.wantWait)
			}
			if !ok && IsRevoked(map[string]int64{"U": revokedAt}, "U", tc.now.Add(wait).Unix()) {
				t.Errorf("a JWT issued after waiting %v is still revoked", wait)
			}
		})
	}
}

func TestPruneRevocations(t *testing.T) {
	now := time.Unix(10_000, 0)
	list := map[string]int64{"old": 10_000 - 3601, "edge": 10_000 - 3600, "new": 9_999, "*": 1, "max": 1<<63 - 1}
	out := PruneRevocations(list, now, time.Hour)
	want := map[string]int64{"edge": 10_000 - 3600, "new": 9_999, "max": 1<<63 - 1}
	if !maps.Equal(out, want) {
		t.Errorf("PruneRevocations = %v, want %v", out, want)
	}
	if len(list) != 5 {
		t.Error("input was modified")
	}
	if out := PruneRevocations(list, now, 0); !maps.Equal(out, list) {
		t.Errorf("unbounded lifetime pruned: %v", out)
	}
	// A sub-second lifetime rounds up, never down.
	if out := PruneRevocations(map[string]int64{"U": 9_999}, now, time.Millisecond); len(out) != 1 {
		t.Errorf("entry whose JWTs may still be valid was pruned: %v", out)
	}
}
