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

import "time"

// Reasons of the Ready condition and of the events that report its transitions.
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
	// ReasonKeysInUse: spec.keysSecretRef holds the identity of another NatsAccount.
	ReasonKeysInUse = "KeysInUse"
	// ReasonRotationSeedMissing (SigningKeysRotated=False, and its Warning event): a signing
	// key of spec.keysSecretRef is to rotate, and the Secret, which the controller never
	// writes, has no valid seed of its new generation yet. Ready is not touched: the key stays
	// at its current generation meanwhile.
	ReasonRotationSeedMissing = "RotationSeedMissing"
	// ReasonRotationSeedsProvided (SigningKeysRotated=True): no rotation that is due waits for
	// a seed.
	ReasonRotationSeedsProvided = "SeedsProvided"
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
