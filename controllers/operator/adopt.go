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
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/nats-io/jwt/v2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/controllerutil"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// Adopting an nsc setup: keys from a user-provided Secret (spec.keysSecretRef) and the external
// mode (spec.external). See controllers/DESIGN.md, "Adopting an nsc setup".

// Reasons of the adoption paths.
const (
	ReasonOperatorJWTMissing    = "OperatorJWTMissing"
	ReasonOperatorJWTInvalid    = "OperatorJWTInvalid"
	ReasonSystemAccountMismatch = "SystemAccountMismatch"
)

// providedKeyError maps ReadProvidedKeys failures to a NotReady with an action for the user.
// The adoption errors are terminal (controllerhelpers.Failed): a change of the provided Secrets
// (or of the system account) fixes them, and their caches' events re-queue the operator
// (controllerutil.ProvidedSecrets), so nothing is rechecked on a timer.
func providedKeyError(err error, field, secret string) error {
	switch {
	case errors.Is(err, controllerutil.ErrProvidedSecretMissing):
		return controllerhelpers.Failed(ReasonKeysMissing, "Secret %s named by %s does not exist; create it from the nsc store (README, \"Moving from nsc\")", secret, field)
	case errors.Is(err, controllerutil.ErrProvidedSecretManaged):
		return controllerhelpers.Failed(ReasonSecretConflict, "Secret %s named by %s is one nats-auth-operator made; name a Secret you created from the nsc store", secret, field)
	case errors.Is(err, controllerutil.ErrKeyInvalid):
		return controllerhelpers.Failed(ReasonKeysInvalid, "%v; fix the Secret named by %s (nothing was generated or written)", err, field)
	}
	return err
}

// externalSource validates an external operator: the operator JWT must be a self-signed operator
// JWT and the provided signing key one of its signing keys. The JWT is served as it is.
func (c *Controller) externalSource(ctx context.Context, op *natsv1alpha1.NatsOperator) (issueFunc, error) {
	ext := op.Spec.External
	token, claims, err := c.externalJWT(op.Namespace, ext.OperatorJWTRef)
	if err != nil {
		return nil, err
	}
	if err := c.checkExternalSigningKey(op.Namespace, ext.SigningKeySecretRef.Name, claims); err != nil {
		return nil, err
	}
	if claims.SystemAccount != "" && op.Spec.SystemAccountKeysSecretRef == nil {
		// Checked before the system account is created, so that no keys are generated for one
		// the servers would not use.
		return nil, controllerhelpers.Failed(ReasonSystemAccountMismatch, "the operator JWT names system account %s; "+
			"set spec.systemAccountKeysSecretRef to a Secret with the keys of that nsc account", claims.SystemAccount)
	}
	if op.Status.PublicKey != "" && op.Status.PublicKey != claims.Subject {
		return nil, controllerhelpers.Failed(ReasonKeysMismatch, "the operator JWT of spec.external.operatorJWTRef is of operator %s but the status names %s; provide the JWT of %s",
			claims.Subject, op.Status.PublicKey, op.Status.PublicKey)
	}
	hash, err := natsjwt.Hash(claims)
	if err != nil {
		return nil, err
	}
	op.Status.PublicKey = claims.Subject
	op.Status.SigningKeys = slices.Clone([]string(claims.SigningKeys))
	return func(_ context.Context, op *natsv1alpha1.NatsOperator, systemPub string) (string, string, error) {
		if claims.SystemAccount != "" && claims.SystemAccount != systemPub {
			return "", "", controllerhelpers.Failed(ReasonSystemAccountMismatch, "the operator JWT names system account %s but NatsAccount %s is %s; "+
				"set spec.systemAccountKeysSecretRef to a Secret with the keys of the nsc system account", claims.SystemAccount, naming.SystemAccount(op.Name), systemPub)
		}
		return token, hash, nil
	}, nil
}

// externalJWT reads and decodes the operator JWT the user provided (from the ProvidedSecrets
// cache). Surrounding whitespace, as a file written by nsc may have, is dropped.
func (c *Controller) externalJWT(ns string, ref natsv1alpha1.OperatorJWTReference) (string, *jwt.OperatorClaims, error) {
	key := ref.Key
	if key == "" {
		key = naming.OperatorJWT
	}
	where := fmt.Sprintf("Secret %s/%s key %q (spec.external.operatorJWTRef)", ns, ref.Name, key)
	secret, err := c.deps.Provided.Get(ns, ref.Name)
	if apierrors.IsNotFound(err) {
		return "", nil, controllerhelpers.Failed(ReasonOperatorJWTMissing, "%s does not exist; create it from `nsc describe operator --raw`", where)
	}
	if err != nil {
		return "", nil, err
	}
	token := strings.TrimSpace(string(secret.Data[key]))
	if token == "" {
		return "", nil, controllerhelpers.Failed(ReasonOperatorJWTInvalid, "%s is missing or empty", where)
	}
	claims, err := jwt.DecodeOperatorClaims(token)
	if err != nil {
		return "", nil, controllerhelpers.Failed(ReasonOperatorJWTInvalid, "%s is not an operator JWT: %v", where, err)
	}
	if claims.Issuer != claims.Subject {
		return "", nil, controllerhelpers.Failed(ReasonOperatorJWTInvalid, "%s is not self-signed by operator %s", where, claims.Subject)
	}
	return token, claims, nil
}

// checkExternalSigningKey makes sure the provided signing seed is one the operator JWT trusts:
// accounts signed with any other key would be refused by every nats-server.
func (c *Controller) checkExternalSigningKey(ns, secret string, claims *jwt.OperatorClaims) error {
	const field = "spec.external.signingKeySecretRef"
	pairs, err := controllerutil.ReadProvidedKeys(c.deps.Provided, ns, secret,
		map[string]natsjwt.KeyKind{naming.OperatorSigningSeed: natsjwt.KindOperator})
	if err != nil {
		return providedKeyError(err, field, secret)
	}
	kp := pairs[naming.OperatorSigningSeed]
	pub, err := kp.PublicKey()
	kp.Wipe()
	if err != nil {
		return fmt.Errorf("operator signing key: %w", err)
	}
	if !claims.SigningKeys.Contains(pub) {
		return controllerhelpers.Failed(ReasonKeysInvalid, "the signing key %s in Secret %s/%s (%s) is not one of the operator JWT's signing keys %v; "+
			"provide one of those, or add it with `nsc edit operator --sk %s` and provide the new operator JWT", pub, ns, secret, field, []string(claims.SigningKeys), pub)
	}
	return nil
}
