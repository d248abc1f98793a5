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

func TestCompactRevocations(t *testing.T) {
	list := map[string]int64{"old": 100, "edge": 200, "new": 201, "*": 50}
	out := CompactRevocations(list, 200)
	want := map[string]int64{"new": 201, "*": 200}
	if !maps.Equal(out, want) {
		t.Errorf("CompactRevocations = %v, want %v", out, want)
	}
	if len(list) != 4 {
		t.Error("input was modified")
	}
	// Whatever was revoked stays revoked.
	for pub, ts := range list {
		if pub != "*" && !IsRevoked(out, pub, ts) {
			t.Errorf("%s at %d is no longer revoked", pub, ts)
		}
	}
	// "*" never moves back, and nothing changes without a cutoff.
	for _, upTo := range []int64{0, 10, 50} {
		if got := CompactRevocations(list, upTo); !maps.Equal(got, list) {
			t.Errorf("CompactRevocations(%d) = %v, want the list unchanged", upTo, got)
		}
	}
}

func TestPruneCutoff(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 30, 0, 0, time.UTC)
	hourAgo := now.Add(-time.Hour)
	for name, tc := range map[string]struct {
		life, skew, step time.Duration
		oldestLive       int64
		want             int64
	}{
		"no bound":            {0, 0, 0, 0, 0},
		"bound":               {time.Hour, 0, 0, 0, hourAgo.Unix()},
		"skew and step":       {time.Hour, time.Minute, time.Hour, 0, now.Add(-90 * time.Minute).Unix()},
		"before the live JWT": {time.Hour, 0, 0, hourAgo.Unix() - 10, hourAgo.Unix() - 11},
		"live JWT is newer":   {time.Hour, 0, 0, now.Unix(), hourAgo.Unix()},
	} {
		if got := PruneCutoff(now, tc.life, tc.skew, tc.step, tc.oldestLive); got != tc.want {
			t.Errorf("%s: PruneCutoff = %d, want %d", name, got, tc.want)
		}
	}
}
