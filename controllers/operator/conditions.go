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

package operator

import (
	"errors"

	"github.com/nats-io/nkeys"

	"github.com/natsauth/nats-auth-operator/controllers/controllerutil"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
)

// Reasons of the Ready condition and of events.
const (
	ReasonIssued                  = "Issued"
	ReasonInvalidSpec             = "InvalidSpec"
	ReasonKeysMissing             = "KeysMissing"
	ReasonKeysInvalid             = "KeysInvalid"
	ReasonKeysMismatch            = "KeysMismatch"
	ReasonSecretConflict          = "SecretConflict"
	ReasonSystemObjectConflict    = "SystemObjectConflict"
	ReasonWaitingForSystemAccount = "WaitingForSystemAccount"
)

// natsjwtKey is an operator key pair.
type natsjwtKey = nkeys.KeyPair

// keyError maps key Secret failures to a NotReady with an action for the user; other errors
// (API calls) are returned as they are.
func keyError(err error, secret string) error {
	var seedMissing *controllerutil.SeedMissingError
	switch {
	case errors.As(err, &seedMissing):
		return controllerhelpers.Failed(ReasonKeysMissing, "%v; restore the seed from the backup taken after the key was made "+
			"(nothing was generated: a new key would break every nats-server and account JWT that trusts the one the status names)", err)
	case errors.Is(err, controllerutil.ErrKeysMissing):
		return controllerhelpers.Failed(ReasonKeysMissing, "the operator key Secret %s is gone but the status names a public key; "+
			"restore it from backup (a new key would break every nats-server that trusts this operator)", secret)
	case errors.Is(err, controllerutil.ErrSecretNotManaged):
		return controllerhelpers.Failed(ReasonSecretConflict, "Secret %s exists and was not created by nats-auth-operator; rename or remove it", secret)
	case errors.Is(err, controllerutil.ErrKeyInvalid):
		return controllerhelpers.Failed(ReasonKeysInvalid, "%s", err.Error())
	}
	return err
}
