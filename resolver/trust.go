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
	"fmt"
	"slices"

	"github.com/nats-io/jwt/v2"
)

// Errors of the trust check. They carry public keys only.
var (
	// ErrInvalidJWT: the token does not decode, or is not the account's own JWT.
	ErrInvalidJWT = errors.New("invalid account JWT")
	// ErrUntrustedIssuer: the token is not signed by a signing key of the operator.
	ErrUntrustedIssuer = errors.New("account JWT is not signed by an operator signing key")
)

// trustedClaims decodes token, which verifies its signature, and checks that it is the JWT of
// accountPub issued by one of signingKeys. The check happens here because nats-servers store any
// decodable account JWT on push and reject it only when loading it, which would turn a wrong
// issuer into clients failing to connect instead of a condition on the account.
// Only signing keys are trusted, never the operator identity: the controller signs accounts with
// a signing key, so an identity-signed JWT did not come from it. accountPub may be empty when
// the status does not name the account yet.
func trustedClaims(token, accountPub string, signingKeys []string) (*jwt.AccountClaims, error) {
	claims, err := jwt.DecodeAccountClaims(token)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidJWT, err)
	}
	if accountPub != "" && claims.Subject != accountPub {
		return nil, fmt.Errorf("%w: subject %s is not the account %s", ErrInvalidJWT, claims.Subject, accountPub)
	}
	if !slices.Contains(signingKeys, claims.Issuer) {
		return nil, fmt.Errorf("%w: issuer %s is not one of the operator's %d signing keys", ErrUntrustedIssuer,
			claims.Issuer, len(signingKeys))
	}
	return claims, nil
}

// trustReason is the Pushed condition reason for a failed trust check.
func trustReason(err error) string {
	if errors.Is(err, ErrUntrustedIssuer) {
		return ReasonUntrustedIssuer
	}
	return ReasonInvalidJWT
}
