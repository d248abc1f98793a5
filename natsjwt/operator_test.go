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
)

func fullOperatorSpec(t testing.TB) OperatorSpec {
	t.Helper()
	return OperatorSpec{
		Name:                  "acme",
		SigningKeys:           []string{testPub(t, "operator-signing")},
		SystemAccount:         testPub(t, "account2"),
		StrictSigningKeyUsage: true,
		ServiceURLs:           []string{"tls://nats-b:4222", "nats://nats-a:4222"},
		AccountServerURL:      "nats://nats-a:4222",
		Tags:                  []string{"Prod"},
		AssertServerVersion:   "2.10.0",
		Expires:               time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC),
	}
}

func TestOperatorClaimsRoundTrip(t *testing.T) {
	for name, spec := range map[string]OperatorSpec{"minimal": {Name: "x"}, "full": fullOperatorSpec(t)} {
		t.Run(name, func(t *testing.T) {
			oc, err := OperatorClaims(testPub(t, "operator"), spec)
			if err != nil {
				t.Fatalf("OperatorClaims: %v", err)
			}
			if oc.Issuer != "" {
				t.Errorf("desired operator claims have iss %q", oc.Issuer)
			}
			signDecode(t, oc, "operator")
		})
	}
	oc, err := OperatorClaims(testPub(t, "operator"), fullOperatorSpec(t))
	if err != nil {
		t.Fatal(err)
	}
	if oc.OperatorServiceURLs[0] != "nats://nats-a:4222" || oc.Tags[0] != "prod" {
		t.Errorf("lists not normalised: urls=%v tags=%v", oc.OperatorServiceURLs, oc.Tags)
	}
}

func TestOperatorClaimsRejects(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*OperatorSpec)
		field string
		frag  []string
	}{
		{"signing key wrong type", func(s *OperatorSpec) { s.SigningKeys = []string{testPub(t, "account")} }, "signingKeys[0]", []string{"not an operator public key"}},
		{"signing key is identity", func(s *OperatorSpec) { s.SigningKeys = []string{testPub(t, "operator")} }, "signingKeys[0]", []string{"identity"}},
		{"signing key garbage", func(s *OperatorSpec) { s.SigningKeys = []string{"OABC"} }, "signingKeys[0]", []string{"not a valid nkey"}},
		{"system account wrong type", func(s *OperatorSpec) { s.SystemAccount = testPub(t, "user") }, "systemAccount", []string{"user public key"}},
		{"service url scheme", func(s *OperatorSpec) { s.ServiceURLs = []string{"http://nats:4222"} }, "serviceURLs[0]", []string{"protocol not supported"}},
		{"service url path", func(s *OperatorSpec) { s.ServiceURLs = []string{"nats://nats:4222/x"} }, "serviceURLs[0]", []string{"paths"}},
		{"service url credentials", func(s *OperatorSpec) { s.ServiceURLs = []string{"nats://u:p@nats:4222"} }, "serviceURLs[0]", []string{"credentials"}},
		{"empty service url", func(s *OperatorSpec) { s.ServiceURLs = []string{""} }, "serviceURLs[0]", nil},
		{"account server without scheme", func(s *OperatorSpec) { s.AccountServerURL = "nats-a/jwt" }, "accountServerURL", []string{"scheme"}},
		{"account server without host", func(s *OperatorSpec) { s.AccountServerURL = "nats-a:4222" }, "accountServerURL", []string{"host"}},
		{"bad server version", func(s *OperatorSpec) { s.AssertServerVersion = "2.10" }, "assertServerVersion", []string{"major.minor.update"}},
		{"negative server version", func(s *OperatorSpec) { s.AssertServerVersion = "2.-1.0" }, "assertServerVersion", nil},
		{"expires before 1970", func(s *OperatorSpec) { s.Expires = time.Unix(0, 0) }, "expires", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec := fullOperatorSpec(t)
			tc.edit(&spec)
			_, err := OperatorClaims(testPub(t, "operator"), spec)
			wantIssue(t, err, tc.field, tc.frag...)
		})
	}
}

func TestOperatorClaimsBadPublicKey(t *testing.T) {
	if _, err := OperatorClaims(testPub(t, "account"), OperatorSpec{}); !errorsIs(err, ErrWrongKeyType) {
		t.Errorf("err = %v, want ErrWrongKeyType", err)
	}
}
