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
	"context"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// sync reconciles one NatsUser. A new user converges in two writes: the creds Secret (which,
// with its finalizer, is the durable record of the issued key) and the status. A resync of a
// converged user writes nothing.
func (c *Controller) sync(ctx context.Context, key cache.ObjectName) error {
	logger := klog.LoggerWithValues(klog.FromContext(ctx), "natsUser", klog.KRef(key.Namespace, key.Name))
	ctx = klog.NewContext(ctx, logger)
	start := c.clock.Now()
	defer func() { logger.V(4).Info("Finished syncing", "duration", c.clock.Since(start)) }()

	// 1. Read from the cache; the cached object is shared and never mutated.
	cached, err := c.users.NatsUsers(key.Namespace).Get(key.Name)
	if apierrors.IsNotFound(err) {
		logger.V(2).Info("NatsUser is gone")
		return c.releaseOrphans(ctx, key)
	}
	if err != nil {
		return err
	}
	if c.superseded.Stale(key, cached.ResourceVersion) {
		logger.V(4).Info("The cache still holds a version this controller replaced; waiting for the event of its write",
			"resourceVersion", cached.ResourceVersion)
		return nil
	}
	user := cached.DeepCopy()

	// 2. A deleted user leaves its key to the account controller, which revokes what its creds
	// Secret records; only a legacy finalizer is left to remove.
	if user.DeletionTimestamp != nil {
		return c.finalize(ctx, user)
	}
	// 3. Issue or re-issue the credentials into a copy of the status, then record the result.
	status := user.Status.DeepCopy()
	status.Account = naming.UserAccount(user).String() // namespace/name, for kubectl get
	res, err := c.reconcile(ctx, user, status)
	return c.finish(ctx, user, status, res, err)
}

// reconciled is what reconcile did that finish needs besides the status.
type reconciled struct {
	// next is when the credentials need attention again without any event (renewal or
	// expiry); zero means never.
	next time.Duration
	// why says why a JWT was issued (issueFirst, issueRenewal, ...); empty when none was.
	why string
}

// reconcile resolves the inputs, decides whether to (re-)issue, writes the Secret and fills
// status.
func (c *Controller) reconcile(ctx context.Context, user *natsv1alpha1.NatsUser, status *natsv1alpha1.NatsUserStatus) (reconciled, error) {
	now := c.clock.Now()
	acc, err := c.account(user)
	if err != nil {
		return reconciled{}, err
	}
	signer, err := c.signingKey(acc, user)
	if err != nil {
		return reconciled{}, err
	}
	if err := c.rotationReady(acc, signer); err != nil {
		return reconciled{}, err
	}
	if err := bearerAllowed(acc, user, signer); err != nil {
		return reconciled{}, err
	}
	cur, err := c.currentCreds(ctx, user, status)
	if err != nil {
		return reconciled{}, err
	}
	cur.accountPub = acc.Status.PublicKey
	if claims := c.accountClaims(acc); claims != nil && cur.pub != "" {
		cur.accountRevokedAt = natsjwt.RevokedAt(claims.Revocations, cur.pub)
	}
	desired, err := desiredClaims(user, acc.Status.PublicKey, maxUserLifetime(acc), signer.scoped, cur.pub, now)
	if err != nil {
		return reconciled{}, err
	}
	why, err := c.issue(ctx, cur, desired, signer, status, now)
	if err != nil {
		return reconciled{}, err
	}
	if err := c.writeSecret(ctx, user, cur); err != nil {
		return reconciled{}, err
	}
	fillStatus(status, acc.Status.PublicKey, cur)
	return reconciled{next: nextCheck(cur.claims, desired.renewsEvery(cur.claims), now), why: why}, nil
}

// finish ends the sync with controllerhelpers.Finish: the outcome goes into the Ready condition
// of status, the status is written when it changed, and the events follow the write. A failed
// API call leaves the status as it is (observedGeneration included): the half-filled copy of a
// failed reconcile must not be stored.
func (c *Controller) finish(ctx context.Context, user *natsv1alpha1.NatsUser, status *natsv1alpha1.NatsUserStatus, res reconciled, syncErr error) error {
	return controllerhelpers.Finish(ctx, controllerhelpers.Status{
		ConditionType: natsv1alpha1.ConditionReady, Object: user, Generation: user.Generation,
		Conditions: &status.Conditions, ObservedGeneration: &status.ObservedGeneration,
		Write:    func(ctx context.Context) error { return c.updateStatus(ctx, user, status) },
		Recorder: c.recorder,
		// user.Status is still the status this sync started from.
		AfterWrite: func(context.Context, *controllerhelpers.NotReady) error {
			issueEvent(c.recorder, user, &user.Status, status, res.why)
			return nil
		},
	}, syncErr, issued(status.SecretName, status.PublicKey, timeOf(status.ExpiresAt), res.next))
}

// patchUser returns the finalizer patch function for user (the legacy finalizer's removal). It copies the new resourceVersion
// into user, because the status update at the end of the same sync must carry it.
func (c *Controller) patchUser(user *natsv1alpha1.NatsUser) controllerhelpers.PatchFunc {
	return func(ctx context.Context, name string, pt types.PatchType, data []byte, opts metav1.PatchOptions, sub ...string) error {
		updated, err := c.natsClient.NatsauthV1alpha1().NatsUsers(user.Namespace).Patch(ctx, name, pt, data, opts, sub...)
		if err != nil {
			return err
		}
		c.superseded.Record(cache.MetaObjectToName(user), user.ResourceVersion)
		user.ResourceVersion, user.Finalizers = updated.ResourceVersion, updated.Finalizers
		klog.FromContext(ctx).V(2).Info("Patched finalizers", "finalizers", updated.Finalizers)
		return nil
	}
}

func timeOf(t *metav1.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.Time
}

// maxUserLifetime is the account's bound on user JWT lifetimes; zero when it has none.
func maxUserLifetime(acc *natsv1alpha1.NatsAccount) time.Duration {
	if acc.Spec.MaxUserLifetime == nil {
		return 0
	}
	return acc.Spec.MaxUserLifetime.Duration
}
