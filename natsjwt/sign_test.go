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
	"slices"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
)

func TestSignKeyTypes(t *testing.T) {
	op, err := OperatorClaims(testPub(t, "operator"), OperatorSpec{Name: "op"})
	if err != nil {
		t.Fatal(err)
	}
	acc := mustAccount(t, AccountSpec{Name: "acc"})
	usr, err := UserClaims(testPub(t, "user"), UserSpec{IssuerAccount: testPub(t, "account")})
	if err != nil {
		t.Fatal(err)
	}
	act, err := ActivationClaims(testPub(t, "account"), "a.b", ExportStream, "", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		claims jwt.Claims
		signer string
		ok     bool
	}{
		{"operator by identity", op, "operator", true},
		{"operator by signing key", op, "operator-signing", false},
		{"operator by account", op, "account", false},
		{"account by operator", acc, "operator", true},
		{"account by operator signing key", acc, "operator-signing", true},
		{"account self-signed", acc, "account", false},
		{"account by user", acc, "user", false},
		{"user by account", usr, "account", true},
		{"user by account signing key", usr, "account-signing", true},
		{"user by operator", usr, "operator-signing", false},
		{"user by user", usr, "user", false},
		{"activation by account", act, "account2", true},
		{"activation by operator", act, "operator", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			token, _, err := Sign(tc.claims, testKey(t, tc.signer))
			switch {
			case tc.ok && err != nil:
				t.Errorf("Sign: %v", err)
			case !tc.ok && !errors.Is(err, ErrWrongKeyType):
				t.Errorf("Sign = %q, %v; want ErrWrongKeyType", token, err)
			}
		})
	}
}

func TestSignDoesNotMutate(t *testing.T) {
	spec := AccountSpec{Exports: []Export{{Subject: "b", Type: ExportStream}, {Subject: "a", Type: ExportStream}}}
	ac := mustAccount(t, spec)
	// Put the exports out of order by hand; Encode sorts in place.
	ac.Exports[0], ac.Exports[1] = ac.Exports[1], ac.Exports[0]
	before := slices.Clone(ac.Exports)
	h := mustHash(t, ac)
	if _, _, err := Sign(ac, testKey(t, "operator")); err != nil {
		t.Fatal(err)
	}
	if ac.Issuer != "" || ac.IssuedAt != 0 || ac.ID != "" {
		t.Errorf("Sign stamped the input: iss=%q iat=%d jti=%q", ac.Issuer, ac.IssuedAt, ac.ID)
	}
	if !slices.Equal(before, ac.Exports) {
		t.Error("Sign reordered the input's exports")
	}
	if mustHash(t, ac) != h {
		t.Error("hash changed after Sign")
	}
}

func TestSignRefusesInvalidClaims(t *testing.T) {
	// Hand-built claims bypass the builders; Sign must still catch them.
	uc := jwt.NewUserClaims(testPub(t, "user"))
	uc.Src.Add("not-a-cidr")
	uc.Pub.Allow.Add("a queue")
	_, _, err := Sign(uc, testKey(t, "account"))
	if !errors.Is(err, ErrInvalidSpec) {
		t.Fatalf("Sign(invalid user) = %v, want ErrInvalidSpec", err)
	}
	if n := len(issueFields(t, err)); n != 2 {
		t.Errorf("want 2 issues, got %d: %v", n, err)
	}

	ac := jwt.NewAccountClaims(testPub(t, "account"))
	ac.Limits.JetStreamLimits.DiskStorage = -1
	ac.Limits.JetStreamTieredLimits["R1"] = jwt.JetStreamLimits{DiskStorage: -1}
	if _, _, err := Sign(ac, testKey(t, "operator")); !errors.Is(err, ErrInvalidSpec) {
		t.Errorf("Sign(tiers+flat) = %v, want ErrInvalidSpec", err)
	}

	if _, _, err := Sign(jwt.NewAuthorizationRequestClaims(testPub(t, "user")), testKey(t, "account")); err == nil {
		t.Error("Sign accepted an unsupported claim type")
	}
	if _, _, err := Sign(nil, testKey(t, "account")); err == nil {
		t.Error("Sign accepted nil claims")
	}
}

func TestSignRefusesExpired(t *testing.T) {
	uc, err := UserClaims(testPub(t, "user"), UserSpec{IssuerAccount: testPub(t, "account"), Expires: time.Unix(1000, 0)})
	if err != nil {
		t.Fatalf("builders do not check the clock, but got %v", err)
	}
	if _, _, err := Sign(uc, testKey(t, "account")); !errors.Is(err, ErrExpired) {
		t.Errorf("Sign(expired) = %v, want ErrExpired", err)
	}
	// A future not-before is how credentials are issued ahead of time.
	uc, err = UserClaims(testPub(t, "user"), UserSpec{IssuerAccount: testPub(t, "account"), NotBefore: time.Date(2098, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Sign(uc, testKey(t, "account")); err != nil {
		t.Errorf("Sign(future nbf) = %v", err)
	}
}

func TestCheckTimes(t *testing.T) {
	now := time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)
	mk := func(exp, nbf int64) jwt.Claims {
		c := jwt.NewUserClaims(testPub(t, "user"))
		c.Expires, c.NotBefore = exp, nbf
		return c
	}
	cases := []struct {
		name string
		c    jwt.Claims
		want error
	}{
		{"no times", mk(0, 0), nil},
		{"expires now", mk(now.Unix(), 0), nil},
		{"expired a second ago", mk(now.Unix()-1, 0), ErrExpired},
		{"valid from now", mk(0, now.Unix()), nil},
		{"valid from next second", mk(0, now.Unix()+1), ErrNotYetValid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := CheckTimes(tc.c, now); !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Errorf("CheckTimes = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestDeleteRequest(t *testing.T) {
	accs := []string{testPub(t, "account2"), testPub(t, "account"), testPub(t, "account2")}
	token, err := DeleteRequest(testKey(t, "operator-signing"), accs)
	if err != nil {
		t.Fatal(err)
	}
	gc, err := jwt.DecodeGeneric(token)
	if err != nil {
		t.Fatal(err)
	}
	if gc.Subject != gc.Issuer || gc.Issuer != testPub(t, "operator-signing") {
		t.Errorf("sub=%s iss=%s, want both the signer", gc.Subject, gc.Issuer)
	}
	got, _ := gc.Data["accounts"].([]any)
	want := sortedUnique(accs)
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("nats.accounts = %v, want %v", got, want)
	}

	if _, err := DeleteRequest(testKey(t, "account"), accs); !errors.Is(err, ErrWrongKeyType) {
		t.Errorf("account signer: %v, want ErrWrongKeyType", err)
	}
	if _, err := DeleteRequest(testKey(t, "operator"), nil); !errors.Is(err, ErrInvalidSpec) {
		t.Errorf("no accounts: %v, want ErrInvalidSpec", err)
	}
	_, err = DeleteRequest(testKey(t, "operator"), []string{testPub(t, "user")})
	wantIssue(t, err, "accounts[0]", "user public key")
}
