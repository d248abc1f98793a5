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

package user

import (
	"fmt"
	"time"

	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
)

// Reasons of the Ready condition and of the events that report its transitions.
const (
	// ReasonIssued: the credentials are written to the Secret.
	ReasonIssued = "Issued"
	// ReasonAccountNotFound: spec.accountRef names no NatsAccount.
	ReasonAccountNotFound = "AccountNotFound"
	// ReasonNamespaceNotAllowed: the account does not allow users from this namespace.
	ReasonNamespaceNotAllowed = "NamespaceNotAllowed"
	// ReasonSystemAccountReserved: the account is a system account; only its operator's resolver
	// user may bind to it.
	ReasonSystemAccountReserved = "SystemAccountReserved"
	// ReasonAccountNotReady: the account has no identity or signing keys yet (waiting, no event).
	ReasonAccountNotReady = "AccountNotReady"
	// ReasonSigningKeyNotFound: spec.signingKey names no key of the account.
	ReasonSigningKeyNotFound = "SigningKeyNotFound"
	// ReasonSigningKeyInvalid: the account key Secret holds something that is not an account seed.
	ReasonSigningKeyInvalid = "SigningKeyInvalid"
	// ReasonSecretConflict: the target Secret exists and is not controlled by this NatsUser.
	ReasonSecretConflict = "SecretConflict"
	// ReasonKeysMissing: status.publicKey is set but the creds Secret holding its seed is gone.
	ReasonKeysMissing = "KeysMissing"
	// ReasonKeysInvalid: the creds Secret holds no valid user seed, or another key than the status.
	ReasonKeysInvalid = "KeysInvalid"
	// ReasonInvalidSpec: the spec cannot produce a valid user JWT.
	ReasonInvalidSpec = "InvalidSpec"
	// ReasonExpired: spec.expiration has passed; the credentials would be refused on arrival.
	ReasonExpired = "Expired"
)

// issued is the Ready outcome of a converged user; next, when set, is when its credentials are
// due for renewal or expire. The message names only public data.
func issued(secretName, publicKey string, expires time.Time, next time.Duration) controllerhelpers.Ready {
	msg := fmt.Sprintf("Secret %s holds the credentials of %s", secretName, publicKey)
	if !expires.IsZero() {
		msg += ", valid until " + expires.UTC().Format(time.RFC3339)
	}
	return controllerhelpers.Ready{Reason: ReasonIssued, Message: msg, QuietFirstReady: true,
		RecheckAfter: next, RecheckWhy: "credentials are due for renewal or expire"}
}
