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
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
)

// activationToken returns an activation for account to import subject
// from account2, signed by account2's identity key.
func activationToken(t testing.TB, subject, kind string) string {
	t.Helper()
	ac, err := ActivationClaims(testPub(t, "account"), subject, kind, "", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := Sign(ac, testKey(t, "account2"))
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// fullAccountSpec sets (almost) every field of AccountSpec.
func fullAccountSpec(t testing.TB) AccountSpec {
	t.Helper()
	return AccountSpec{
		Name:        "orders",
		Description: "Order processing",
		InfoURL:     "https://example.com/orders",
		Tags:        []string{"Team:Payments", "env:prod"},
		Expires:     time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC),
		Limits: AccountLimits{
			Conn: ptr[int64](100), LeafConn: ptr[int64](0), Subs: ptr[int64](1000),
			Data: ptr[int64](-1), Payload: ptr[int64](1 << 20), Imports: ptr[int64](10),
			Exports: ptr[int64](10), Wildcards: ptr(true), DisallowBearer: true,
		},
		JetStream: &JetStreamLimits{MemStorage: ptr[int64](1 << 30), DiskStorage: ptr[int64](1 << 62),
			Streams: ptr[int64](10), MaxAckPending: ptr[int64](1000), MaxBytesRequired: true},
		DefaultPermissions: Permissions{
			PubAllow: []string{"orders.>", "_INBOX.>"}, SubAllow: []string{"orders.* workers", "_INBOX.>"},
			PubDeny: []string{"orders.secret"}, Resp: &ResponsePermission{MaxMsgs: 1, TTL: time.Minute},
		},
		Exports: []Export{
			{Name: "events", Subject: "orders.events.>", Type: ExportStream, Advertise: true,
				Revocations: map[string]int64{testPub(t, "account2"): 1700000000}},
			{Name: "api", Subject: "orders.api.*", Type: ExportService, TokenRequired: true,
				ResponseType: jwt.ResponseTypeStream, ResponseThreshold: time.Second, AccountTokenPosition: 3,
				Description: "per-account API", InfoURL: "https://example.com/api"},
		},
		Imports: []Import{
			{Name: "billing", Subject: "billing.api", Account: testPub(t, "account2"), Type: ExportService,
				Token: activationToken(t, "billing.api", ExportService), Share: true},
			{Name: "prices", Subject: "prices.*.>", LocalSubject: "ext.prices.$1.>", Account: testPub(t, "account2"), Type: ExportStream},
		},
		Mappings: map[string][]WeightedMapping{
			"orders.new": {{Subject: "orders.new.v1", Weight: 90}, {Subject: "orders.new.v2", Weight: 10}},
			"orders.eu":  {{Subject: "orders.eu.a", Cluster: "eu"}, {Subject: "orders.us.a", Cluster: "us"}},
		},
		SigningKeys: []string{testPub(t, "account-signing")},
		ScopedSigningKeys: []ScopedSigningKey{{
			Key: testPub(t, "account-scoped"), Role: "worker", Description: "workers",
			Template: UserPermissionLimits{
				Permissions: Permissions{PubAllow: []string{"orders.{{name()}}.>"}, SubAllow: []string{"_INBOX.>"}},
				Src:         []string{"10.0.0.0/8"}, Subs: ptr[int64](5), AllowedConnectionTypes: []string{"STANDARD"},
			},
		}},
		Revocations: map[string]int64{testPub(t, "user"): 1700000000, "*": 1600000000},
	}
}

func TestAccountClaimsRoundTrip(t *testing.T) {
	tiers := AccountSpec{Name: "tiered", JetStreamTiers: map[string]JetStreamLimits{
		"R1": {DiskStorage: ptr[int64](1 << 30)},
		"R3": {MemStorage: ptr[int64](0), DiskStorage: ptr[int64](-1), Consumers: ptr[int64](7)},
	}}
	cases := map[string]AccountSpec{
		"minimal":          {},
		"full":             fullAccountSpec(t),
		"jetstream tiers":  tiers,
		"jetstream empty":  {JetStream: &JetStreamLimits{}},
		"no wildcards":     {Limits: AccountLimits{Wildcards: ptr(false)}, Exports: []Export{{Subject: "a.b", Type: ExportStream}}},
		"same subject x 2": {Exports: []Export{{Subject: "a.b", Type: ExportService}, {Subject: "a.b", Type: ExportStream}}},
	}
	for name, spec := range cases {
		t.Run(name, func(t *testing.T) {
			ac, err := AccountClaims(testPub(t, "account"), spec)
			if err != nil {
				t.Fatalf("AccountClaims: %v", err)
			}
			if ac.Issuer != "" || ac.IssuedAt != 0 || ac.ID != "" {
				t.Errorf("desired claims carry stamps: iss=%q iat=%d jti=%q", ac.Issuer, ac.IssuedAt, ac.ID)
			}
			signDecode(t, ac, "operator-signing")
			signDecode(t, ac, "operator")
		})
	}
}

func TestAccountClaimsDefaults(t *testing.T) {
	ac, err := AccountClaims(testPub(t, "account"), AccountSpec{})
	if err != nil {
		t.Fatal(err)
	}
	l := ac.Limits
	if l.Conn != -1 || l.LeafNodeConn != -1 || l.Subs != -1 || l.Data != -1 || l.Payload != -1 || l.Imports != -1 || l.Exports != -1 {
		t.Errorf("unset limits are not all -1: %+v", l)
	}
	if !l.WildcardExports || l.DisallowBearer {
		t.Errorf("wildcards=%v disallowBearer=%v, want true/false", l.WildcardExports, l.DisallowBearer)
	}
	if l.IsJSEnabled() || l.JetStreamLimits != (jwt.JetStreamLimits{}) {
		t.Errorf("JetStream enabled without a JetStream spec: %+v", l.JetStreamLimits)
	}

	ac, err = AccountClaims(testPub(t, "account"), AccountSpec{JetStream: &JetStreamLimits{}})
	if err != nil {
		t.Fatal(err)
	}
	want := jwt.JetStreamLimits{MemoryStorage: -1, DiskStorage: -1, Streams: -1, Consumer: -1}
	if ac.Limits.JetStreamLimits != want || !ac.Limits.IsJSEnabled() || !ac.Limits.JetStreamLimits.IsUnlimited() {
		t.Errorf("empty JetStream spec = %+v, want enabled and unlimited %+v", ac.Limits.JetStreamLimits, want)
	}

	ac, err = AccountClaims(testPub(t, "account"), AccountSpec{JetStream: &JetStreamLimits{
		MaxAckPending: ptr[int64](-1), MemMaxStreamBytes: ptr[int64](0), DiskMaxStreamBytes: ptr[int64](5)}})
	if err != nil {
		t.Fatal(err)
	}
	if j := ac.Limits.JetStreamLimits; j.MaxAckPending != 0 || j.MemoryMaxStreamBytes != 0 || j.DiskMaxStreamBytes != 5 {
		t.Errorf("per-stream limits = %+v, want -1 and 0 written as 0", j)
	}
}

func TestAccountClaimsOrderIndependent(t *testing.T) {
	a := fullAccountSpec(t)
	b := fullAccountSpec(t)
	b.Exports[0], b.Exports[1] = b.Exports[1], b.Exports[0]
	b.Imports[0], b.Imports[1] = b.Imports[1], b.Imports[0]
	b.Tags = []string{"env:prod", "team:payments", "ENV:PROD"}
	b.DefaultPermissions.PubAllow = []string{"_INBOX.>", "orders.>", "orders.>"}
	ha := mustHash(t, mustAccount(t, a))
	hb := mustHash(t, mustAccount(t, b))
	if ha != hb {
		t.Errorf("reordered spec hashes differently: %s vs %s", ha, hb)
	}
	b.Limits.Conn = ptr[int64](101)
	if mustHash(t, mustAccount(t, b)) == ha {
		t.Error("changing limits.conn did not change the hash")
	}
}

func TestAccountClaimsReportsEveryIssue(t *testing.T) {
	spec := AccountSpec{
		Limits:  AccountLimits{Conn: ptr[int64](-2)},
		Exports: []Export{{Subject: "bad..subject", Type: ExportStream}, {Subject: "ok", Type: "queue"}},
		Mappings: map[string][]WeightedMapping{
			"m": {{Subject: "x", Weight: 101}},
		},
	}
	_, err := AccountClaims(testPub(t, "account"), spec)
	got := issueFields(t, err)
	want := []string{"limits.conn", "exports[0].subject", "exports[1].type", `mappings["m"][0].weight`, `mappings["m"]`}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			t.Errorf("missing issue at %s in %v", w, err)
		}
	}
}

func TestAccountClaimsBadPublicKey(t *testing.T) {
	_, err := AccountClaims(testPub(t, "user"), AccountSpec{})
	if !errorsIs(err, ErrWrongKeyType) {
		t.Errorf("user key as account subject: err = %v, want ErrWrongKeyType", err)
	}
	_, err = AccountClaims("", AccountSpec{})
	if !errorsIs(err, ErrInvalidKey) {
		t.Errorf("empty account key: err = %v, want ErrInvalidKey", err)
	}
}

func mustAccount(t testing.TB, spec AccountSpec) *jwt.AccountClaims {
	t.Helper()
	ac, err := AccountClaims(testPub(t, "account"), spec)
	if err != nil {
		t.Fatal(err)
	}
	return ac
}

func mustHash(t testing.TB, c jwt.Claims) string {
	t.Helper()
	h, err := Hash(c)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
