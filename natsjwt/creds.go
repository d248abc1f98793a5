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
	"bytes"
	"fmt"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
)

// FormatCreds returns the .creds file for a user: the decorated user JWT
// followed by the decorated user seed, in jwt.FormatUserConfig's exact
// format (what nsc writes and every NATS client reads). It checks first that
// the JWT is a user JWT and that the seed is a user seed whose public key is
// the JWT subject, with error messages that never contain the seed. The
// returned bytes contain the seed: store them in a Secret only.
func FormatCreds(userJWT string, userSeed []byte) ([]byte, error) {
	uc, err := jwt.DecodeUserClaims(userJWT)
	if err != nil {
		return nil, fmt.Errorf("%w: not a valid user JWT: %v", ErrInvalidCreds, err)
	}
	kp, err := ParseSeed(userSeed, KindUser)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidCreds, err)
	}
	defer kp.Wipe()
	pub, err := kp.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("%w: user seed has no public key", ErrInvalidCreds)
	}
	if pub != uc.Subject {
		return nil, fmt.Errorf("%w: user seed belongs to %s but the JWT is for %s", ErrInvalidCreds, pub, uc.Subject)
	}
	out, err := jwt.FormatUserConfig(userJWT, bytes.TrimSpace(userSeed))
	if err != nil {
		// Unreachable after the checks above; jwt's messages are fixed
		// strings, but redact anyway in case that changes.
		return nil, fmt.Errorf("%w: %s", ErrInvalidCreds, redact(err.Error()))
	}
	return out, nil
}

// FormatTrustedCreds is FormatCreds for a JWT and seed the caller already knows belong together:
// it signed the JWT itself for the seed's public key, or decoded it and compared its subject. It
// only decorates them, without FormatCreds' two signature checks and two seed decodings, which
// dominated a restarted controller's first pass over thousands of unchanged users. The output is
// byte for byte FormatCreds' (tested), so files written by either compare equal.
func FormatTrustedCreds(userJWT string, userSeed []byte) ([]byte, error) {
	seed, err := jwt.DecorateSeed(userSeed)
	if err != nil || !bytes.HasPrefix(bytes.TrimSpace(userSeed), []byte("SU")) {
		return nil, fmt.Errorf("%w: not a user seed", ErrInvalidCreds)
	}
	out := make([]byte, 0, len(userJWT)+len(seed)+64)
	out = fmt.Appendf(out, "-----BEGIN NATS USER JWT-----\n%s\n------END NATS USER JWT------\n\n", userJWT)
	return append(out, seed...), nil
}

// ParseCreds splits a .creds file into the user JWT and the user key pair
// and checks that they belong together. A creds file without a seed (as
// some bearer-token setups use) is an error here, because this package only
// produces complete files. The caller owns the key pair and should Wipe it.
func ParseCreds(creds []byte) (string, nkeys.KeyPair, error) {
	token, err := jwt.ParseDecoratedJWT(creds)
	if err != nil {
		return "", nil, fmt.Errorf("%w: no JWT found: %s", ErrInvalidCreds, redact(err.Error()))
	}
	uc, err := jwt.DecodeUserClaims(token)
	if err != nil {
		return "", nil, fmt.Errorf("%w: the JWT block is not a valid user JWT: %s", ErrInvalidCreds, redact(err.Error()))
	}
	kp, err := jwt.ParseDecoratedUserNKey(creds)
	if err != nil {
		return "", nil, fmt.Errorf("%w: no user seed found: %s", ErrInvalidCreds, redact(err.Error()))
	}
	pub, err := kp.PublicKey()
	if err != nil || pub != uc.Subject {
		kp.Wipe()
		return "", nil, fmt.Errorf("%w: the seed does not belong to the JWT subject %s", ErrInvalidCreds, uc.Subject)
	}
	return token, kp, nil
}
