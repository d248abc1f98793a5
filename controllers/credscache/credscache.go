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

// Package credscache is what the controllers' Secret cache keeps of a creds Secret: instead of
// user.jwt and user.creds, the standard claims of the JWT and a digest of the Secret's data.
// Those two are most of a cached user's memory (the JWT and the creds file that repeats it),
// and the digest is what lets a sync trust the Secret without verifying it again: the user's
// status records the digest of the data the controller wrote or verified (status.credsDigest),
// and data with that digest is that data.
//
// The claims summary is decoded without checking the signature, so it says only what the
// Secret claims: the user controller trusts it only when the digest matches its status, and
// verifies the live Secret otherwise.
package credscache

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/nats-io/jwt/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/natsauth/nats-auth-operator/controllers/naming"
)

// The markers of compacted values; no JWT or creds file starts with a NUL byte.
const (
	digestPrefix = "\x00sha256:"
	claimsPrefix = "\x00claims:"
)

// Claims are the standard claims of a creds Secret's user JWT.
type Claims struct {
	Subject, Issuer   string
	IssuedAt, Expires int64
}

// Digest is the digest of a Secret's data as status.credsDigest records it: "sha256:" and the
// hex SHA-256 of every key and value, in key order, each with its length.
func Digest(data map[string][]byte) string {
	return "sha256:" + hex.EncodeToString(digest(data))
}

func digest(data map[string][]byte) []byte {
	h := sha256.New()
	var n [8]byte
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range data {
			if !yield(k) {
				return
			}
		}
	}) {
		for _, b := range [][]byte{[]byte(k), data[k]} {
			binary.BigEndian.PutUint64(n[:], uint64(len(b)))
			h.Write(n[:])
			h.Write(b)
		}
	}
	return h.Sum(nil)
}

// IsCompact reports whether s is a creds Secret as the cache keeps it (Compact): its data is
// not the Secret's data.
func IsCompact(s *corev1.Secret) bool {
	return bytes.HasPrefix(s.Data[naming.UserCreds], []byte(digestPrefix))
}

// DigestOf is Digest of the data s holds in the API, for a cached or a live Secret.
func DigestOf(s *corev1.Secret) string {
	if IsCompact(s) {
		return "sha256:" + hex.EncodeToString(s.Data[naming.UserCreds][len(digestPrefix):])
	}
	return Digest(s.Data)
}

// Seed is the user seed of a cached or a live creds Secret.
func Seed(s *corev1.Secret) []byte { return s.Data[naming.UserSeed] }

// ClaimsOf returns the standard claims of the user JWT of a cached or a live creds Secret,
// false when it holds none that decode. Not verified: see the package comment.
func ClaimsOf(s *corev1.Secret) (Claims, bool) {
	v := s.Data[naming.UserJWT]
	if rest, ok := bytes.CutPrefix(v, []byte(claimsPrefix)); ok {
		return parseClaims(string(rest))
	}
	return decodeClaims(v)
}

// decodeClaims reads the standard claims from a JWT's payload without checking its signature.
func decodeClaims(token []byte) (Claims, bool) {
	parts := bytes.Split(bytes.TrimSpace(token), []byte("."))
	if len(parts) != 3 {
		return Claims{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(string(parts[1]))
	if err != nil {
		return Claims{}, false
	}
	var c struct {
		Subject  string `json:"sub"`
		Issuer   string `json:"iss"`
		IssuedAt int64  `json:"iat"`
		Expires  int64  `json:"exp"`
		Nats     struct {
			Type string `json:"type"`
		} `json:"nats"`
	}
	if json.Unmarshal(payload, &c) != nil || c.Subject == "" || c.Nats.Type != string(jwt.UserClaim) {
		return Claims{}, false
	}
	return Claims{Subject: c.Subject, Issuer: c.Issuer, IssuedAt: c.IssuedAt, Expires: c.Expires}, true
}

func (c Claims) encode() string {
	return claimsPrefix + c.Subject + " " + c.Issuer + " " + strconv.FormatInt(c.IssuedAt, 10) + " " + strconv.FormatInt(c.Expires, 10)
}

func parseClaims(s string) (Claims, bool) {
	f := strings.Split(s, " ")
	if len(f) != 4 {
		return Claims{}, false
	}
	iat, err1 := strconv.ParseInt(f[2], 10, 64)
	exp, err2 := strconv.ParseInt(f[3], 10, 64)
	if err1 != nil || err2 != nil || f[0] == "" {
		return Claims{}, false
	}
	return Claims{Subject: f[0], Issuer: f[1], IssuedAt: iat, Expires: exp}, true
}

// Compact is a transform for the Secret informer: a creds Secret keeps its seed, the claims of
// its JWT (or an empty marker when it does not decode) and the digest of all its data; other
// Secrets are left as they are. Every write of a creds Secret sets its whole data, so a
// compacted value never reaches the apiserver.
func Compact(obj any) (any, error) {
	s, ok := obj.(*corev1.Secret)
	if !ok || s.Labels[naming.LabelSecretType] != naming.SecretTypeCreds || IsCompact(s) {
		return obj, nil
	}
	data := make(map[string][]byte, 3)
	if seed, ok := s.Data[naming.UserSeed]; ok {
		data[naming.UserSeed] = seed
	}
	claims := claimsPrefix
	if c, ok := decodeClaims(s.Data[naming.UserJWT]); ok {
		claims = c.encode()
	}
	data[naming.UserJWT] = []byte(claims)
	data[naming.UserCreds] = append([]byte(digestPrefix), digest(s.Data)...)
	s.Data = data
	return obj, nil
}
