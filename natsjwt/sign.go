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
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
)

// Sign validates claims and encodes them as a JWT signed by signer.
//
// It works on a copy: jwt's Encode stamps iss, iat, jti, type and version
// and sorts exports/imports in place, and Sign leaves the caller's claims
// untouched so they can still be hashed and compared.
//
// Before encoding it re-runs jwt's Validate (never sign invalid claims;
// time checks excluded, see below) and checks the signer's key type:
//
//   - operator claims: the operator identity key itself (self-signed);
//   - account claims: an operator key (identity or signing key); jwt would
//     also accept a self-signing account key, which this project never uses;
//   - user and activation claims: an account key;
//   - generic claims (delete requests): an operator key.
//
// iat comes from the wall clock inside jwt's Encode; this package never reads
// the clock itself, so Sign returns the issuedAt it got (taken from decoding
// the token, which also proves the token round-trips). Claims whose expiry is
// not after that issuedAt are refused with ErrExpired, since they would be
// useless on arrival. A not-before in the future is fine: that is how
// credentials are issued ahead of time.
func Sign(claims jwt.Claims, signer nkeys.KeyPair) (token string, issuedAt int64, err error) {
	if isNilClaims(claims) || signer == nil {
		return "", 0, errors.New("natsjwt: Sign needs claims and a signer")
	}
	cp, kind, _, err := prepareSign(claims, signer)
	if err != nil {
		return "", 0, err
	}
	token, err = cp.Encode(signer)
	if err != nil {
		return "", 0, fmt.Errorf("natsjwt: encoding %s claims: %w", kind, err)
	}
	cd, err := decodeClaimsData(cp, token)
	if err != nil {
		return "", 0, fmt.Errorf("natsjwt: signed %s JWT does not decode: %w", kind, err)
	}
	if cd.Expires != 0 && cd.Expires <= cd.IssuedAt {
		return "", 0, fmt.Errorf("%w: %s claims expire at %s, not after their issue time %s",
			ErrExpired, kind, unixString(cd.Expires), unixString(cd.IssuedAt))
	}
	return token, cd.IssuedAt, nil
}

// prepareSign copies claims for encoding (cloneForEncode), checks the signer's key type and
// re-runs jwt's Validate without its time checks. It returns the copy, the claim kind and the
// signer's public key.
func prepareSign(claims jwt.Claims, signer nkeys.KeyPair) (jwt.Claims, string, string, error) {
	signerPub, err := signer.PublicKey()
	if err != nil {
		return nil, "", "", fmt.Errorf("%w: signer has no public key: %v", ErrInvalidKey, err)
	}
	cp, kind, err := cloneForEncode(claims)
	if err != nil {
		return nil, "", "", err
	}
	if err := checkSigner(cp, kind, signerPub); err != nil {
		return nil, "", "", err
	}
	is := &issues{}
	vr := jwt.CreateValidationResults()
	cp.Validate(vr)
	is.addJWT("", vr)
	if err := is.err(kind); err != nil {
		return nil, "", "", err
	}
	return cp, kind, signerPub, nil
}

// decodeClaimsData decodes a token Sign just produced, the way its consumer
// will. jwt.Decode cannot verify generic claims: it treats their unknown
// type as a v1 token and checks the signature over the wrong bytes, so
// delete requests go through DecodeGeneric, as the server's handler does.
func decodeClaimsData(c jwt.Claims, token string) (*jwt.ClaimsData, error) {
	if _, ok := c.(*jwt.GenericClaims); ok {
		gc, err := jwt.DecodeGeneric(token)
		if err != nil {
			return nil, err
		}
		return gc.Claims(), nil
	}
	decoded, err := jwt.Decode(token)
	if err != nil {
		return nil, err
	}
	return decoded.Claims(), nil
}

// cloneForEncode copies the parts of claims that Encode mutates and names
// the claim kind. Only the claim types this project signs are supported.
func cloneForEncode(claims jwt.Claims) (jwt.Claims, string, error) {
	switch c := claims.(type) {
	case *jwt.OperatorClaims:
		cp := *c
		return &cp, "operator", nil
	case *jwt.AccountClaims:
		cp := *c
		cp.Exports = slices.Clone(c.Exports)
		cp.Imports = slices.Clone(c.Imports)
		return &cp, "account", nil
	case *jwt.UserClaims:
		cp := *c
		return &cp, "user", nil
	case *jwt.ActivationClaims:
		cp := *c
		return &cp, "activation", nil
	case *jwt.GenericClaims:
		cp := *c
		cp.Data = maps.Clone(c.Data)
		return &cp, "delete request", nil
	}
	return nil, "", fmt.Errorf("natsjwt: cannot sign claims of type %T", claims)
}

// checkSigner enforces the key type rules listed on Sign.
func checkSigner(c jwt.Claims, kind, signerPub string) error {
	want := KindOperator
	switch c.(type) {
	case *jwt.UserClaims, *jwt.ActivationClaims:
		want = KindAccount
	}
	if msg, _ := publicKeyProblem(signerPub, want); msg != "" {
		return fmt.Errorf("%w: %s claims must be signed by %s key: signer %s",
			ErrWrongKeyType, kind, want.withArticle(), msg)
	}
	if oc, ok := c.(*jwt.OperatorClaims); ok && signerPub != oc.Subject {
		return fmt.Errorf("%w: operator claims must be self-signed by the operator identity key %s, not by %s",
			ErrWrongKeyType, oc.Subject, signerPub)
	}
	return nil
}

// DeleteRequest returns the signed body for $SYS.REQ.CLAIMS.DELETE: generic
// claims with sub == iss == the signer and nats.accounts listing the
// accounts to delete (sorted, de-duplicated). signer must be an operator key
// the servers trust: a signing key, or the identity when the operator is not
// strict. The system account may not be listed; the server refuses it, and
// this package cannot tell which account that is.
func DeleteRequest(signer nkeys.KeyPair, accounts []string) (string, error) {
	if signer == nil {
		return "", errors.New("natsjwt: DeleteRequest needs a signer")
	}
	pub, err := signer.PublicKey()
	if err != nil {
		return "", fmt.Errorf("%w: signer has no public key: %v", ErrInvalidKey, err)
	}
	is := &issues{}
	if len(accounts) == 0 {
		is.add("accounts", "must list at least one account")
	}
	for i, a := range accounts {
		checkPublicKey(is, index("accounts", i), a, KindAccount)
	}
	if err := is.err("delete request"); err != nil {
		return "", err
	}
	gc := jwt.NewGenericClaims(pub)
	if gc == nil {
		return "", fmt.Errorf("%w: signer has an empty public key", ErrInvalidKey)
	}
	gc.Data["accounts"] = sortedUnique(accounts)
	token, _, err := Sign(gc, signer)
	return token, err
}

// CheckTimes reports whether claims are usable at now: ErrExpired when now
// is past exp, ErrNotYetValid when nbf is after now, using the server's
// second-resolution rules. Builders never look at the clock; controllers
// call this with their own (fakeable) clock to surface "expired" before
// signing or to decide when to re-issue.
func CheckTimes(c jwt.Claims, now time.Time) error {
	if isNilClaims(c) {
		return errors.New("natsjwt: CheckTimes needs claims")
	}
	cd := c.Claims()
	n := now.Unix()
	if cd.Expires > 0 && n > cd.Expires {
		return fmt.Errorf("%w: expired at %s", ErrExpired, unixString(cd.Expires))
	}
	if cd.NotBefore > 0 && cd.NotBefore > n {
		return fmt.Errorf("%w: valid from %s", ErrNotYetValid, unixString(cd.NotBefore))
	}
	return nil
}

// isNilClaims catches both a nil interface and a typed nil pointer of the
// claim types this package handles; either would panic further down.
func isNilClaims(c jwt.Claims) bool {
	switch v := c.(type) {
	case nil:
		return true
	case *jwt.OperatorClaims:
		return v == nil
	case *jwt.AccountClaims:
		return v == nil
	case *jwt.UserClaims:
		return v == nil
	case *jwt.ActivationClaims:
		return v == nil
	case *jwt.GenericClaims:
		return v == nil
	}
	return false
}

// unixString formats unix seconds as RFC 3339 UTC for messages.
func unixString(sec int64) string {
	return time.Unix(sec, 0).UTC().Format(time.RFC3339)
}
