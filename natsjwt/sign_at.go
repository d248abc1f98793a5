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
	"crypto/sha512"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
)

// SignAccountAt is Sign for account claims with an iat chosen by the caller instead of the
// current second. Full nats-servers merge their stores by iat (the newer wins, ties by jti),
// which has whole seconds, so two JWTs of one account signed in the same second have no order
// between servers; a caller that re-signs within a second gives the new JWT a later iat.
// jwt's Encode cannot: it always stamps the wall clock.
//
// The checks are Sign's (signer key type, jwt's Validate without time checks, an expiry after
// issuedAt). The token has the layout jwt's Encode writes, so jwt's decoder and the servers read
// it like any other:
//   - header {"typ":"JWT","alg":"ed25519-nkey"};
//   - payload: the claims as JSON, iss the signer, iat issuedAt, and jti the base32 (no padding)
//     SHA-512/256 of that JSON without a jti. It covers the whole claims, where jwt's covers only
//     the standard fields, so JWTs with other claims have another jti even with the same iat;
//   - the signer's ed25519 signature over "header.payload";
//   - the three parts base64url without padding, joined by dots.
//
// The token is decoded again before it is returned, which checks the signature and that the
// decoded iat is issuedAt.
func SignAccountAt(claims *jwt.AccountClaims, signer nkeys.KeyPair, issuedAt int64) (string, error) {
	if claims == nil || signer == nil {
		return "", errors.New("natsjwt: SignAccountAt needs claims and a signer")
	}
	if issuedAt <= 0 {
		return "", fmt.Errorf("natsjwt: SignAccountAt needs a positive issue time, not %d", issuedAt)
	}
	cp, _, signerPub, err := prepareSign(claims, signer)
	if err != nil {
		return "", err
	}
	ac := cp.(*jwt.AccountClaims)
	if err := ValidatePublicKey(ac.Subject, KindAccount); err != nil {
		return "", fmt.Errorf("%w: account claims subject: %v", ErrInvalidSpec, err)
	}
	if ac.Expires != 0 && ac.Expires <= issuedAt {
		return "", fmt.Errorf("%w: account claims expire at %s, not after their issue time %s",
			ErrExpired, unixString(ac.Expires), unixString(issuedAt))
	}
	token, err := encodeAccount(ac, signerPub, signer, issuedAt)
	if err != nil {
		return "", fmt.Errorf("natsjwt: encoding account claims: %w", err)
	}
	decoded, err := jwt.DecodeAccountClaims(token)
	if err != nil {
		return "", fmt.Errorf("natsjwt: signed account JWT does not decode: %w", err)
	}
	if decoded.IssuedAt != issuedAt || decoded.Issuer != signerPub {
		return "", fmt.Errorf("natsjwt: signed account JWT decodes with iat %d and iss %s", decoded.IssuedAt, decoded.Issuer)
	}
	return token, nil
}

// jwtHeader is the header of every JWT this package writes itself.
var jwtHeader = jwt.Header{Type: jwt.TokenTypeJwt, Algorithm: jwt.AlgorithmNkey}

// segment is one base64url part of a token, without padding.
var segment = base64.RawURLEncoding

// encodeAccount stamps ac (a copy owned by the caller) with iss, iat, type, version and jti and
// returns it signed, in the layout SignAccountAt describes.
func encodeAccount(ac *jwt.AccountClaims, issuer string, signer nkeys.KeyPair, issuedAt int64) (string, error) {
	ac.Issuer, ac.IssuedAt, ac.ID = issuer, issuedAt, ""
	ac.Type, ac.Version = jwt.AccountClaim, claimsVersion
	// jwt's Encode orders exports and imports by subject; stable, so equal subjects keep the
	// builder's order.
	slices.SortStableFunc(ac.Exports, func(a, b *jwt.Export) int { return strings.Compare(string(a.Subject), string(b.Subject)) })
	slices.SortStableFunc(ac.Imports, func(a, b *jwt.Import) int { return strings.Compare(string(a.Subject), string(b.Subject)) })
	unsigned, err := json.Marshal(ac)
	if err != nil {
		return "", err
	}
	sum := sha512.Sum512_256(unsigned)
	ac.ID = base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:])
	payload, err := json.Marshal(ac)
	if err != nil {
		return "", err
	}
	header, err := json.Marshal(jwtHeader)
	if err != nil {
		return "", err
	}
	signed := segment.EncodeToString(header) + "." + segment.EncodeToString(payload)
	sig, err := signer.Sign([]byte(signed))
	if err != nil {
		return "", err
	}
	return signed + "." + segment.EncodeToString(sig), nil
}
