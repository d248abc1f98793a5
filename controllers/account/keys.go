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
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nkeys"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/record"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/controllerutil"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// operatorSigner returns the operator's signing key pair (the caller wipes it) and the
// operator's identity public key, both from the operator key Secret in the cache, or, for an
// adopted operator, from the user's Secret and the operator's status.
func (c *Controller) operatorSigner(ctx context.Context, acc *natsv1alpha1.NatsAccount) (nkeys.KeyPair, string, error) {
	ns, name := acc.Namespace, acc.Spec.OperatorRef.Name
	op, err := c.operatorLister.NatsOperators(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil, "", controllerhelpers.Failed(ReasonOperatorNotFound, "NatsOperator %s/%s does not exist; create it or fix spec.operatorRef", ns, name)
	} else if err != nil {
		return nil, "", err
	}
	if secret := providedOperatorSigningSecret(op); secret != "" {
		return c.providedOperatorSigner(op, secret)
	}
	secretName := naming.OperatorKeysSecret(name)
	secret, err := c.secretLister.Secrets(ns).Get(secretName)
	if apierrors.IsNotFound(err) {
		return nil, "", controllerhelpers.WaitingFor(ReasonOperatorNotReady, "waiting for the operator controller to create Secret %s/%s", ns, secretName)
	}
	if err != nil {
		return nil, "", err
	}
	// During an operator signing-key rotation the generation the status names signs (the
	// previous one until every server trusts the new key).
	signingKey := naming.OperatorSigningSeedAt(op.Status.AccountSigningGeneration())
	signingSeed, okSigning := secret.Data[signingKey]
	identitySeed, okIdentity := secret.Data[naming.OperatorIdentitySeed]
	if !okSigning || !okIdentity {
		return nil, "", controllerhelpers.WaitingFor(ReasonOperatorNotReady, "waiting for the operator controller to store %s and %s in Secret %s/%s",
			naming.OperatorIdentitySeed, signingKey, ns, secretName)
	}
	// Only the public key of the identity is needed; the pair is wiped at once.
	identity, err := natsjwt.ParseSeed(identitySeed, natsjwt.KindOperator)
	if err != nil {
		return nil, "", controllerhelpers.Failed(ReasonOperatorKeysInvalid, "Secret %s/%s, key %s: %v", ns, secretName, naming.OperatorIdentitySeed, err)
	}
	operatorPub, err := identity.PublicKey()
	identity.Wipe()
	if err != nil {
		return nil, "", fmt.Errorf("operator identity key: %w", err)
	}
	signer, err := natsjwt.ParseSeed(signingSeed, natsjwt.KindOperator)
	if err != nil {
		return nil, "", controllerhelpers.Failed(ReasonOperatorKeysInvalid, "Secret %s/%s, key %s: %v", ns, secretName, signingKey, err)
	}
	return signer, operatorPub, nil
}

// ensureKeys makes sure the account key Secret holds the identity, the default signing key and
// one seed per spec.signingKeys entry (of the generation steps, planRotations, says), and records
// the steps with their public keys in acc.Status. Seeds are generated once; an identity named in
// status is never replaced.
func (c *Controller) ensureKeys(ctx context.Context, acc *natsv1alpha1.NatsAccount, steps []keyStep) error {
	spec := accountKeySecret(acc, steps)
	if acc.Spec.KeysSecretRef != nil {
		return c.providedKeys(acc, spec.Keys, steps)
	}
	pairs, err := c.keys.Ensure(ctx, spec)
	ref := acc.Namespace + "/" + spec.Name
	var seedMissing *controllerutil.SeedMissingError
	switch {
	case errors.As(err, &seedMissing):
		return controllerhelpers.Failed(ReasonKeysMissing, "%v; restore the seed from a backup taken after the key was made (nothing was generated: "+
			"a new key would replace one the account's JWTs and users are signed with)", err)
	case errors.Is(err, controllerutil.ErrKeysMissing):
		return controllerhelpers.Failed(ReasonKeysMissing, "Secret %s with the keys of account %s is gone; restore it (a new identity would orphan the "+
			"account's JetStream data and break its users), or delete and re-create the NatsAccount to accept a new identity",
			ref, acc.Status.PublicKey)
	case errors.Is(err, controllerutil.ErrSecretNotManaged):
		// The Secret informer only sees managed Secrets, so the removal of this one makes no
		// event: look again later.
		return &controllerhelpers.NotReady{Reason: ReasonSecretConflict, RecheckAfter: foreignSecretRecheck,
			Message: fmt.Sprintf("Secret %s exists and is not managed by nats-auth-operator; it is never taken over: rename or delete it", ref)}
	case errors.Is(err, controllerutil.ErrKeyInvalid):
		return controllerhelpers.Failed(ReasonKeysInvalid, "%v; restore the original seed", err)
	case err != nil:
		return err
	}
	defer func() {
		for _, kp := range pairs {
			kp.Wipe()
		}
	}()
	pub, err := pairs[naming.AccountIdentitySeed].PublicKey()
	if err != nil {
		return fmt.Errorf("account identity key: %w", err)
	}
	if acc.Status.PublicKey != "" && acc.Status.PublicKey != pub {
		return controllerhelpers.Failed(ReasonKeysMismatch, "Secret %s holds account %s but status.publicKey is %s; restore the Secret of %s "+
			"(the account is never re-signed with another identity)", ref, pub, acc.Status.PublicKey, acc.Status.PublicKey)
	}
	return setKeyStatus(acc, pub, steps, pairs)
}

func setKeyStatus(acc *natsv1alpha1.NatsAccount, pub string, steps []keyStep, pairs map[string]nkeys.KeyPair) error {
	statuses, err := signingKeyStatuses(acc, steps, pairs)
	if err != nil {
		return err
	}
	acc.Status.PublicKey = pub
	acc.Status.SigningKeys = statuses
	return nil
}

// accountKeySecret describes the account key Secret: its seeds, labels and, with
// keyDeletionPolicy Delete, the owner reference that garbage-collects it with the account.
// Only the current generation of each signing key is asked for: a previous one, still trusted
// while it retires, is never generated again should its seed be gone.
func accountKeySecret(acc *natsv1alpha1.NatsAccount, steps []keyStep) controllerutil.KeySecret {
	keys := map[string]natsjwt.KeyKind{naming.AccountIdentitySeed: natsjwt.KindAccount}
	var recorded []string // seeds whose public keys the status names: never generated again
	if acc.Status.PublicKey != "" {
		recorded = append(recorded, naming.AccountIdentitySeed)
	}
	for _, s := range steps {
		key := naming.AccountSigningSeedAt(s.status.Name, s.status.Generation)
		keys[key] = natsjwt.KindAccount
		if s.status.PublicKey != "" {
			recorded = append(recorded, key)
		}
	}
	spec := controllerutil.KeySecret{
		Namespace: acc.Namespace,
		Name:      naming.AccountKeysSecret(acc.Name),
		Labels: map[string]string{
			naming.LabelManagedBy:  naming.ManagedByValue,
			naming.LabelSecretType: naming.SecretTypeKeys,
			naming.LabelAccount:    acc.Name,
		},
		Annotations: map[string]string{naming.AnnotationCreatedFor: string(acc.UID)},
		Keys:        keys,
		MustExist:   acc.Status.PublicKey != "",
		Recorded:    recorded,
	}
	if acc.Spec.KeyDeletionPolicy == natsv1alpha1.KeyDeletionPolicyDelete {
		spec.Owner = metav1.NewControllerRef(acc, natsv1alpha1.SchemeGroupVersion.WithKind("NatsAccount"))
	}
	return spec
}

// signingKeyStatuses lists the signing keys for status (default first, then spec order, as
// steps are): each step's entry with the public key of its generation's seed.
func signingKeyStatuses(acc *natsv1alpha1.NatsAccount, steps []keyStep, pairs map[string]nkeys.KeyPair) ([]natsv1alpha1.SigningKeyStatus, error) {
	scoped := map[string]bool{}
	for _, sk := range acc.Spec.SigningKeys {
		scoped[sk.Name] = sk.Scope != nil
	}
	out := make([]natsv1alpha1.SigningKeyStatus, 0, len(steps))
	for _, s := range steps {
		st, name := s.status, s.status.Name
		kp, ok := pairs[naming.AccountSigningSeedAt(name, st.Generation)]
		if !ok {
			return nil, fmt.Errorf("key Secret has no signing key %q", name)
		}
		pub, err := kp.PublicKey()
		if err != nil {
			return nil, fmt.Errorf("signing key %q: %w", name, err)
		}
		st.PublicKey, st.Scoped = pub, scoped[name]
		out = append(out, st)
	}
	return out, nil
}

// --- User-provided keys (adopting an nsc setup; controllers/DESIGN.md) ---

// keysInUseRecheck is how often KeysInUse is looked at again: the deletion of the other
// account that fixes it makes no event for this one. Problems of the provided Secret itself need
// no timer: its cache's events re-queue the account (controllerutil.ProvidedSecrets).
const keysInUseRecheck = time.Minute

// providedKeys reads the account's seeds from the Secret of spec.keysSecretRef, which is never
// written: every seed the spec needs must be there already.
func (c *Controller) providedKeys(acc *natsv1alpha1.NatsAccount, keys map[string]natsjwt.KeyKind, steps []keyStep) error {
	name := acc.Spec.KeysSecretRef.Name
	pairs, err := controllerutil.ReadProvidedKeys(c.deps.Provided, acc.Namespace, name, keys)
	switch {
	case errors.Is(err, controllerutil.ErrProvidedSecretMissing):
		return controllerhelpers.Failed(ReasonKeysMissing, "Secret %s/%s named by spec.keysSecretRef does not exist; create it from the nsc store (README, \"Moving from nsc\")", acc.Namespace, name)
	case errors.Is(err, controllerutil.ErrProvidedSecretManaged):
		return controllerhelpers.Failed(ReasonSecretConflict, "Secret %s/%s named by spec.keysSecretRef is one nats-auth-operator made; name a Secret you created from the nsc store", acc.Namespace, name)
	case errors.Is(err, controllerutil.ErrKeyInvalid):
		return controllerhelpers.Failed(ReasonKeysInvalid, "%v; fix the Secret named by spec.keysSecretRef (nothing was generated or written)", err)
	case err != nil:
		return err
	}
	defer func() {
		for _, kp := range pairs {
			kp.Wipe()
		}
	}()
	pub, err := pairs[naming.AccountIdentitySeed].PublicKey()
	if err != nil {
		return fmt.Errorf("account identity key: %w", err)
	}
	if acc.Status.PublicKey != "" && acc.Status.PublicKey != pub {
		return controllerhelpers.Failed(ReasonKeysMismatch, "Secret %s/%s of spec.keysSecretRef holds account %s but status.publicKey is %s; provide the keys of %s",
			acc.Namespace, name, pub, acc.Status.PublicKey, acc.Status.PublicKey)
	}
	if other := c.otherAccountWithKey(acc, pub); other != "" {
		return &controllerhelpers.NotReady{Reason: ReasonKeysInUse, RecheckAfter: keysInUseRecheck, Message: fmt.Sprintf(
			"Secret %s/%s of spec.keysSecretRef holds account %s, which NatsAccount %s already is; one identity has one NatsAccount",
			acc.Namespace, name, pub, other)}
	}
	return setKeyStatus(acc, pub, steps, pairs)
}

// rotationSeedMissing says, for an adopted account, why st, the next status of a signing key
// whose stored status is prev, cannot have its new generation yet: the user has not added a
// valid seed of it to their Secret (under naming.AccountSigningSeedAt), which the controller
// never writes. It is "" when nothing is missing: no adoption, no new generation, a first issue
// at some generation (ReadProvidedKeys checks that) or a Secret that cannot be read (reported
// by ReadProvidedKeys too).
func (c *Controller) rotationSeedMissing(acc *natsv1alpha1.NatsAccount, prev *natsv1alpha1.SigningKeyStatus, st natsv1alpha1.SigningKeyStatus) string {
	if acc.Spec.KeysSecretRef == nil || prev == nil || prev.PublicKey == "" || st.Generation <= prev.Generation {
		return ""
	}
	secret, err := c.deps.Provided.Get(acc.Namespace, acc.Spec.KeysSecretRef.Name)
	if err != nil {
		return ""
	}
	key := naming.AccountSigningSeedAt(st.Name, st.Generation)
	what := fmt.Sprintf("%s (generation %d of signing key %q)", key, st.Generation, st.Name)
	seed, ok := secret.Data[key]
	if !ok {
		return what
	}
	kp, err := natsjwt.ParseSeed(seed, natsjwt.KindAccount)
	if err != nil {
		// ParseSeed's messages never contain seed material.
		return fmt.Sprintf("%s, which holds no account seed: %v", what, err)
	}
	kp.Wipe()
	return ""
}

// heldRotation is rot as if its new generation were not declared yet: the key stays at gen,
// and a scheduled rotation that is still retiring goes on.
func heldRotation(rot *natsv1alpha1.SigningKeyRotation, gen int32) *natsv1alpha1.SigningKeyRotation {
	held := rot.DeepCopy()
	held.Generation, held.Mode = gen, natsv1alpha1.RotationScheduled
	return held
}

// setRotationSeedCondition records on an adopted account whether a due signing-key rotation
// waits for a seed only the user can add (missing, from the steps). Ready is not touched: the
// current keys go on signing, and users are still issued and revoked.
func setRotationSeedCondition(acc *natsv1alpha1.NatsAccount, missing []string) {
	if acc.Spec.KeysSecretRef == nil {
		return
	}
	ref := acc.Namespace + "/" + acc.Spec.KeysSecretRef.Name
	c := metav1.Condition{Type: natsv1alpha1.ConditionSigningKeysRotated, Status: metav1.ConditionTrue, Reason: ReasonRotationSeedsProvided,
		ObservedGeneration: acc.Generation, Message: "no signing-key rotation waits for a seed of Secret " + ref + " (spec.keysSecretRef)"}
	if len(missing) > 0 {
		c.Status, c.Reason = metav1.ConditionFalse, ReasonRotationSeedMissing
		c.Message = fmt.Sprintf("the rotation waits for a new seed that only you can provide: add %s to Secret %s of spec.keysSecretRef, "+
			"each a new account seed (`nsc generate nkey --account`); the controller never writes that Secret, and until then the current keys "+
			"stay in use: users are still issued and revoked", strings.Join(missing, ", "), ref)
	}
	meta.SetStatusCondition(&acc.Status.Conditions, c)
}

// rotationSeedEvent emits one Warning when SigningKeysRotated turned False between the cached
// and the stored status: called after the write, so a retried sync does not repeat it.
func rotationSeedEvent(recorder record.EventRecorder, cached, acc *natsv1alpha1.NatsAccount) {
	now := meta.FindStatusCondition(acc.Status.Conditions, natsv1alpha1.ConditionSigningKeysRotated)
	if now == nil || now.Status != metav1.ConditionFalse || meta.IsStatusConditionFalse(cached.Status.Conditions, natsv1alpha1.ConditionSigningKeysRotated) {
		return
	}
	recorder.Event(acc, corev1.EventTypeWarning, ReasonRotationSeedMissing, now.Message)
}

// providedOperatorSigningSecret names the user's Secret that holds the signing key of an adopted
// operator, or "" for an operator with generated keys.
func providedOperatorSigningSecret(op *natsv1alpha1.NatsOperator) string {
	switch {
	case op.Spec.External != nil:
		return op.Spec.External.SigningKeySecretRef.Name
	case op.Spec.KeysSecretRef != nil:
		return op.Spec.KeysSecretRef.Name
	}
	return ""
}

// providedOperatorSigner reads an adopted operator's signing key. The operator controller has
// validated the keys when its status names them, so an account waits for that.
func (c *Controller) providedOperatorSigner(op *natsv1alpha1.NatsOperator, secret string) (nkeys.KeyPair, string, error) {
	if op.Status.PublicKey == "" {
		return nil, "", controllerhelpers.WaitingFor(ReasonOperatorNotReady, "waiting for NatsOperator %s/%s to validate its provided keys", op.Namespace, op.Name)
	}
	pairs, err := controllerutil.ReadProvidedKeys(c.deps.Provided, op.Namespace, secret,
		map[string]natsjwt.KeyKind{naming.OperatorSigningSeed: natsjwt.KindOperator})
	if err != nil {
		if errors.Is(err, controllerutil.ErrProvidedSecretMissing) || errors.Is(err, controllerutil.ErrProvidedSecretManaged) ||
			errors.Is(err, controllerutil.ErrKeyInvalid) {
			return nil, "", controllerhelpers.Failed(ReasonOperatorKeysInvalid, "the signing key of NatsOperator %s/%s cannot be read: %v", op.Namespace, op.Name, err)
		}
		return nil, "", err
	}
	signer := pairs[naming.OperatorSigningSeed]
	pub, err := signer.PublicKey()
	if err != nil || !slices.Contains(op.Status.SigningKeys, pub) {
		signer.Wipe()
		return nil, "", controllerhelpers.WaitingFor(ReasonOperatorNotReady, "waiting for NatsOperator %s/%s to trust its provided signing key", op.Namespace, op.Name)
	}
	return signer, op.Status.PublicKey, nil
}

// otherAccountWithKey names another NatsAccount whose status has identity pub, or "".
func (c *Controller) otherAccountWithKey(acc *natsv1alpha1.NatsAccount, pub string) string {
	objs, _ := c.accountIndexer.ByIndex(naming.AccountsByPublicKey, pub)
	for _, o := range objs {
		if a, ok := o.(*natsv1alpha1.NatsAccount); ok && a.UID != acc.UID {
			return a.Namespace + "/" + a.Name
		}
	}
	return ""
}
