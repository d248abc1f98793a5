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
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"

	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// The status fields the resolver acts on (status.jwt, status.deleteRequest) can be written by
// anyone allowed to update a NatsAccount's status, and the servers' replies end up in condition
// messages. These targets check that nothing read from there panics, and that what passes the
// checks is what the checks promise.

// fuzzKeys are an operator signing key the resolver trusts, one it does not, and the account.
type fuzzKeys struct {
	trusted, untrusted nkeys.KeyPair
	trustedPub         string
	accountPub         string
}

func newFuzzKeys(f *testing.F) fuzzKeys {
	f.Helper()
	var k fuzzKeys
	var err error
	if k.trusted, err = natsjwt.NewKey(natsjwt.KindOperator); err != nil {
		f.Fatal(err)
	}
	if k.untrusted, err = natsjwt.NewKey(natsjwt.KindOperator); err != nil {
		f.Fatal(err)
	}
	k.trustedPub, _ = k.trusted.PublicKey()
	acc, err := natsjwt.NewKey(natsjwt.KindAccount)
	if err != nil {
		f.Fatal(err)
	}
	k.accountPub, _ = acc.PublicKey()
	return k
}

// accountJWT signs an account JWT for sub with signer.
func accountJWT(f *testing.F, sub string, signer nkeys.KeyPair) string {
	f.Helper()
	claims, err := natsjwt.AccountClaims(sub, natsjwt.AccountSpec{Name: "app"})
	if err != nil {
		f.Fatal(err)
	}
	token, _, err := natsjwt.Sign(claims, signer)
	if err != nil {
		f.Fatal(err)
	}
	return token
}

// FuzzTrustedClaims: any status.jwt either fails the trust check with one of its two errors,
// or is the account's own JWT issued by a trusted signing key.
func FuzzTrustedClaims(f *testing.F) {
	k := newFuzzKeys(f)
	good := accountJWT(f, k.accountPub, k.trusted)
	f.Add(good, true)
	f.Add(good, false)
	f.Add(accountJWT(f, k.accountPub, k.untrusted), true)
	f.Add(good[:len(good)-3]+"AAA", true)
	f.Add(strings.Replace(good, ".", "..", 1), true)
	f.Add("", true)
	f.Add("a.b.c", false)
	f.Fuzz(func(t *testing.T, token string, named bool) {
		pub := ""
		if named {
			pub = k.accountPub
		}
		claims, err := trustedClaims(token, pub, []string{k.trustedPub})
		if err != nil {
			if !errors.Is(err, ErrInvalidJWT) && !errors.Is(err, ErrUntrustedIssuer) {
				t.Fatalf("untyped trust error: %v", err)
			}
			if claims != nil {
				t.Fatal("claims returned with an error")
			}
			return
		}
		if claims.Issuer != k.trustedPub || (named && claims.Subject != k.accountPub) {
			t.Fatalf("trusted a JWT of %s issued by %s", claims.Subject, claims.Issuer)
		}
	})
}

// FuzzTrustedDeleteRequest: a delete request passes only when a trusted signing key signed it
// for itself and it names exactly the account, so a status write can never make the resolver
// delete other accounts from the servers.
func FuzzTrustedDeleteRequest(f *testing.F) {
	k := newFuzzKeys(f)
	good, err := natsjwt.DeleteRequest(k.trusted, []string{k.accountPub})
	if err != nil {
		f.Fatal(err)
	}
	untrusted, _ := natsjwt.DeleteRequest(k.untrusted, []string{k.accountPub})
	other, _ := natsjwt.DeleteRequest(k.trusted, []string{k.accountPub, k.trustedPub})
	for _, s := range []string{good, untrusted, other, good + "x", "", "..", accountJWT(f, k.accountPub, k.trusted)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		err := trustedDeleteRequest(token, k.accountPub, []string{k.trustedPub})
		if err != nil {
			if !errors.Is(err, ErrInvalidDeleteRequest) && !errors.Is(err, ErrUntrustedIssuer) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		gc, err := jwt.DecodeGeneric(token)
		if err != nil {
			t.Fatalf("accepted a request that does not decode: %v", err)
		}
		list, _ := gc.Data["accounts"].([]any)
		if gc.Issuer != k.trustedPub || gc.Subject != gc.Issuer || !slices.Equal(list, []any{k.accountPub}) {
			t.Fatalf("accepted %+v", gc)
		}
	})
}

// FuzzConditionMessage: whatever a server answers, the condition message built from it is one
// line, fits the limit, and stays valid UTF-8 when the text was.
func FuzzConditionMessage(f *testing.F) {
	f.Add("nats-0: jwt update resulted in error\nnats-1: timeout")
	f.Add(strings.Repeat("é", 600))
	f.Add(strings.Repeat("a", maxMessageLen-2) + "€")
	f.Add("\xff\xfe")
	f.Fuzz(func(t *testing.T, text string) {
		msg := conditionMessage(text)
		if len(msg) > maxMessageLen || strings.Contains(msg, "\n") {
			t.Fatalf("message of %d bytes, newline %t", len(msg), strings.Contains(msg, "\n"))
		}
		if utf8.ValidString(text) && !utf8.ValidString(msg) {
			t.Fatalf("truncation split a rune: %q", msg[max(0, len(msg)-8):])
		}
		if len(text) <= maxMessageLen && !strings.Contains(text, "\n") && msg != text {
			t.Fatalf("a short one-line text was changed: %q -> %q", text, msg)
		}
	})
}
