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
	"strings"
	"testing"

	"github.com/nats-io/nkeys"
)

func TestNewKey(t *testing.T) {
	for kind, prefix := range map[KeyKind]string{KindOperator: "O", KindAccount: "A", KindUser: "U"} {
		kp, err := NewKey(kind)
		if err != nil {
			t.Fatalf("NewKey(%s): %v", kind, err)
		}
		pub, _ := kp.PublicKey()
		seed, _ := kp.Seed()
		if !strings.HasPrefix(pub, prefix) || !strings.HasPrefix(string(seed), "S"+prefix) {
			t.Errorf("NewKey(%s) made %s…", kind, pub[:1])
		}
		if err := ValidatePublicKey(pub, kind); err != nil {
			t.Errorf("ValidatePublicKey(new %s key): %v", kind, err)
		}
		if _, err := ParseSeed(seed, kind); err != nil {
			t.Errorf("ParseSeed(new %s seed): %v", kind, err)
		}
		kp.Wipe()
	}
	if _, err := NewKey(KeyKind(0)); !errors.Is(err, ErrWrongKeyType) {
		t.Errorf("NewKey(0) = %v", err)
	}
}

func TestParseSeed(t *testing.T) {
	cases := []struct {
		name string
		seed []byte
		kind KeyKind
		want error
		msg  string
	}{
		{"account", testSeed(t, "account"), KindAccount, nil, ""},
		{"trailing newline", append(testSeed(t, "user"), '\n'), KindUser, nil, ""},
		{"user seed as account", testSeed(t, "user"), KindAccount, ErrWrongKeyType, "seed is not an account seed (it is a user seed)"},
		{"account seed as operator", testSeed(t, "account"), KindOperator, ErrWrongKeyType, "seed is not an operator seed (it is an account seed)"},
		{"operator seed as user", testSeed(t, "operator"), KindUser, ErrWrongKeyType, "seed is not a user seed"},
		{"public key", []byte(testPub(t, "account")), KindAccount, ErrInvalidKey, "not a valid nkey seed"},
		{"garbage", []byte("not a seed"), KindAccount, ErrInvalidKey, ""},
		{"empty", nil, KindAccount, ErrInvalidKey, ""},
		{"bad kind", testSeed(t, "account"), KeyKind(9), ErrWrongKeyType, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			kp, err := ParseSeed(tc.seed, tc.kind)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("ParseSeed: %v", err)
				}
				if pub, _ := kp.PublicKey(); nkeys.Prefix(pub) == nkeys.PrefixByteUnknown {
					t.Errorf("bad key pair")
				}
				return
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("ParseSeed = %v; want %v containing %q", err, tc.want, tc.msg)
			}
		})
	}
}

func TestValidatePublicKey(t *testing.T) {
	cases := []struct {
		name string
		pub  string
		kind KeyKind
		want error
	}{
		{"account", testPub(t, "account"), KindAccount, nil},
		{"operator", testPub(t, "operator"), KindOperator, nil},
		{"user", testPub(t, "user"), KindUser, nil},
		{"user as account", testPub(t, "user"), KindAccount, ErrWrongKeyType},
		{"seed", string(testSeed(t, "account")), KindAccount, ErrInvalidKey},
		{"truncated", testPub(t, "account")[:55], KindAccount, ErrInvalidKey},
		{"empty", "", KindUser, ErrInvalidKey},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := ValidatePublicKey(tc.pub, tc.kind); !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Errorf("ValidatePublicKey = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestKeyKindString(t *testing.T) {
	if KindAccount.String() != "account" || KeyKind(7).String() != "KeyKind(7)" {
		t.Errorf("String() = %q, %q", KindAccount, KeyKind(7))
	}
}
