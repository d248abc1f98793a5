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
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/controllerutil"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// sync reconciles one NatsAccount. It reads only from listers, writes the key Secret through the
// KeyStore and the status only when it changed, and signs only when the claims changed.
func (c *Controller) sync(ctx context.Context, key cache.ObjectName) error {
	logger := klog.LoggerWithValues(klog.FromContext(ctx), "account", klog.KRef(key.Namespace, key.Name))
	ctx = klog.NewContext(ctx, logger)
	start := c.deps.Clock.Now()
	defer func() { logger.V(4).Info("Finished syncing", "duration", c.deps.Clock.Since(start)) }()

	cached, err := c.accountLister.NatsAccounts(key.Namespace).Get(key.Name)
	if apierrors.IsNotFound(err) {
		logger.V(2).Info("Account is gone")
		return nil
	}
	if err != nil {
		return err
	}
	acc := cached.DeepCopy()
	if acc.DeletionTimestamp != nil {
		// The key Secret follows keyDeletionPolicy through its owner reference; what is left is
		// the copy of the JWT on the servers. Keys of gone users need no revoking any more.
		if err := c.releaseDead(ctx, acc, "the account is being deleted"); err != nil {
			return err
		}
		return c.finalize(ctx, cached, acc)
	}
	// The finalizer goes on before anything is issued, so no JWT the resolver could push
	// outlives the object without a chance to delete it from the servers.
	if err := controllerhelpers.AddFinalizer(ctx, acc, naming.AccountFinalizer, controllerutil.FieldManager, c.patchAccount(acc)); err != nil {
		return fmt.Errorf("add finalizer: %w", err)
	}
	res, err := c.issue(ctx, acc)
	return controllerhelpers.Finish(ctx, controllerhelpers.Status{
		ConditionType: natsv1alpha1.ConditionReady, Object: acc, Generation: acc.Generation,
		Conditions: &acc.Status.Conditions, ObservedGeneration: &acc.Status.ObservedGeneration,
		// The write carries the cached resourceVersion: a stale cache ends in Conflict.
		Write:    func(ctx context.Context) error { return c.updateStatus(ctx, cached, acc) },
		Recorder: c.deps.Recorder,
		AfterWrite: func(ctx context.Context, nr *controllerhelpers.NotReady) error {
			res.record(c.deps.IssueMetrics)
			revokedEvent(c.deps.Recorder, acc, res)
			sizeEvents(c.deps.Recorder, cached, acc)
			rotationSeedEvent(c.deps.Recorder, cached, acc)
			c.rotationEvents(acc, res)
			if nr == nil {
				// Only a Ready account's stored JWT is what its status says it trusts.
				if err := c.pruneRetiredSeeds(ctx, acc); err != nil {
					return err
				}
			}
			return c.settleCreds(ctx, acc, nr)
		},
	}, err, res.ready())
}

// issue runs steps (c) to (i) of the account sync on acc, a deep copy, and fills acc.Status on
// the way. It returns a controllerhelpers.NotReady for everything the user has to see.
func (c *Controller) issue(ctx context.Context, acc *natsv1alpha1.NatsAccount) (issueResult, error) {
	var res issueResult
	signer, operatorPub, err := c.operatorSigner(ctx, acc)
	if err != nil {
		return res, err
	}
	defer signer.Wipe()
	current := currentClaims(klog.FromContext(ctx), acc)
	steps, err := c.planRotations(acc, current)
	if err != nil {
		return res, err
	}
	if err := c.ensureKeys(ctx, acc, steps); err != nil {
		return res, err
	}
	recordSteps(&res, steps)
	setRotationSeedCondition(acc, res.seedsMissing)
	imports, minted, err := c.resolveImports(ctx, acc, current)
	res.activations = minted
	if err != nil {
		return res, err
	}
	now := c.deps.Clock.Now()
	revocations, added, recheck := c.revocations(acc, current, now)
	res.recheck = recheck
	spec, issues := toAccountSpec(acc, acc.Status.SigningKeys, imports, revocations)
	claims, err := natsjwt.AccountClaims(acc.Status.PublicKey, spec)
	var ve *natsjwt.ValidationError
	switch {
	case errors.As(err, &ve):
		issues = append(issues, specIssues(acc, ve)...)
	case err != nil:
		return res, fmt.Errorf("build account claims: %w", err)
	}
	if len(issues) > 0 {
		return res, controllerhelpers.Failed(ReasonInvalidSpec, "%s", issuesMessage(issues))
	}
	res.newRevocations = added
	if err := c.sign(ctx, acc, claims, current, signer, now, &res); err != nil {
		return res, err
	}
	acc.Status.OperatorPublicKey = operatorPub
	acc.Status.Revocations = int32(len(claims.Revocations))
	setSizeCondition(acc, c.maxJWTSize)
	return res, nil
}

// sign re-signs the claims when they differ from the stored ones (by hash) or when the stored
// JWT was signed by another key than the operator's current signing key; otherwise the stored
// JWT stays, so a resync changes nothing and the resolver pushes nothing. The new JWT's iat
// comes from issueTime; when that has to wait, so does the change (a requeue, no write), and it
// goes into the next second's JWT with everything else that arrives until then.
func (c *Controller) sign(ctx context.Context, acc *natsv1alpha1.NatsAccount, claims *jwt.AccountClaims,
	current *jwt.AccountClaims, signer nkeys.KeyPair, now time.Time, res *issueResult) error {
	signerPub, err := signer.PublicKey()
	if err != nil {
		return fmt.Errorf("operator signing key: %w", err)
	}
	hash, err := natsjwt.Hash(claims)
	if err != nil {
		return fmt.Errorf("hash account claims: %w", err)
	}
	res.message = "account JWT signed by operator signing key " + signerPub
	if acc.Status.JWT != "" && current != nil && current.Issuer == signerPub && acc.Status.ClaimsHash == hash {
		return nil
	}
	iat, wait := c.issueTime(acc, current, now)
	if wait > 0 {
		return controllerhelpers.RequeueAfter(wait, "the last JWT's iat leads the clock by %ds: batching changes into the next second's JWT", maxIssuedLead)
	}
	token, err := natsjwt.SignAccountAt(claims, signer, iat)
	switch {
	case errors.Is(err, natsjwt.ErrExpired):
		return controllerhelpers.Failed(ReasonInvalidSpec, "spec.expiration: %v", err)
	case errors.Is(err, natsjwt.ErrInvalidSpec):
		return controllerhelpers.Failed(ReasonInvalidSpec, "%v", err)
	case err != nil:
		return fmt.Errorf("sign account claims: %w", err)
	}
	acc.Status.JWT = token
	acc.Status.ClaimsHash = hash
	res.signed = true
	klog.FromContext(ctx).V(2).Info("Signed account JWT", "publicKey", acc.Status.PublicKey, "claimsHash", hash, "signer", signerPub,
		"issuedAt", iat, "lead", iat-now.Unix())
	return nil
}

// currentClaims decodes status.jwt, the durable record of what was issued (revocations,
// activation tokens). A JWT that does not decode or names another account is ignored, and the
// account is re-signed from the spec.
func currentClaims(logger klog.Logger, acc *natsv1alpha1.NatsAccount) *jwt.AccountClaims {
	if acc.Status.JWT == "" {
		return nil
	}
	claims, err := jwt.DecodeAccountClaims(acc.Status.JWT)
	if err != nil || claims.Subject != acc.Status.PublicKey {
		logger.Info("Ignoring the account JWT in status: it does not decode or names another account", "err", err)
		return nil
	}
	return claims
}

// clearPendingRevocations removes the pending-revocation annotations whose keys the stored JWT
// now revokes: status.jwt has become their durable record.
func (c *Controller) clearPendingRevocations(ctx context.Context, acc *natsv1alpha1.NatsAccount) error {
	pending := naming.PendingRevocations(acc.Annotations)
	if len(pending) == 0 {
		return nil
	}
	claims := currentClaims(klog.FromContext(ctx), acc)
	if claims == nil {
		return nil
	}
	done := map[string]any{}
	for pub, upTo := range pending {
		if natsjwt.IsRevoked(claims.Revocations, pub, upTo) {
			done[naming.AnnotationPendingRevocationPrefix+pub] = nil
		}
	}
	if len(done) == 0 {
		return nil
	}
	if err := c.patchAnnotations(ctx, acc, done); err != nil {
		return fmt.Errorf("clear pending revocations: %w", err)
	}
	c.deps.Recorder.Eventf(acc, corev1.EventTypeNormal, "RevokedPending", "revoked %d key(s) of users deleted while the account's keys were missing", len(done))
	return nil
}
