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

func TestHashMatchesDecodedForEveryKind(t *testing.T) {
	op, err := OperatorClaims(testPub(t, "operator"), fullOperatorSpec(t))
	if err != nil {
		t.Fatal(err)
	}
	usr, err := UserClaims(testPub(t, "user"), fullUserSpec(t))
	if err != nil {
		t.Fatal(err)
	}
	act, err := ActivationClaims(testPub(t, "account"), "a.*", ExportService, "", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		c      jwt.Claims
		signer string
	}{
		{"operator", op, "operator"},
		{"account", mustAccount(t, fullAccountSpec(t)), "operator-signing"},
		{"user", usr, "account-signing"},
		{"activation", act, "account2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			signDecode(t, tc.c, tc.signer) // compares hashes
		})
	}
}

func TestHashIgnoresStamps(t *testing.T) {
	ac := mustAccount(t, fullAccountSpec(t))
	want := mustHash(t, ac)
	// Simulate a re-encode at another time, by another operator key: the
	// stamps differ, the content does not.
	stamped := *ac
	stamped.IssuedAt = 1700000000
	stamped.ID = "SOMEJTI"
	stamped.Issuer = testPub(t, "operator-signing")
	if got := mustHash(t, &stamped); got != want {
		t.Errorf("hash depends on iat/jti/iss: %s != %s", got, want)
	}
	// Hand-built claims lack type and version until Encode; hash alike.
	bare := *ac
	bare.Type, bare.Version = "", 0
	if got := mustHash(t, &bare); got != want {
		t.Errorf("hash depends on type/version: %s != %s", got, want)
	}
	if ac.IssuedAt != 0 || ac.Issuer != "" {
		t.Error("Hash modified its input")
	}
}

func TestHashDetectsChanges(t *testing.T) {
	base := AccountSpec{JetStream: &JetStreamLimits{DiskStorage: ptr[int64](1 << 62)}}
	other := AccountSpec{JetStream: &JetStreamLimits{DiskStorage: ptr[int64](1<<62 + 1)}}
	if mustHash(t, mustAccount(t, base)) == mustHash(t, mustAccount(t, other)) {
		t.Error("limits differing by 1 near 2^62 hash equally (float64 rounding?)")
	}
	if mustHash(t, mustAccount(t, AccountSpec{Name: "a"})) == mustHash(t, mustAccount(t, AccountSpec{Name: "b"})) {
		t.Error("name change did not change the hash")
	}
	u1, _ := UserClaims(testPub(t, "user"), UserSpec{IssuerAccount: testPub(t, "account")})
	u2, _ := UserClaims(testPub(t, "user2"), UserSpec{IssuerAccount: testPub(t, "account")})
	if mustHash(t, u1) == mustHash(t, u2) {
		t.Error("subject change did not change the hash")
	}
}

func TestHashExportOrder(t *testing.T) {
	// Same subject for a stream and a service export: jwt's sort by subject
	// may order them either way; the hash must not care.
	ac := mustAccount(t, AccountSpec{Exports: []Export{{Subject: "x", Type: ExportService}, {Subject: "x", Type: ExportStream}}})
	h := mustHash(t, ac)
	swapped := *ac
	swapped.Exports = jwt.Exports{ac.Exports[1], ac.Exports[0]}
	if mustHash(t, &swapped) != h {
		t.Error("hash depends on export order")
	}
}

func TestHashGeneric(t *testing.T) {
	token, err := DeleteRequest(testKey(t, "operator"), []string{testPub(t, "account")})
	if err != nil {
		t.Fatal(err)
	}
	decoded, err := jwt.DecodeGeneric(token)
	if err != nil {
		t.Fatal(err)
	}
	desired := jwt.NewGenericClaims(testPub(t, "operator"))
	desired.Data["accounts"] = []string{testPub(t, "account")}
	if mustHash(t, desired) != mustHash(t, decoded) {
		t.Error("generic claims hash differs after signing")
	}
	if _, err := Hash(nil); err == nil {
		t.Error("Hash(nil) succeeded")
	}
	var typedNil *jwt.AccountClaims
	if _, err := Hash(typedNil); err == nil {
		t.Error("Hash(typed nil) succeeded")
	}
	if _, _, err := Sign(typedNil, testKey(t, "operator")); err == nil {
		t.Error("Sign(typed nil) succeeded")
	}
	if err := CheckTimes(typedNil, time.Unix(0, 0)); err == nil {
		t.Error("CheckTimes(typed nil) succeeded")
	}
}
