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

package account

import (
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
)

// Reasons of the Ready condition and of the events SetReady emits with them.
const (
	// ReasonIssued: the account JWT matches the spec and is signed by the operator's signing key.
	ReasonIssued = "Issued"
	// ReasonOperatorNotFound: spec.operatorRef names no NatsOperator in the account's namespace.
	ReasonOperatorNotFound = "OperatorNotFound"
	// ReasonOperatorNotReady: the operator's key Secret is not there (yet); the operator
	// controller creates it, and its creation re-queues the account.
	ReasonOperatorNotReady = "OperatorNotReady"
	// ReasonOperatorKeysInvalid: the operator key Secret holds something that is not an
	// operator seed.
	ReasonOperatorKeysInvalid = "OperatorKeysInvalid"
	// ReasonKeysMissing: status.publicKey names an identity whose key Secret is gone. Nothing is
	// regenerated: a new account key would orphan the account's JetStream data.
	ReasonKeysMissing = "KeysMissing"
	// ReasonKeysMismatch: the key Secret holds another identity than status.publicKey.
	ReasonKeysMismatch = "KeysMismatch"
	// ReasonKeysInvalid: the key Secret holds something that is not an account seed.
	ReasonKeysInvalid = "KeysInvalid"
	// ReasonSecretConflict: a Secret named <account>-account-keys exists and was not made by
	// nats-auth-operator; it is never taken over.
	ReasonSecretConflict = "SecretConflict"
	// ReasonInvalidSpec: the spec cannot produce a valid account JWT; the message lists every
	// problem with its spec path.
	ReasonInvalidSpec = "InvalidSpec"
	// ReasonImportNotResolved: an import by accountRef names an account that does not exist, has
	// no key yet, or does not export the subject.
	ReasonImportNotResolved = "ImportNotResolved"
)

// foreignSecretRecheck is how often a SecretConflict is looked at again: the Secret informer
// only sees managed Secrets, so the removal of the foreign one produces no event.
const foreignSecretRecheck = 5 * time.Minute

// maxMessageLength bounds condition and event messages; a spec with hundreds of problems must
// not produce a status that the apiserver refuses.
const maxMessageLength = 4096

// notReady is a sync outcome the user must see: the Ready condition's reason and message, and
// what the worker does next (result). Its message never holds key material.
type notReady struct {
	reason  string
	message string
	// waiting marks an outcome that resolves on its own (another object is still being
	// issued): condition only, no Warning event.
	waiting bool
	result  error
}

func (e *notReady) Error() string { return e.reason + ": " + e.message }

// terminal is a not-ready outcome only a change of this or another watched object can fix.
func terminal(reason, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &notReady{reason: reason, message: msg, result: controllerhelpers.Terminal(fmt.Errorf("%s: %s", reason, msg))}
}

// waitingFor is a not-ready outcome that is expected to resolve by itself; the key is retried
// with backoff meanwhile.
func waitingFor(reason, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &notReady{reason: reason, message: msg, waiting: true, result: controllerhelpers.Requeue("%s", msg)}
}

// outcome converts e into the input of controllerhelpers.SetReady.
func (e *notReady) outcome() controllerhelpers.Outcome {
	return controllerhelpers.Outcome{Reason: e.reason, Message: truncate(e.message), Waiting: e.waiting}
}

func truncate(s string) string {
	if len(s) <= maxMessageLength {
		return s
	}
	cut := maxMessageLength - len("...")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
