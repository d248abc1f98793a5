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
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
)

// TestErrorsNeverContainSeeds feeds seeds into every place a user or a
// corrupted Secret could put one and checks that no error message carries
// any 12-character piece of any seed. Errors end up in status conditions,
// events and logs.
func TestErrorsNeverContainSeeds(t *testing.T) {
	var errs []error
	errs = append(errs, seedParsingErrors(t)...)
	errs = append(errs, credsErrors(t)...)
	errs = append(errs, specErrors(t)...)
	for _, err := range errs {
		if err == nil {
			t.Error("a call that must fail succeeded")
			continue
		}
		msg := err.Error()
		for _, seed := range testSeeds() {
			s := string(seed)
			for i := 0; i+12 <= len(s); i++ {
				if strings.Contains(msg, s[i:i+12]) {
					t.Errorf("error contains part of a seed: %q", msg)
					break
				}
			}
		}
	}
	if len(errs) < 36 {
		t.Errorf("only %d errors checked; the test lost coverage", len(errs))
	}
}

// seedParsingErrors parses every test seed as every wrong kind, and
// corrupted copies of them.
func seedParsingErrors(t *testing.T) []error {
	var errs []error
	for name, seed := range testSeeds() {
		for _, kind := range []KeyKind{KindOperator, KindAccount, KindUser} {
			if kp, err := ParseSeed(seed, kind); err != nil {
				errs = append(errs, err)
			} else {
				kp.Wipe()
			}
		}
		corrupt := bytes.Clone(seed)
		corrupt[30] ^= 1
		_, err := ParseSeed(corrupt, KindAccount)
		errs = append(errs, err)
		if name == "user" {
			errs = append(errs, ValidatePublicKey(string(seed), KindUser))
		}
	}
	return errs
}

// credsErrors builds and parses creds with seeds that do not fit.
func credsErrors(t *testing.T) []error {
	userSeed := testSeed(t, "user")
	token := signedUser(t)
	creds, err := FormatCreds(token, userSeed)
	if err != nil {
		t.Fatal(err)
	}
	_, err1 := FormatCreds(token, testSeed(t, "user2"))
	_, err2 := FormatCreds(token, testSeed(t, "account"))
	_, err3 := FormatCreds(token, append(bytes.Clone(userSeed[:40]), "AAAAAAAAAAAAAAAAAA"...))
	_, _, err4 := ParseCreds(bytes.Replace(creds, userSeed, testSeed(t, "user2"), 1))
	_, _, err5 := ParseCreds(userSeed)
	return []error{err1, err2, err3, err4, err5}
}

// specErrors pastes seeds into every key field of the specs, and into
// hand-built claims that reach jwt's own (value-echoing) messages.
func specErrors(t *testing.T) []error {
	userSeed := string(testSeed(t, "user"))
	acctSeed := string(testSeed(t, "account"))
	opSeed := string(testSeed(t, "operator"))
	spec := AccountSpec{
		SigningKeys:       []string{acctSeed},
		ScopedSigningKeys: []ScopedSigningKey{{Key: acctSeed}},
		Imports:           []Import{{Subject: "a", Account: acctSeed, Type: ExportStream}},
		Exports:           []Export{{Subject: "b", Type: ExportStream, Revocations: map[string]int64{acctSeed: 1}}},
		Revocations:       map[string]int64{userSeed: 1},
		Mappings:          map[string][]WeightedMapping{userSeed: {{Subject: "x", Weight: 200}}},
	}
	_, err1 := AccountClaims(testPub(t, "account"), spec)
	_, err2 := OperatorClaims(testPub(t, "operator"), OperatorSpec{SigningKeys: []string{opSeed}, SystemAccount: acctSeed})
	_, err3 := UserClaims(testPub(t, "user"), UserSpec{IssuerAccount: acctSeed})
	_, err4 := ActivationClaims(acctSeed, "a", ExportStream, "", time.Time{})
	_, err5 := DeleteRequest(testKey(t, "operator"), []string{acctSeed})
	oc := jwt.NewOperatorClaims(testPub(t, "operator"))
	oc.SigningKeys.Add(opSeed)
	oc.SystemAccount = acctSeed
	_, _, err6 := Sign(oc, testKey(t, "operator"))
	return []error{err1, err2, err3, err4, err5, err6}
}

func TestRedact(t *testing.T) {
	seed := string(testSeed(t, "account"))
	got := redact("key " + seed + " is bad")
	if strings.Contains(got, seed) || !strings.Contains(got, "<redacted secret>") {
		t.Errorf("redact = %q", got)
	}
	if pub := testPub(t, "account"); redact(pub) != pub {
		t.Error("redact removed a public key")
	}
}
