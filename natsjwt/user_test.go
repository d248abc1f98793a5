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

// fullUserSpec sets every field of UserSpec except Scoped.
func fullUserSpec(t testing.TB) UserSpec {
	t.Helper()
	return UserSpec{
		Name:          "worker-1",
		IssuerAccount: testPub(t, "account"),
		UserPermissionLimits: UserPermissionLimits{
			Permissions: Permissions{
				PubAllow: []string{"orders.>"}, PubDeny: []string{"orders.admin.>"},
				SubAllow: []string{"orders.jobs workers", "_INBOX.>"}, SubDeny: []string{"orders.secret"},
				Resp: &ResponsePermission{MaxMsgs: 5, TTL: 30 * time.Second},
			},
			Src:                    []string{"10.0.0.0/8", "2001:DB8::/32"},
			Times:                  []TimeRange{{Start: "22:00:00", End: "06:00:00"}, {Start: "08:00:00", End: "17:00:00"}},
			TimesLocation:          "Europe/Berlin",
			Subs:                   ptr[int64](100),
			Data:                   ptr[int64](0),
			Payload:                ptr[int64](4096),
			BearerToken:            true,
			AllowedConnectionTypes: []string{"WEBSOCKET", "STANDARD"},
		},
		Tags:      []string{"team:a"},
		Expires:   time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC),
		NotBefore: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
	}
}

func TestUserClaimsRoundTrip(t *testing.T) {
	cases := map[string]UserSpec{
		"minimal": {IssuerAccount: testPub(t, "account")},
		"full":    fullUserSpec(t),
		"scoped":  {Name: "scoped", IssuerAccount: testPub(t, "account"), Scoped: true, Tags: []string{"pool:blue"}},
	}
	for name, spec := range cases {
		t.Run(name, func(t *testing.T) {
			uc, err := UserClaims(testPub(t, "user"), spec)
			if err != nil {
				t.Fatalf("UserClaims: %v", err)
			}
			for _, signer := range []string{"account-signing", "account-scoped", "account"} {
				decoded := signDecode(t, uc, signer).(*jwt.UserClaims)
				if decoded.IssuerAccount != testPub(t, "account") {
					t.Errorf("issuer_account = %q, want the account identity", decoded.IssuerAccount)
				}
				if decoded.HasEmptyPermissions() != spec.Scoped {
					t.Errorf("HasEmptyPermissions = %v for scoped=%v", decoded.HasEmptyPermissions(), spec.Scoped)
				}
			}
		})
	}
}

func TestUserClaimsDefaults(t *testing.T) {
	uc, err := UserClaims(testPub(t, "user"), UserSpec{IssuerAccount: testPub(t, "account")})
	if err != nil {
		t.Fatal(err)
	}
	if l := uc.NatsLimits; l.Subs != -1 || l.Data != -1 || l.Payload != -1 {
		t.Errorf("unset user limits = %+v, want -1", l)
	}
	if uc.Expires != 0 || uc.NotBefore != 0 || uc.BearerToken {
		t.Errorf("unexpected defaults: exp=%d nbf=%d bearer=%v", uc.Expires, uc.NotBefore, uc.BearerToken)
	}
	full, err := UserClaims(testPub(t, "user"), fullUserSpec(t))
	if err != nil {
		t.Fatal(err)
	}
	if got := []string(full.Src); len(got) != 2 || got[0] != "10.0.0.0/8" || got[1] != "2001:db8::/32" {
		t.Errorf("src = %v, want sorted and lower-cased", got)
	}
	if full.Times[0].Start != "08:00:00" {
		t.Errorf("times not sorted: %v", full.Times)
	}
	if full.Data != 0 {
		t.Errorf("explicit data limit 0 became %d", full.Data)
	}
}

func TestUserClaimsRejects(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*UserSpec)
		field string
		frag  []string
	}{
		{"bad cidr", func(s *UserSpec) { s.Src = []string{"10.0.0.300/8"} }, "src[0]", []string{"CIDR"}},
		{"ip without mask", func(s *UserSpec) { s.Src = []string{"10.0.0.1"} }, "src[0]", nil},
		{"bad time start", func(s *UserSpec) { s.Times[1].Start = "8:00" }, "times[1].start", []string{"HH:MM:SS"}},
		{"bad time end", func(s *UserSpec) { s.Times[0].End = "25:00:00" }, "times[0].end", nil},
		{"missing time end", func(s *UserSpec) { s.Times[0].End = "" }, "times[0].end", []string{"must be set"}},
		{"bad timezone", func(s *UserSpec) { s.TimesLocation = "Mars/Olympus" }, "timesLocation", []string{"IANA"}},
		{"local timezone", func(s *UserSpec) { s.TimesLocation = "Local" }, "timesLocation", []string{"Local"}},
		{"pub with queue", func(s *UserSpec) { s.PubAllow = []string{"orders.> q1"} }, "pubAllow[0]", []string{"queue"}},
		{"pub deny with queue", func(s *UserSpec) { s.PubDeny = []string{"a q"} }, "pubDeny[0]", []string{"queue"}},
		{"sub bad queue", func(s *UserSpec) { s.SubAllow = []string{"a b.."} }, "subAllow[0]", nil},
		{"bad sub subject", func(s *UserSpec) { s.SubDeny = []string{""} }, "subDeny[0]", []string{"empty"}},
		{"unknown connection type", func(s *UserSpec) { s.AllowedConnectionTypes = []string{"websocket"} }, "allowedConnectionTypes[0]", []string{"STANDARD"}},
		{"limit below -1", func(s *UserSpec) { s.Payload = ptr[int64](-7) }, "payload", nil},
		{"missing issuer account", func(s *UserSpec) { s.IssuerAccount = "" }, "issuerAccount", []string{"signing key"}},
		{"issuer account wrong type", func(s *UserSpec) { s.IssuerAccount = testPub(t, "operator") }, "issuerAccount", []string{"operator public key"}},
		{"not before after expires", func(s *UserSpec) { s.NotBefore = s.Expires }, "notBefore", []string{"before expires"}},
		{"scoped with permissions", func(s *UserSpec) { s.Scoped = true }, "pubAllow", []string{"scoped"}},
		{"scoped with limits", func(s *UserSpec) { s.Scoped = true }, "subs", []string{"template"}},
		{"scoped with bearer", func(s *UserSpec) { s.Scoped = true }, "bearerToken", nil},
		{"bad tag", func(s *UserSpec) { s.Tags = []string{"\xfe"} }, "tags[0]", []string{"UTF-8"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec := fullUserSpec(t)
			tc.edit(&spec)
			_, err := UserClaims(testPub(t, "user"), spec)
			wantIssue(t, err, tc.field, tc.frag...)
		})
	}
}

func TestUserClaimsScopedListsEveryField(t *testing.T) {
	spec := fullUserSpec(t)
	spec.Scoped = true
	_, err := UserClaims(testPub(t, "user"), spec)
	got := issueFields(t, err)
	if len(got) != 13 {
		t.Errorf("scoped user with every field set: %d issues, want 13 (one per field): %v", len(got), got)
	}
}

func TestUserClaimsBadPublicKey(t *testing.T) {
	_, err := UserClaims(testPub(t, "account"), UserSpec{IssuerAccount: testPub(t, "account")})
	if !errorsIs(err, ErrWrongKeyType) {
		t.Errorf("err = %v, want ErrWrongKeyType", err)
	}
}
