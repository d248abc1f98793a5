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
	"slices"

	"github.com/nats-io/nkeys"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// account returns the user's account once it may sign for this user: it exists, allows the
// user's namespace and has an identity.
func (c *Controller) account(user *natsv1alpha1.NatsUser) (*natsv1alpha1.NatsAccount, error) {
	ref := naming.UserAccount(user)
	acc, err := c.accounts.NatsAccounts(ref.Namespace).Get(ref.Name)
	if apierrors.IsNotFound(err) {
		return nil, controllerhelpers.Failed(ReasonAccountNotFound, "NatsAccount %s/%s does not exist; create it or correct spec.accountRef",
			ref.Namespace, ref.Name)
	}
	if err != nil {
		return nil, err
	}
	if !acc.AllowsNamespace(user.Namespace) {
		return nil, controllerhelpers.Failed(ReasonNamespaceNotAllowed,
			"NatsAccount %s/%s does not allow users from namespace %s; its administrator can add %s to spec.allowedUserNamespaces",
			acc.Namespace, acc.Name, user.Namespace, user.Namespace)
	}
	if op := acc.Labels[naming.LabelSystemAccount]; op != "" && !controlledByOperator(user, op) {
		// System account users can update, list and delete every account on every server; only
		// the resolver user its NatsOperator creates may have one.
		return nil, controllerhelpers.Failed(ReasonSystemAccountReserved,
			"NatsAccount %s/%s is the system account of NatsOperator %s; applications cannot have users in it",
			acc.Namespace, acc.Name, op)
	}
	if acc.Status.PublicKey == "" {
		return nil, controllerhelpers.WaitingFor(ReasonAccountNotReady, "waiting for NatsAccount %s/%s to be issued", acc.Namespace, acc.Name)
	}
	return acc, nil
}

// bearerAllowed refuses a bearer-token user, directly or through a scoped key's template, of an
// account whose limits disallow bearer tokens: nats-server would refuse every connection made
// with such credentials, so Ready=True would be a lie.
func bearerAllowed(acc *natsv1alpha1.NatsAccount, user *natsv1alpha1.NatsUser, s *signer) error {
	if acc.Spec.Limits == nil || !acc.Spec.Limits.DisallowBearer {
		return nil
	}
	if user.Spec.BearerToken {
		return controllerhelpers.Failed(ReasonInvalidSpec, "spec.bearerToken is true but NatsAccount %s/%s sets limits.disallowBearer, so the server would refuse these credentials; "+
			"set bearerToken to false, or ask the account's administrator to allow bearer tokens", acc.Namespace, acc.Name)
	}
	if s.bearer {
		return controllerhelpers.Failed(ReasonInvalidSpec, "signing key %q of NatsAccount %s/%s issues bearer tokens but the account sets limits.disallowBearer, so the server would refuse these credentials",
			s.name, acc.Namespace, acc.Name)
	}
	return nil
}

// signer is the account signing key a user's JWT is signed with.
type signer struct {
	name   string
	key    nkeys.KeyPair
	pub    string
	scoped bool
	bearer bool // a scoped key whose template issues bearer tokens
	// previous is the key this one replaced in the account's last rotation: users it signed
	// are re-issued without revoking anything (the claims are the same).
	previous string
	// waitPush: the account is rotating this key and the resolver has not yet pushed the JWT
	// that trusts it, so credentials it signs would still be refused.
	waitPush bool
}

// signingKey returns the signing key spec.signingKey names (the default key when empty) from the
// account key Secret in the cache. A key the account does not declare is the user's mistake; a
// declared key whose seed is not there yet is the account controller's next step, so we wait.
func (c *Controller) signingKey(acc *natsv1alpha1.NatsAccount, user *natsv1alpha1.NatsUser) (*signer, error) {
	s := &signer{name: user.Spec.SigningKey}
	if s.name == "" || s.name == naming.DefaultSigningKey {
		s.name = naming.DefaultSigningKey
	} else {
		i := slices.IndexFunc(acc.Spec.SigningKeys, func(k natsv1alpha1.AccountSigningKey) bool { return k.Name == s.name })
		if i < 0 {
			return nil, controllerhelpers.Failed(ReasonSigningKeyNotFound, "NatsAccount %s/%s has no signing key %q in spec.signingKeys; correct spec.signingKey",
				acc.Namespace, acc.Name, s.name)
		}
		if scope := acc.Spec.SigningKeys[i].Scope; scope != nil {
			s.scoped, s.bearer = true, scope.Template.BearerToken
		}
	}
	// The generation the account's status names signs; the spec may be ahead of it.
	dataKey := naming.AccountSigningSeed(s.name)
	if st := signingKeyStatus(acc, s.name); st != nil {
		dataKey = naming.AccountSigningSeedAt(s.name, st.Generation)
		s.previous = st.PreviousPublicKey
	}
	secretName := naming.AccountKeysSecret(acc.Name)
	secret, err := c.secrets.Secrets(acc.Namespace).Get(secretName)
	if acc.Spec.KeysSecretRef != nil {
		// Adopted keys (spec.keysSecretRef): the user's Secret is not in the label-filtered
		// cache but in the provided one; the account controller has validated it once status
		// names the key. The memo below serves it as it serves our own key Secrets.
		secretName = acc.Spec.KeysSecretRef.Name
		secret, err = c.provided.Get(acc.Namespace, secretName)
	}
	if apierrors.IsNotFound(err) {
		return nil, controllerhelpers.WaitingFor(ReasonAccountNotReady, "waiting for the signing keys of NatsAccount %s/%s", acc.Namespace, acc.Name)
	}
	if err != nil {
		return nil, err
	}
	seed, ok := secret.Data[dataKey]
	if !ok {
		return nil, controllerhelpers.WaitingFor(ReasonAccountNotReady, "waiting for signing key %q of NatsAccount %s/%s", s.name, acc.Namespace, acc.Name)
	}
	if e, ok := memoGet(&c.memo, secret, dataKey); ok {
		s.key, s.pub = e.key, e.pub
		return s, nil
	}
	if s.key, err = natsjwt.ParseSeed(seed, natsjwt.KindAccount); err != nil {
		// ParseSeed's messages never contain seed material.
		return nil, controllerhelpers.Failed(ReasonSigningKeyInvalid, "Secret %s/%s key %s: %v", acc.Namespace, secretName, dataKey, err)
	}
	if s.pub, err = s.key.PublicKey(); err != nil {
		return nil, err
	}
	memoPut(&c.memo, secret, dataKey, memoEntry{key: s.key, pub: s.pub})
	return s, nil
}

// signingKeyStatus is acc's status entry of the signing key named name, nil when none.
func signingKeyStatus(acc *natsv1alpha1.NatsAccount, name string) *natsv1alpha1.SigningKeyStatus {
	i := slices.IndexFunc(acc.Status.SigningKeys, func(k natsv1alpha1.SigningKeyStatus) bool { return k.Name == name })
	if i < 0 {
		return nil
	}
	return &acc.Status.SigningKeys[i]
}

// rotationReady holds users back while a rotated signing key is not yet usable: until the
// account JWT in status trusts it (a rotation the account could not sign yet), and, while the
// rotation overlaps, until the resolver pushed that JWT (when a resolver reports pushes at all).
// Keys without a rotation phase are not checked, as before rotations existed.
func (c *Controller) rotationReady(acc *natsv1alpha1.NatsAccount, s *signer) error {
	st := signingKeyStatus(acc, s.name)
	if st == nil || st.Phase == "" {
		return nil
	}
	if claims := c.accountClaims(acc); claims != nil && !claims.SigningKeys.Contains(s.pub) {
		return controllerhelpers.WaitingFor(ReasonAccountNotReady, "waiting for the JWT of NatsAccount %s/%s to trust generation %d of signing key %q",
			acc.Namespace, acc.Name, st.Generation, s.name)
	}
	s.waitPush = st.Phase == natsv1alpha1.SigningKeyRotating && acc.Status.PushedClaimsHash != "" && acc.Status.PushedClaimsHash != acc.Status.ClaimsHash
	return nil
}

// controlledByOperator reports whether the NatsOperator named operator controls user.
func controlledByOperator(user *natsv1alpha1.NatsUser, operator string) bool {
	ref := metav1.GetControllerOf(user)
	return ref != nil && ref.Kind == "NatsOperator" && ref.Name == operator &&
		ref.APIVersion == natsv1alpha1.SchemeGroupVersion.String()
}
