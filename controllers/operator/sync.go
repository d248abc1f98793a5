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
	"fmt"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/controllerutil"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// sync reconciles one NatsOperator: keys, system account, resolver user, operator JWT and the
// server-config Secret, then its status.
func (c *Controller) sync(ctx context.Context, key cache.ObjectName) error {
	logger := klog.LoggerWithValues(klog.FromContext(ctx), "operator", klog.KRef(key.Namespace, key.Name))
	ctx = klog.NewContext(ctx, logger)
	cached, err := c.operators.NatsOperators(key.Namespace).Get(key.Name)
	if apierrors.IsNotFound(err) {
		logger.V(4).Info("Operator is gone")
		return nil
	}
	if err != nil {
		return err
	}
	if cached.DeletionTimestamp != nil {
		// Owned objects are garbage-collected; the key Secret follows keyDeletionPolicy through
		// its owner reference. Nothing outside the cluster needs cleaning up.
		return nil
	}
	op := cached.DeepCopy()
	var step keyStep
	ready, err := c.reconcile(ctx, op, &step)
	keepRecheck(err, step.recheck)
	return controllerhelpers.Finish(ctx, controllerhelpers.Status{
		ConditionType: natsv1alpha1.ConditionReady, Object: cached, Generation: op.Generation,
		Conditions: &op.Status.Conditions, ObservedGeneration: &op.Status.ObservedGeneration,
		Write:    func(ctx context.Context) error { return c.updateStatus(ctx, cached, op) },
		Recorder: c.deps.Recorder,
		AfterWrite: func(context.Context, *controllerhelpers.NotReady) error {
			c.rotationEvents(cached, step)
			return nil
		},
	}, err, ready)
}

// reconcile does the work and fills op.Status; a controllerhelpers.NotReady error is what the
// user has to see, and ready is the condition of an issued operator. step receives the
// signing-key rotation's step, whose events follow the status write.
func (c *Controller) reconcile(ctx context.Context, op *natsv1alpha1.NatsOperator, step *keyStep) (ready controllerhelpers.Ready, err error) {
	issue, err := c.operatorSource(ctx, op, step)
	if err != nil {
		return ready, err
	}
	if err := c.ensureSystemObjects(ctx, op); err != nil {
		return ready, err
	}
	sys, err := c.accounts.NatsAccounts(op.Namespace).Get(naming.SystemAccount(op.Name))
	if err != nil || sys.Status.PublicKey == "" || sys.Status.JWT == "" {
		// The account controller issues it; its status update re-queues this operator.
		return ready, controllerhelpers.WaitingFor(ReasonWaitingForSystemAccount,
			"waiting for the system account %s to be issued", naming.SystemAccount(op.Name))
	}
	op.Status.SystemAccount = sys.Status.PublicKey
	operatorJWT, hash, err := issue(ctx, op, sys.Status.PublicKey)
	if err != nil {
		return ready, err
	}
	op.Status.ClaimsHash, op.Status.JWT = hash, operatorJWT
	cfg := serverConfig{operatorJWT: operatorJWT, systemPub: sys.Status.PublicKey, systemJWT: sys.Status.JWT,
		resolver: op.Spec.Resolver, operatorName: op.Name, operatorSpace: op.Namespace}
	if op.Spec.Resolver.Type == natsv1alpha1.ResolverMemory {
		cfg.preload = c.accountJWTs(op)
	}
	if err := c.ensureServerConfig(ctx, op, cfg); err != nil {
		return ready, err
	}
	op.Status.ServerConfigSecret = naming.ServerConfigSecret(op.Name)
	msg := "operator JWT issued; nats-server configuration in Secret " + naming.ServerConfigSecret(op.Name)
	if st := op.Status.SigningKey; st != nil && st.Phase == natsv1alpha1.SigningKeyRotating {
		var left, unpushed []string
		if st.ServersRolledAt != nil && step.accountsLeft != nil {
			left = step.accountsLeft(st.PreviousPublicKey)
		}
		if st.ServersRolledAt != nil && len(left) == 0 && step.accountsUnpushed != nil {
			unpushed = step.accountsUnpushed(st.PublicKey)
		}
		msg += waitingMessage(st, left, unpushed)
	}
	return controllerhelpers.Ready{Reason: ReasonIssued, Message: msg,
		RecheckAfter: step.recheck, RecheckWhy: "a rotated-out signing key's grace period ends then"}, nil
}

// keepRecheck keeps the grace period's timer on a sync that ended NotReady: no event comes when
// it ends, and the retiring key must still leave the operator JWT then. A Waiting outcome is
// retried with backoff anyway.
func keepRecheck(err error, recheck time.Duration) {
	nr, ok := controllerhelpers.AsNotReady(err)
	if !ok || nr.Waiting || recheck <= 0 {
		return
	}
	if nr.RecheckAfter == 0 || recheck < nr.RecheckAfter {
		nr.RecheckAfter = recheck
	}
}

// issueFunc returns the operator JWT for the given system account and its claims hash.
type issueFunc func(ctx context.Context, op *natsv1alpha1.NatsOperator, systemPub string) (token, hash string, err error)

// operatorSource reads or creates the operator's keys and returns how its JWT is issued: signed
// here (generated or user-provided keys), or taken as it is (external mode).
func (c *Controller) operatorSource(ctx context.Context, op *natsv1alpha1.NatsOperator, step *keyStep) (issueFunc, error) {
	if op.Spec.External != nil {
		return c.externalSource(ctx, op)
	}
	planned, err := c.planRotation(op)
	if err != nil {
		return nil, err
	}
	// The grace period's timer holds even when the keys fail (keepRecheck).
	step.recheck = planned.recheck
	identity, signing, err := c.ensureKeys(ctx, op, planned.status)
	if err != nil {
		return nil, err
	}
	// Only now does the status carry the step, so only now are its events due.
	*step = planned
	return func(ctx context.Context, op *natsv1alpha1.NatsOperator, systemPub string) (string, string, error) {
		claims, err := natsjwt.OperatorClaims(op.Status.PublicKey, operatorSpec(op, signing, systemPub))
		if err != nil {
			return "", "", controllerhelpers.Failed(ReasonInvalidSpec, "spec is invalid: %v", err)
		}
		hash, err := natsjwt.Hash(claims)
		if err != nil {
			return "", "", err
		}
		token, err := c.operatorJWT(ctx, op, claims, hash, identity)
		return token, hash, err
	}, nil
}

// ensureKeys returns the identity and signing keys, creating them once. Only the generation
// rot names is asked for (generation 0 without a rotation), so a rotation adds its seed under
// its own data key and a previous seed is never generated again. With rot, its public key
// and rot itself go into the status.
func (c *Controller) ensureKeys(ctx context.Context, op *natsv1alpha1.NatsOperator, rot *natsv1alpha1.OperatorSigningKeyStatus) (identity, signing natsjwtKey, err error) {
	spec, signingSeed, recordedSigning := keySecret(op, rot)
	secretName := naming.OperatorKeysSecret(op.Name)
	var pairs map[string]nkeys.KeyPair
	if op.Spec.KeysSecretRef != nil {
		// Adopted: the user's Secret is only read, and nothing is generated.
		secretName = op.Spec.KeysSecretRef.Name
		pairs, err = controllerutil.ReadProvidedKeys(c.deps.Provided, op.Namespace, secretName, spec.Keys)
	} else {
		pairs, err = c.keys.Ensure(ctx, spec)
	}
	if err != nil && op.Spec.KeysSecretRef != nil {
		return nil, nil, providedKeyError(err, "spec.keysSecretRef", secretName)
	}
	if err != nil {
		return nil, nil, keyError(err, secretName)
	}
	identity, signing = pairs[naming.OperatorIdentitySeed], pairs[signingSeed]
	pub, err := identity.PublicKey()
	if err != nil {
		return nil, nil, err
	}
	if op.Status.PublicKey != "" && op.Status.PublicKey != pub && op.Spec.KeysSecretRef != nil {
		return nil, nil, controllerhelpers.Failed(ReasonKeysMismatch, "Secret %s of spec.keysSecretRef holds operator %s but the status names %s", secretName, pub, op.Status.PublicKey)
	}
	if op.Status.PublicKey != "" && op.Status.PublicKey != pub {
		return nil, nil, controllerhelpers.Failed(ReasonKeysMismatch, "key Secret %s holds operator %s but the status names %s",
			secretName, pub, op.Status.PublicKey)
	}
	signingPub, err := signing.PublicKey()
	if err != nil {
		return nil, nil, err
	}
	if recordedSigning != "" && recordedSigning != signingPub && op.Spec.KeysSecretRef == nil {
		return nil, nil, controllerhelpers.Failed(ReasonKeysMismatch, "key Secret %s holds signing key %s under %s but the status names %s; restore the original seed",
			secretName, signingPub, signingSeed, recordedSigning)
	}
	op.Status.PublicKey = pub
	if rot != nil {
		rot.PublicKey = signingPub
		op.Status.SigningKey = rot
	}
	op.Status.SigningKeys = signingKeys(op, signingPub)
	return identity, signing, nil
}

// keySecret describes the operator key Secret for rot's generation, returns the data key of its
// signing seed and the public key the status already names for that seed ("" for a new one).
// Seeds whose public keys the status names are Recorded: never generated again.
func keySecret(op *natsv1alpha1.NatsOperator, rot *natsv1alpha1.OperatorSigningKeyStatus) (controllerutil.KeySecret, string, string) {
	signingSeed, recorded := naming.OperatorSigningSeed, ""
	if rot != nil {
		signingSeed, recorded = naming.OperatorSigningSeedAt(rot.Generation), rot.PublicKey
	} else if op.Status.PublicKey != "" && len(op.Status.SigningKeys) > 0 {
		recorded = op.Status.SigningKeys[0]
	}
	spec := controllerutil.KeySecret{
		Namespace: op.Namespace, Name: naming.OperatorKeysSecret(op.Name), Labels: labels(op, naming.SecretTypeKeys),
		Keys:      map[string]natsjwt.KeyKind{naming.OperatorIdentitySeed: natsjwt.KindOperator, signingSeed: natsjwt.KindOperator},
		MustExist: op.Status.PublicKey != "",
	}
	if op.Status.PublicKey != "" {
		spec.Recorded = append(spec.Recorded, naming.OperatorIdentitySeed)
	}
	if recorded != "" {
		spec.Recorded = append(spec.Recorded, signingSeed)
	}
	if op.Spec.KeyDeletionPolicy == natsv1alpha1.KeyDeletionPolicyDelete {
		ref := ownerRef(op)
		spec.Owner = &ref
	}
	return spec, signingSeed, recorded
}

// operatorJWT returns the current operator JWT when its claims are unchanged, else signs anew.
// The current one is status.jwt, or, for an operator issued by an earlier version, the one in the
// server-config Secret.
func (c *Controller) operatorJWT(ctx context.Context, op *natsv1alpha1.NatsOperator, claims *jwt.OperatorClaims, hash string, identity natsjwtKey) (string, error) {
	if op.Status.ClaimsHash == hash {
		current := op.Status.JWT
		if s, err := c.secrets.Secrets(op.Namespace).Get(naming.ServerConfigSecret(op.Name)); err == nil && current == "" {
			current = string(s.Data[naming.OperatorJWT])
		}
		if sameClaims(current, hash, op.Status.PublicKey) {
			return current, nil
		}
	}
	token, _, err := natsjwt.Sign(claims, identity)
	if err != nil {
		return "", fmt.Errorf("sign operator JWT: %w", err)
	}
	c.deps.IssueMetrics.JWTsSigned("operator", 1)
	klog.FromContext(ctx).V(2).Info("Issued operator JWT", "claimsHash", hash)
	return token, nil
}

// sameClaims reports whether token is an operator JWT of subject whose claims hash to hash.
func sameClaims(token, hash, subject string) bool {
	decoded, err := jwt.DecodeOperatorClaims(token)
	if err != nil || decoded.Subject != subject {
		return false
	}
	h, err := natsjwt.Hash(decoded)
	return err == nil && h == hash
}

func (c *Controller) updateStatus(ctx context.Context, cached, op *natsv1alpha1.NatsOperator) error {
	if equality.Semantic.DeepEqual(cached.Status, op.Status) {
		return nil
	}
	_, err := c.deps.NatsClient.NatsauthV1alpha1().NatsOperators(op.Namespace).UpdateStatus(ctx, op,
		metav1.UpdateOptions{FieldManager: controllerutil.FieldManager})
	if err != nil {
		return fmt.Errorf("update status: %w", err)
	}
	return nil
}
