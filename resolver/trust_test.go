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

package resolver

import (
	"errors"
	"strings"
	"testing"

	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// testKey returns a fresh key pair's public key, failing the test on error.
func testKey(t *testing.T, kind natsjwt.KeyKind) string {
	t.Helper()
	kp, err := natsjwt.NewKey(kind)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// signedAccount returns the JWT of a new account signed by a new operator key, with both
// public keys.
func signedAccount(t *testing.T) (token, accountPub, issuerPub string) {
	t.Helper()
	signer, err := natsjwt.NewKey(natsjwt.KindOperator)
	if err != nil {
		t.Fatal(err)
	}
	issuerPub, _ = signer.PublicKey()
	accountPub = testKey(t, natsjwt.KindAccount)
	claims, err := natsjwt.AccountClaims(accountPub, natsjwt.AccountSpec{Name: "app"})
	if err != nil {
		t.Fatal(err)
	}
	token, _, err = natsjwt.Sign(claims, signer)
	if err != nil {
		t.Fatal(err)
	}
	return token, accountPub, issuerPub
}

func TestTrustedClaims(t *testing.T) {
	token, accountPub, issuer := signedAccount(t)
	otherOperator := testKey(t, natsjwt.KindOperator)
	otherAccount := testKey(t, natsjwt.KindAccount)
	tests := []struct {
		name        string
		token, pub  string
		signingKeys []string
		wantErr     error
		wantReason  string
	}{
		{name: "signed by a signing key", token: token, pub: accountPub, signingKeys: []string{otherOperator, issuer}},
		{name: "status names no account yet", token: token, signingKeys: []string{issuer}},
		{name: "issuer is not a signing key", token: token, pub: accountPub, signingKeys: []string{otherOperator},
			wantErr: ErrUntrustedIssuer, wantReason: ReasonUntrustedIssuer},
		{name: "operator has no signing keys yet", token: token, pub: accountPub,
			wantErr: ErrUntrustedIssuer, wantReason: ReasonUntrustedIssuer},
		{name: "another account's JWT", token: token, pub: otherAccount, signingKeys: []string{issuer},
			wantErr: ErrInvalidJWT, wantReason: ReasonInvalidJWT},
		{name: "not a JWT", token: "not-a-jwt", pub: accountPub, signingKeys: []string{issuer},
			wantErr: ErrInvalidJWT, wantReason: ReasonInvalidJWT},
		{name: "tampered signature", token: token[:len(token)-4] + "AAAA", pub: accountPub, signingKeys: []string{issuer},
			wantErr: ErrInvalidJWT, wantReason: ReasonInvalidJWT},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			claims, err := trustedClaims(tc.token, tc.pub, tc.signingKeys)
			if tc.wantErr == nil {
				if err != nil || claims.Subject != accountPub || claims.Issuer != issuer {
					t.Fatalf("trustedClaims: %v, %+v", err, claims)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			if got := trustReason(err); got != tc.wantReason {
				t.Errorf("reason %s, want %s", got, tc.wantReason)
			}
			if strings.Contains(err.Error(), tc.token) {
				t.Errorf("the error quotes the token: %v", err)
			}
		})
	}
}
