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
	"errors"
	"strings"
	"testing"
)

// signedUser returns a user JWT for the "user" test key.
func signedUser(t testing.TB) string {
	t.Helper()
	uc, err := UserClaims(testPub(t, "user"), UserSpec{Name: "u", IssuerAccount: testPub(t, "account")})
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := Sign(uc, testKey(t, "account-signing"))
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func TestCredsRoundTrip(t *testing.T) {
	token := signedUser(t)
	creds, err := FormatCreds(token, append(testSeed(t, "user"), '\n'))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"-----BEGIN NATS USER JWT-----\n", "\n------END NATS USER JWT------\n",
		"-----BEGIN USER NKEY SEED-----\n", "\n------END USER NKEY SEED------\n", " IMPORTANT "} {
		if !bytes.Contains(creds, []byte(line)) {
			t.Errorf("creds lack %q", line)
		}
	}
	gotJWT, kp, err := ParseCreds(creds)
	if err != nil {
		t.Fatal(err)
	}
	defer kp.Wipe()
	if gotJWT != token {
		t.Error("ParseCreds returned a different JWT")
	}
	if pub, _ := kp.PublicKey(); pub != testPub(t, "user") {
		t.Errorf("ParseCreds key = %s", pub)
	}
}

func TestFormatCredsRejects(t *testing.T) {
	token := signedUser(t)
	acct := mustAccount(t, AccountSpec{})
	accToken, _, err := Sign(acct, testKey(t, "operator"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		jwt   string
		seed  []byte
		extra error
	}{
		{"other user's seed", token, testSeed(t, "user2"), nil},
		{"account seed", token, testSeed(t, "account"), ErrWrongKeyType},
		{"garbage seed", token, []byte("SUxxxx"), ErrInvalidKey},
		{"account JWT", accToken, testSeed(t, "user"), nil},
		{"not a JWT", "hello", testSeed(t, "user"), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FormatCreds(tc.jwt, tc.seed)
			if !errors.Is(err, ErrInvalidCreds) || (tc.extra != nil && !errors.Is(err, tc.extra)) {
				t.Errorf("FormatCreds = %v, want ErrInvalidCreds (and %v)", err, tc.extra)
			}
		})
	}
}

func TestParseCredsRejects(t *testing.T) {
	token := signedUser(t)
	good, err := FormatCreds(token, testSeed(t, "user"))
	if err != nil {
		t.Fatal(err)
	}
	other, err := FormatCreds(token, testSeed(t, "user"))
	if err != nil {
		t.Fatal(err)
	}
	mismatch := bytes.Replace(other, testSeed(t, "user"), testSeed(t, "user2"), 1)
	cases := map[string][]byte{
		"empty":         nil,
		"jwt only":      good[:bytes.Index(good, []byte("***"))],
		"seed mismatch": mismatch,
		"account seed":  bytes.Replace(good, testSeed(t, "user"), testSeed(t, "account"), 1),
		"garbage":       []byte(strings.Repeat("x", 100)),
	}
	for name, creds := range cases {
		t.Run(name, func(t *testing.T) {
			if _, kp, err := ParseCreds(creds); !errors.Is(err, ErrInvalidCreds) || kp != nil {
				t.Errorf("ParseCreds = %v, %v; want ErrInvalidCreds and no key", kp, err)
			}
		})
	}
}
