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
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/jwt/v2"
)

// richAccountSpec has a bit of everything that goes under "nats", so the round trip covers more
// than the standard fields.
func richAccountSpec() AccountSpec {
	return AccountSpec{
		Name:        "orders",
		Tags:        []string{"team:a"},
		Exports:     []Export{{Subject: "orders.>", Type: ExportStream}, {Name: "svc", Subject: "api.>", Type: ExportService}},
		Revocations: map[string]int64{"*": 100},
		Mappings:    map[string][]WeightedMapping{"in": {{Subject: "out", Weight: 100}}},
	}
}

// TestSignAccountAtRoundTrip: jwt's decoder verifies the token, the claims come back as given
// with the iat the caller chose (also one in the future), the issuer is the signer, and the
// token hashes like the claims.
func TestSignAccountAtRoundTrip(t *testing.T) {
	ac := mustAccount(t, richAccountSpec())
	for _, iat := range []int64{1, time.Now().Unix() + 1, time.Now().Unix() + 3600} {
		token, err := SignAccountAt(ac, testKey(t, "operator-signing"), iat)
		if err != nil {
			t.Fatalf("SignAccountAt(%d): %v", iat, err)
		}
		decoded, err := jwt.DecodeAccountClaims(token)
		if err != nil {
			t.Fatalf("DecodeAccountClaims: %v", err)
		}
		if decoded.IssuedAt != iat || decoded.Issuer != testPub(t, "operator-signing") {
			t.Errorf("decoded iat %d iss %s, want %d and the signer", decoded.IssuedAt, decoded.Issuer, iat)
		}
		if diff := cmp.Diff(ac, decoded, claimsCmp...); diff != "" {
			t.Errorf("decoded claims differ (-given +decoded):\n%s", diff)
		}
		if mustHash(t, decoded) != mustHash(t, ac) {
			t.Error("the decoded claims hash differently")
		}
		vr := jwt.CreateValidationResults()
		decoded.Validate(vr)
		if vr.IsBlocking(true) {
			t.Errorf("jwt's Validate (time checks included) refuses iat %d: %v", iat, vr.Errors())
		}
	}
	if ac.Issuer != "" || ac.IssuedAt != 0 || ac.ID != "" {
		t.Errorf("SignAccountAt stamped its input: iss=%q iat=%d jti=%q", ac.Issuer, ac.IssuedAt, ac.ID)
	}
}

// TestSignAccountAtLayout: the header is jwt's, the signature is the signer's over
// header.payload, and a tampered payload no longer decodes.
func TestSignAccountAtLayout(t *testing.T) {
	token, err := SignAccountAt(mustAccount(t, richAccountSpec()), testKey(t, "operator"), 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 || !strings.HasPrefix(token, "eyJ") {
		t.Fatalf("token %q is not three parts starting with eyJ", token)
	}
	header, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || string(header) != `{"typ":"JWT","alg":"ed25519-nkey"}` {
		t.Errorf("header %s (%v)", header, err)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		t.Fatal(err)
	}
	if err := testKey(t, "operator").Verify([]byte(parts[0]+"."+parts[1]), sig); err != nil {
		t.Errorf("signature does not verify with the signer's key: %v", err)
	}
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	tampered := strings.Replace(string(payload), `"orders"`, `"orderz"`, 1)
	forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(tampered)) + "." + parts[2]
	if _, err := jwt.DecodeAccountClaims(forged); err == nil {
		t.Error("a tampered payload decodes")
	}
}

// TestSignAccountAtJTI: the jti follows the whole claims, so JWTs of the same second with other
// revocations differ in it (jwt's Encode gives them the same jti), and the same claims at the
// same iat give the same token.
func TestSignAccountAtJTI(t *testing.T) {
	signer := testKey(t, "operator")
	a := mustAccount(t, richAccountSpec())
	spec := richAccountSpec()
	spec.Revocations = map[string]int64{"*": 100, testPub(t, "user"): 200}
	b := mustAccount(t, spec)
	const iat = 2_000_000
	ta, err := SignAccountAt(a, signer, iat)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := SignAccountAt(b, signer, iat)
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := jwt.DecodeAccountClaims(ta)
	jb, _ := jwt.DecodeAccountClaims(tb)
	if ja.ID == "" || ja.ID == jb.ID {
		t.Errorf("jti %q and %q: want distinct and set", ja.ID, jb.ID)
	}
	again, err := SignAccountAt(a, signer, iat)
	if err != nil || again != ta {
		t.Errorf("signing the same claims at the same iat gave another token (%v)", err)
	}
}

// TestSignAccountAtRefuses: Sign's checks hold (signer key type, invalid claims), and so do
// an expiry not after the chosen iat and a missing iat.
func TestSignAccountAtRefuses(t *testing.T) {
	ac := mustAccount(t, AccountSpec{})
	if _, err := SignAccountAt(ac, testKey(t, "account"), 10); !errors.Is(err, ErrWrongKeyType) {
		t.Errorf("self-signed: %v, want ErrWrongKeyType", err)
	}
	bad := mustAccount(t, AccountSpec{})
	bad.Exports = append(bad.Exports, &jwt.Export{Subject: "a b", Type: jwt.Stream})
	if _, err := SignAccountAt(bad, testKey(t, "operator"), 10); !errors.Is(err, ErrInvalidSpec) {
		t.Errorf("invalid export: %v, want ErrInvalidSpec", err)
	}
	exp := mustAccount(t, AccountSpec{})
	exp.Expires = 100
	if _, err := SignAccountAt(exp, testKey(t, "operator"), 100); !errors.Is(err, ErrExpired) {
		t.Errorf("exp == iat: %v, want ErrExpired", err)
	}
	if _, err := SignAccountAt(exp, testKey(t, "operator"), 99); err != nil {
		t.Errorf("exp after iat: %v", err)
	}
	if _, err := SignAccountAt(ac, testKey(t, "operator"), 0); err == nil {
		t.Error("iat 0 was signed")
	}
	if _, err := SignAccountAt(nil, testKey(t, "operator"), 10); err == nil {
		t.Error("nil claims were signed")
	}
}

// TestSignAccountAtMatchesEncode: for the same claims and iat, the payload is the one jwt's
// Encode writes but for the jti, and the header is the same.
func TestSignAccountAtMatchesEncode(t *testing.T) {
	ac := mustAccount(t, richAccountSpec())
	signer := testKey(t, "operator-signing")
	viaEncode, iat, err := Sign(ac, signer)
	if err != nil {
		t.Fatal(err)
	}
	ours, err := SignAccountAt(ac, signer, iat)
	if err != nil {
		t.Fatal(err)
	}
	payload := func(token string) map[string]any {
		t.Helper()
		parts := strings.Split(token, ".")
		b, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "jti")
		return m
	}
	if diff := cmp.Diff(payload(viaEncode), payload(ours)); diff != "" {
		t.Errorf("payload differs from jwt's Encode (-Encode +ours):\n%s", diff)
	}
	if strings.Split(viaEncode, ".")[0] != strings.Split(ours, ".")[0] {
		t.Error("header differs from jwt's Encode")
	}
}
