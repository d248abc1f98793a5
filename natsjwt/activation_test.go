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

func TestActivationClaimsRoundTrip(t *testing.T) {
	exp := time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name, subject, kind, issuerAccount, signer string
	}{
		{"stream by identity", "prices.>", ExportStream, "", "account2"},
		{"service by signing key", "billing.api", ExportService, testPub(t, "account2"), "account-signing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ac, err := ActivationClaims(testPub(t, "account"), tc.subject, tc.kind, tc.issuerAccount, exp)
			if err != nil {
				t.Fatalf("ActivationClaims: %v", err)
			}
			decoded := signDecode(t, ac, tc.signer).(*jwt.ActivationClaims)
			if decoded.Subject != testPub(t, "account") || string(decoded.ImportSubject) != tc.subject || decoded.Expires != exp.Unix() {
				t.Errorf("decoded activation = %+v", decoded)
			}
		})
	}
}

func TestActivationTokenUsableInImport(t *testing.T) {
	token := activationToken(t, "billing.>", ExportService)
	spec := AccountSpec{Imports: []Import{{Subject: "billing.api", Account: testPub(t, "account2"), Type: ExportService, Token: token}}}
	if _, err := AccountClaims(testPub(t, "account"), spec); err != nil {
		t.Errorf("import with a matching activation: %v", err)
	}
	spec.Imports[0].Type = ExportStream
	_, err := AccountClaims(testPub(t, "account"), spec)
	wantIssue(t, err, "imports[0]", "mismatch")
}

func TestActivationClaimsRejects(t *testing.T) {
	importer := testPub(t, "account")
	cases := []struct {
		name                         string
		subject, kind, issuerAccount string
		expires                      time.Time
		field                        string
	}{
		{"empty subject", "", ExportStream, "", time.Time{}, "subject"},
		{"bad subject", "a..b", ExportStream, "", time.Time{}, "subject"},
		{"bad kind", "a", "Service", "", time.Time{}, "kind"},
		{"issuer account wrong type", "a", ExportStream, testPub(t, "operator"), time.Time{}, "issuerAccount"},
		{"expires before 1970", "a", ExportStream, "", time.Unix(-1, 0), "expires"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ActivationClaims(importer, tc.subject, tc.kind, tc.issuerAccount, tc.expires)
			wantIssue(t, err, tc.field)
		})
	}
	if _, err := ActivationClaims(testPub(t, "user"), "a", ExportStream, "", time.Time{}); !errorsIs(err, ErrWrongKeyType) {
		t.Errorf("user key as importer: err = %v, want ErrWrongKeyType", err)
	}
}
