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
	"errors"
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

// notReady is a failure the user sees as Ready=False with an actionable reason and message.
// Spec problems are terminal (the next edit re-queues the user); waiting ones resolve by
// themselves and are retried without a Warning event.
type notReady struct {
	reason  string
	message string
	waiting bool
}

func (e *notReady) Error() string { return e.reason + ": " + e.message }

// failed reports a problem only a change of the user, its account or its Secret can fix.
func failed(reason, format string, args ...any) error {
	return &notReady{reason: reason, message: fmt.Sprintf(format, args...)}
}

// waitingFor reports that an input is not there yet; the object that brings it re-queues us.
func waitingFor(reason, format string, args ...any) error {
	return &notReady{reason: reason, message: fmt.Sprintf(format, args...), waiting: true}
}

// asNotReady returns the notReady inside err, if any.
func asNotReady(err error) (*notReady, bool) {
	var nr *notReady
	ok := errors.As(err, &nr)
	return nr, ok
}

// outcomeOf maps a sync error to the Ready outcome to record and the error for the queue. ok is
// false for transient errors, which keep the current condition: a failed API call says nothing
// about the user's credentials. A nil error is ok with an empty outcome for the caller to fill.
func outcomeOf(err error) (outcome controllerhelpers.Outcome, queueErr error, ok bool) {
	if err == nil {
		return controllerhelpers.Outcome{}, nil, true
	}
	nr, isNotReady := asNotReady(err)
	if !isNotReady {
		return controllerhelpers.Outcome{}, err, false
	}
	outcome = controllerhelpers.Outcome{Reason: nr.reason, Message: nr.message, Waiting: nr.waiting}
	if nr.waiting {
		return outcome, controllerhelpers.Requeue("%s", nr.message), true
	}
	return outcome, controllerhelpers.Terminal(err), true
}

// issuedOutcome is the Ready outcome of a converged user. The message names only public data.
func issuedOutcome(secretName, publicKey string, expires time.Time) controllerhelpers.Outcome {
	msg := fmt.Sprintf("Secret %s holds the credentials of %s", secretName, publicKey)
	if !expires.IsZero() {
		msg += ", valid until " + expires.UTC().Format(time.RFC3339)
	}
	return controllerhelpers.Outcome{Ready: true, Reason: ReasonIssued, Message: msg, QuietFirstReady: true}
}
