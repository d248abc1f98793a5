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
	"errors"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
)

// The fuzz targets feed arbitrary strings and numbers into the builders.
// Builders must never panic; they either return an error of this package's
// kinds, or claims that sign, decode and hash back to the same value.

// unixOrZero turns a fuzzed number into an optional time.
func unixOrZero(sec int64) time.Time {
	if sec == 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0)
}

// optional turns a fuzzed string into a one-element list, or none for "",
// so fuzzing also explores specs that leave a list out.
func optional(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// checkBuildError fails unless err is one of the package's error kinds.
func checkBuildError(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, ErrInvalidSpec) && !errors.Is(err, ErrInvalidKey) && !errors.Is(err, ErrWrongKeyType) {
		t.Fatalf("unexpected error kind: %v", err)
	}
}

// checkSignedHash signs c and checks the decoded claims hash like c. Only
// ErrExpired may stop it: builders do not look at the clock, Sign does.
func checkSignedHash(t *testing.T, c jwt.Claims, signer string) {
	t.Helper()
	want, err := Hash(c)
	if err != nil {
		t.Fatalf("Hash(desired): %v", err)
	}
	token, _, err := Sign(c, testKey(t, signer))
	if errors.Is(err, ErrExpired) {
		return
	}
	if err != nil {
		t.Fatalf("builder accepted claims that Sign refuses: %v", err)
	}
	decoded, err := jwt.Decode(token)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	got, err := Hash(decoded)
	if err != nil {
		t.Fatalf("Hash(decoded): %v", err)
	}
	if got != want {
		t.Fatalf("hash changed across sign/decode:\ndesired %s\ndecoded %s", c, decoded)
	}
}

func FuzzAccountClaims(f *testing.F) {
	f.Add("acc", "orders.*", "service", "Stream", uint(2), "prices.>", "ext.>", "a.*", "b.{{wildcard(1)}}", uint8(50), "", int64(10), int64(-1), "", "team:x", "orders.* q", int64(0))
	f.Add("", "a.>", "stream", "", uint(0), "x", "", "m", "n", uint8(0), "east", int64(-1), int64(1<<40), "R3", "", "_INBOX.>", int64(4102444800))
	f.Add("x", "a..b", "queue", "Many", uint(9), "", "$1", "", "", uint8(200), "c", int64(-5), int64(0), "r1", " ", "a b c", int64(-1))
	f.Fuzz(func(t *testing.T, name, exportSubject, typ, respType string, tokenPos uint, importSubject, localSubject,
		mapFrom, mapTo string, weight uint8, cluster string, conn, mem int64, tier, tag, subPerm string, expires int64) {
		spec := AccountSpec{
			Name: name, Tags: optional(tag), Expires: unixOrZero(expires),
			Limits:             AccountLimits{Conn: &conn},
			DefaultPermissions: Permissions{SubAllow: optional(subPerm)},
			Exports:            []Export{{Subject: exportSubject, Type: typ, ResponseType: respType, AccountTokenPosition: tokenPos}},
			Imports:            []Import{{Subject: importSubject, LocalSubject: localSubject, Account: testPub(t, "account2"), Type: typ}},
			Mappings:           map[string][]WeightedMapping{mapFrom: {{Subject: mapTo, Weight: weight, Cluster: cluster}}},
		}
		if tier == "" {
			spec.JetStream = &JetStreamLimits{MemStorage: &mem}
		} else {
			spec.JetStreamTiers = map[string]JetStreamLimits{tier: {MemStorage: &mem}}
		}
		ac, err := AccountClaims(testPub(t, "account"), spec)
		if err != nil {
			checkBuildError(t, err)
			return
		}
		checkSignedHash(t, ac, "operator-signing")
		checkSignedAtHash(t, ac)
	})
}

// checkSignedAtHash signs account claims with SignAccountAt a second before their expiry (or
// at a fixed time without one) and checks that jwt's decoder takes the token with that iat and
// the claims' hash.
func checkSignedAtHash(t *testing.T, ac *jwt.AccountClaims) {
	t.Helper()
	iat := int64(1_800_000_000)
	if ac.Expires != 0 {
		iat = ac.Expires - 1
	}
	if iat <= 0 {
		return
	}
	token, err := SignAccountAt(ac, testKey(t, "operator-signing"), iat)
	if err != nil {
		t.Fatalf("builder accepted claims that SignAccountAt refuses: %v", err)
	}
	decoded, err := jwt.DecodeAccountClaims(token)
	if err != nil {
		t.Fatalf("DecodeAccountClaims: %v", err)
	}
	if decoded.IssuedAt != iat || mustHash(t, decoded) != mustHash(t, ac) {
		t.Fatalf("SignAccountAt round trip: iat %d (want %d), claims\n%s\ndecoded\n%s", decoded.IssuedAt, iat, ac, decoded)
	}
}

func FuzzUserClaims(f *testing.F) {
	f.Add("u", "orders.>", "orders.* q", "10.0.0.0/8", "08:00:00", "17:00:00", "Europe/Berlin", int64(5), "STANDARD", "team:a", false, true, int64(0), int64(0))
	f.Add("", "a b", "", "::1/128", "25:00:00", "", "Mars/Base", int64(-2), "ws", "", true, false, int64(4102444800), int64(1))
	f.Add("v", "", "", "", "", "", "", int64(-1), "", "", true, false, int64(4102444800), int64(1))
	f.Fuzz(func(t *testing.T, name, pub, sub, cidr, start, end, loc string, subs int64, connType, tag string,
		scoped, bearer bool, expires, notBefore int64) {
		spec := UserSpec{
			Name: name, IssuerAccount: testPub(t, "account"), Scoped: scoped, Tags: optional(tag),
			Expires: unixOrZero(expires), NotBefore: unixOrZero(notBefore),
		}
		if !scoped {
			spec.UserPermissionLimits = UserPermissionLimits{
				Permissions: Permissions{PubAllow: optional(pub), SubAllow: optional(sub)},
				Src:         optional(cidr), TimesLocation: loc,
				Subs: &subs, BearerToken: bearer, AllowedConnectionTypes: optional(connType),
			}
		}
		if start != "" || end != "" {
			spec.Times = []TimeRange{{Start: start, End: end}}
		}
		uc, err := UserClaims(testPub(t, "user"), spec)
		if err != nil {
			checkBuildError(t, err)
			return
		}
		checkSignedHash(t, uc, "account-signing")
	})
}

func FuzzOperatorClaims(f *testing.F) {
	f.Add("op", "", "", "nats://a:4222", "https://x/jwt", "2.10.0", "prod", true, int64(0))
	f.Add("", "OABC", "SAXX", "http://a", "a:1", "2.x.0", "", false, int64(-7))
	f.Add("", "", "", "", "", "", "", false, int64(4102444800))
	f.Fuzz(func(t *testing.T, name, signingKey, sysAccount, serviceURL, accountServerURL, version, tag string, strict bool, expires int64) {
		if signingKey == "" {
			signingKey = testPub(t, "operator-signing")
		}
		spec := OperatorSpec{
			Name: name, SigningKeys: []string{signingKey}, SystemAccount: sysAccount, StrictSigningKeyUsage: strict,
			ServiceURLs: optional(serviceURL), AccountServerURL: accountServerURL, Tags: optional(tag),
			AssertServerVersion: version, Expires: unixOrZero(expires),
		}
		oc, err := OperatorClaims(testPub(t, "operator"), spec)
		if err != nil {
			checkBuildError(t, err)
			return
		}
		checkSignedHash(t, oc, "operator")
	})
}

func FuzzActivationClaims(f *testing.F) {
	f.Add("billing.>", "service", "", int64(0))
	f.Add("a..b", "stream", "AXX", int64(-1))
	f.Add("prices.*", "stream", "exporter", int64(4102444800))
	f.Fuzz(func(t *testing.T, subject, kind, issuerAccount string, expires int64) {
		if issuerAccount == "exporter" {
			issuerAccount = testPub(t, "account2")
		}
		ac, err := ActivationClaims(testPub(t, "account"), subject, kind, issuerAccount, unixOrZero(expires))
		if err != nil {
			checkBuildError(t, err)
			return
		}
		checkSignedHash(t, ac, "account-signing")
	})
}
