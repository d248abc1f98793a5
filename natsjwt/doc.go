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

// Package natsjwt turns plain Go specs into NATS keys, claims, JWTs and
// creds files. It is the pure core of the operator: no Kubernetes types, no
// network, no goroutines and no clock (a dependency test guards this).
// Controllers convert their CRDs into the spec types and call:
//
//	NewKey(kind) / ParseSeed(seed, kind) / ValidatePublicKey(pub, kind)
//	OperatorClaims(operatorPub, OperatorSpec)   → *jwt.OperatorClaims
//	AccountClaims(accountPub, AccountSpec)      → *jwt.AccountClaims
//	UserClaims(userPub, UserSpec)               → *jwt.UserClaims
//	ActivationClaims(importerPub, subject, kind, issuerAccount, expires)
//	Hash(claims)                                → status.claimsHash
//	Sign(claims, signer)                        → token, issuedAt
//	SignAccountAt(accountClaims, signer, iat)   → token with that iat
//	DeleteRequest(operatorSigner, accounts)     → body for $SYS.REQ.CLAIMS.DELETE
//	FormatCreds(userJWT, userSeed) / ParseCreds(creds)
//	CheckTimes(claims, now)
//	RevokeUpTo / RevokedAt / IsRevoked / CanIssueAfter / CompactRevocations / PruneCutoff
//
// # Determinism and the sign loop
//
// The builders are deterministic: the same spec gives claims with the same
// Hash, whatever the order of unordered lists in the spec. jwt's Encode is
// not: it stamps iat from the wall clock and derives jti from it. So a
// controller computes Hash(desired), compares it with the stored hash (and
// the signing key with the stored issuer), and signs only on a difference.
// Hash(desired) equals Hash(jwt.Decode*(Sign(desired))).
//
// # Time
//
// Times enter only as arguments (spec Expires/NotBefore, the now of
// CheckTimes, CanIssueAfter and PruneCutoff). The one exception is
// jwt's Encode, which sets iat from the wall clock; Sign returns that iat.
// SignAccountAt encodes account claims itself with the iat it is given, so
// that a controller can order the JWTs of one account within a second. The
// builders do not check expiry against a clock; CheckTimes does, with the
// caller's clock, and Sign and SignAccountAt refuse claims that expire at or
// before their own iat.
//
// # Errors
//
// Builders return *ValidationError (errors.Is(err, ErrInvalidSpec)) listing
// every problem with a field path such as `exports[0].subject` or
// `jetStreamTiers["R3"].memStorage`; prefix the path with the CRD's own
// (for example "spec."). User paths have no prefix (`pubAllow[0]`,
// `times[1].start`) because UserPermissionLimits is embedded in UserSpec.
// Key problems wrap ErrInvalidKey or
// ErrWrongKeyType; Sign's expiry refusal wraps ErrExpired; creds problems
// wrap ErrInvalidCreds. All are terminal: retrying with the same input fails
// the same way. No error contains a seed: our messages never echo key
// fields that are not valid public keys, and jwt's messages are passed
// through a redaction filter.
//
// # Semantics controllers must know
//
//   - Unset (nil) limits are -1, unlimited. 0 is a real limit.
//   - AccountSpec.JetStream nil and no JetStreamTiers: JetStream disabled.
//     A non-nil JetStream with nil storage fields: enabled and unlimited
//     (mem/disk/streams/consumers -1). MaxAckPending and the per-stream byte
//     caps use 0 for unlimited, as jwt does. Flat limits and tiers are
//     mutually exclusive; tier names must be R<replicas>.
//   - Never give the system account JetStream: a JetStream-enabled server
//     exits at startup. This package cannot tell which account is the system
//     account.
//   - Scoped signing key templates may not set subs/data/payload to 0: jwt
//     cannot round-trip 0 there and the server would see unlimited.
//   - Users always carry issuer_account (UserSpec.IssuerAccount is
//     required). Scoped users carry no permissions or limits at all.
//   - Sign accepts: operator claims from the operator identity key only;
//     account claims from operator keys; user and activation claims from
//     account keys; delete requests from operator keys.
//   - Decode a delete request with jwt.DecodeGeneric, as the server does:
//     jwt.Decode mistakes generic claims for v1 tokens and fails to verify
//     them.
//   - Wall clock matters once more for revocations: a user JWT issued in
//     the same second as its revocation is revoked too; see CanIssueAfter.
//   - times_location is checked against tzdata embedded in this package, so
//     validation does not depend on the controller image's zoneinfo.
//   - Mapping destinations get the checks nats-server 2.15.2 runs when an
//     account JWT is pushed (mapping.go): a destination it cannot build,
//     or one listed twice, would make it refuse the whole account.
//   - Subjects, queue names and tags refuse ASCII control characters,
//     although the server accepts most of them; invalid UTF-8 is refused
//     everywhere because JSON would rewrite it.
package natsjwt
