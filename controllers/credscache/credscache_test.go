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

package credscache

import (
	"bytes"
	"maps"
	"testing"

	"github.com/nats-io/jwt/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// signedCreds is a creds Secret as the user controller writes it.
func signedCreds(t *testing.T) (*corev1.Secret, *jwt.UserClaims) {
	t.Helper()
	account, err := natsjwt.NewKey(natsjwt.KindAccount)
	if err != nil {
		t.Fatal(err)
	}
	user, err := natsjwt.NewKey(natsjwt.KindUser)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := user.PublicKey()
	seed, _ := user.Seed()
	claims := jwt.NewUserClaims(pub)
	claims.Expires = 2000000000
	token, _, err := natsjwt.Sign(claims, account)
	if err != nil {
		t.Fatal(err)
	}
	file, err := natsjwt.FormatTrustedCreds(token, seed)
	if err != nil {
		t.Fatal(err)
	}
	uc, err := jwt.DecodeUserClaims(token)
	if err != nil {
		t.Fatal(err)
	}
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{naming.LabelSecretType: naming.SecretTypeCreds}},
		Data:       map[string][]byte{naming.UserCreds: file, naming.UserJWT: []byte(token), naming.UserSeed: seed},
	}, uc
}

// TestCompact: the cache keeps the seed, the JWT's claims and the digest of the whole data, and
// reads back the same digest, seed and claims as the live Secret; a second transform changes
// nothing, and other Secrets are left alone.
func TestCompact(t *testing.T) {
	live, uc := signedCreds(t)
	cached := live.DeepCopy()
	if _, err := Compact(cached); err != nil {
		t.Fatal(err)
	}
	if !IsCompact(cached) || IsCompact(live) {
		t.Fatal("IsCompact must tell the cached form from the live one")
	}
	size := 0
	for _, v := range cached.Data {
		size += len(v)
	}
	if size > 250 || bytes.Contains(cached.Data[naming.UserJWT], live.Data[naming.UserJWT]) {
		t.Fatalf("the cache keeps %d bytes of data: %q", size, cached.Data)
	}
	if DigestOf(cached) != DigestOf(live) || DigestOf(live) != Digest(live.Data) {
		t.Fatalf("digests differ: cached %s, live %s", DigestOf(cached), DigestOf(live))
	}
	if !bytes.Equal(Seed(cached), live.Data[naming.UserSeed]) {
		t.Fatal("the seed must stay")
	}
	want := Claims{Subject: uc.Subject, Issuer: uc.Issuer, IssuedAt: uc.IssuedAt, Expires: uc.Expires}
	for name, s := range map[string]*corev1.Secret{"cached": cached, "live": live} {
		if got, ok := ClaimsOf(s); !ok || got != want {
			t.Errorf("%s claims: %+v %v, want %+v", name, got, ok, want)
		}
	}
	again := cached.DeepCopy()
	if _, err := Compact(again); err != nil || !maps.EqualFunc(again.Data, cached.Data, bytes.Equal) {
		t.Fatalf("a second transform must change nothing: %q", again.Data)
	}
	keys := live.DeepCopy()
	keys.Labels[naming.LabelSecretType] = naming.SecretTypeKeys
	if _, err := Compact(keys); err != nil || !maps.EqualFunc(keys.Data, live.Data, bytes.Equal) {
		t.Fatal("only creds Secrets are compacted")
	}
}

// TestDigestCoversEveryKey: any change of a key or value changes the digest, including moving
// bytes between a key and its value, and a Secret whose JWT does not decode keeps no claims.
func TestDigestCoversEveryKey(t *testing.T) {
	base := map[string][]byte{"a": []byte("bc"), naming.UserJWT: []byte("x")}
	for name, d := range map[string]map[string][]byte{
		"value":     {"a": []byte("bd"), naming.UserJWT: []byte("x")},
		"boundary":  {"ab": []byte("c"), naming.UserJWT: []byte("x")},
		"extra key": {"a": []byte("bc"), naming.UserJWT: []byte("x"), "z": nil},
		"missing":   {"a": []byte("bc")},
	} {
		if Digest(d) == Digest(base) {
			t.Errorf("%s: same digest", name)
		}
	}
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{naming.LabelSecretType: naming.SecretTypeCreds}}, Data: maps.Clone(base)}
	if _, err := Compact(s); err != nil {
		t.Fatal(err)
	}
	if _, ok := ClaimsOf(s); ok || DigestOf(s) != Digest(base) {
		t.Fatalf("an undecodable JWT: claims must be absent and the digest kept: %q", s.Data)
	}
}
