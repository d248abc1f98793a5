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
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/controllerutil"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// DefaultServerDeleteTimeout bounds how long a deleted NatsAccount waits for the resolver to
// report the deletion from the servers. A finalizer never blocks forever: NATS may be down, or
// no resolver may run for the operator.
const DefaultServerDeleteTimeout = 2 * time.Minute

// Reasons of the events about deleting an account from the servers.
const (
	// ReasonDeletedFromServers: every server acknowledged the delete request; the finalizer is
	// removed.
	ReasonDeletedFromServers = "DeletedFromServers"
	// ReasonNotDeletedOnServers: the finalizer is removed, but the servers may keep the JWT;
	// the message says why.
	ReasonNotDeletedOnServers = "NotDeletedOnServers"
)

// finalize handles a NatsAccount with a deletionTimestamp: it asks the resolver to delete the
// account from the servers through status.deleteRequest and removes the finalizer once the
// resolver reports success, once that cannot happen, or at the deadline. cached is the shared
// cached object, acc a copy of it.
func (c *Controller) finalize(ctx context.Context, cached, acc *natsv1alpha1.NatsAccount) error {
	if !slices.Contains(acc.Finalizers, naming.AccountFinalizer) {
		return nil
	}
	r := finalizerRelease{c: c, acc: acc}
	// The servers refuse to delete the system account, and nothing else than a JWT the
	// controller issued can be on them.
	if _, system := acc.Labels[naming.LabelSystemAccount]; system || acc.Status.PublicKey == "" {
		return r.release(ctx, "", "", "")
	}
	ns, opName := acc.Namespace, acc.Spec.OperatorRef.Name
	op, err := c.operatorLister.NatsOperators(ns).Get(opName)
	if apierrors.IsNotFound(err) {
		return r.notDeleted(ctx, "NatsOperator %s/%s is gone, so nothing can sign a delete request", ns, opName)
	}
	if err != nil {
		return err
	}
	switch {
	case op.Spec.Resolver.Type == natsv1alpha1.ResolverMemory:
		return r.release(ctx, corev1.EventTypeWarning, ReasonNotDeletedOnServers, fmt.Sprintf("the operator's servers run the memory "+
			"resolver: account %s disappears from the resolver_preload of auth.conf and is removed when the servers reload it",
			acc.Status.PublicKey))
	case op.Spec.Resolver.Type == natsv1alpha1.ResolverCache:
		return r.notDeleted(ctx, "the operator's servers run the cache resolver; the resolver no longer answers lookups of it, "+
			"so a server drops it when its cache entry expires (spec.resolver.ttl of NatsOperator %s/%s)", ns, opName)
	case !op.Spec.Resolver.AllowDelete:
		return r.notDeleted(ctx, "set spec.resolver.allowDelete on the NatsOperator %s/%s to delete accounts from the servers", ns, opName)
	}
	return c.deleteFromServers(ctx, cached, acc, r)
}

// deleteFromServers stores the signed delete request for the resolver once, then releases the
// finalizer when the resolver's Deleted condition is True, or at the deadline.
func (c *Controller) deleteFromServers(ctx context.Context, cached, acc *natsv1alpha1.NatsAccount, r finalizerRelease) error {
	if acc.Status.DeleteRequest == "" {
		token, err := c.signDeleteRequest(ctx, acc)
		if errors.Is(err, errOperatorKeysGone) {
			return r.notDeleted(ctx, "%v", err)
		}
		if err != nil {
			return err
		}
		acc.Status.DeleteRequest = token
		if err := c.updateStatus(ctx, cached, acc); err != nil {
			return err
		}
		klog.FromContext(ctx).V(2).Info("Requested deletion from the servers", "publicKey", acc.Status.PublicKey)
	}

	deleted := meta.FindStatusCondition(acc.Status.Conditions, natsv1alpha1.ConditionDeleted)
	if deleted != nil && deleted.Status == metav1.ConditionTrue {
		return r.release(ctx, corev1.EventTypeNormal, ReasonDeletedFromServers, fmt.Sprintf("account %s: %s", acc.Status.PublicKey, deleted.Message))
	}
	remaining := acc.DeletionTimestamp.Add(c.deleteTimeout).Sub(c.deps.Clock.Now())
	if remaining > 0 {
		// The resolver's status write re-queues the account; the requeue is only the deadline.
		return controllerhelpers.RequeueAfter(remaining, "waiting for the resolver to delete account %s from the servers", acc.Status.PublicKey)
	}
	last := "the resolver reported nothing (is it running for this operator, and connected to NATS?)"
	if deleted != nil {
		last = fmt.Sprintf("the resolver's last result: %s: %s", deleted.Reason, deleted.Message)
	}
	return r.notDeleted(ctx, "no deletion from every server was reported within %s; %s", c.deleteTimeout, last)
}

// finalizerRelease removes the account finalizer of acc, reporting why with one event.
type finalizerRelease struct {
	c   *Controller
	acc *natsv1alpha1.NatsAccount
}

// release removes the finalizer, then emits the event (none when reason is empty): a failed
// patch and its retry cannot report the same outcome twice.
func (r finalizerRelease) release(ctx context.Context, eventType, reason, message string) error {
	if err := controllerhelpers.RemoveFinalizer(ctx, r.acc, naming.AccountFinalizer, controllerutil.FieldManager, r.c.patchAccount(r.acc)); err != nil {
		return fmt.Errorf("remove finalizer: %w", err)
	}
	if reason != "" {
		r.c.deps.Recorder.Event(r.acc, eventType, reason, controllerhelpers.Truncate(message))
	}
	klog.FromContext(ctx).V(2).Info("Removed finalizer", "publicKey", r.acc.Status.PublicKey, "reason", reason, "message", message)
	return nil
}

// notDeleted releases the finalizer with a Warning that the JWT stays on the servers, and why.
func (r finalizerRelease) notDeleted(ctx context.Context, format string, args ...any) error {
	msg := fmt.Sprintf("the account JWT of %s stays on the nats-servers: ", r.acc.Status.PublicKey) + fmt.Sprintf(format, args...)
	return r.release(ctx, corev1.EventTypeWarning, ReasonNotDeletedOnServers, msg)
}

// errOperatorKeysGone means the operator's signing key cannot be read, so no delete request
// can be signed; waiting for it would block the deletion for as long as the keys stay away.
var errOperatorKeysGone = errors.New("the operator's signing key is not available")

// signDeleteRequest signs a delete request for the account's identity with the operator's
// signing key, the key the servers trust for account JWTs.
func (c *Controller) signDeleteRequest(ctx context.Context, acc *natsv1alpha1.NatsAccount) (string, error) {
	signer, _, err := c.operatorSigner(ctx, acc)
	if nr, ok := controllerhelpers.AsNotReady(err); ok {
		return "", fmt.Errorf("%w: %s", errOperatorKeysGone, nr.Message)
	}
	if err != nil {
		return "", err
	}
	defer signer.Wipe()
	token, err := natsjwt.DeleteRequest(signer, []string{acc.Status.PublicKey})
	if err != nil {
		return "", fmt.Errorf("sign delete request: %w", err)
	}
	return token, nil
}

// patchAccount returns the finalizer patch function for acc. It copies the new resourceVersion
// into acc, because a status update later in the same sync must carry it.
func (c *Controller) patchAccount(acc *natsv1alpha1.NatsAccount) controllerhelpers.PatchFunc {
	return func(ctx context.Context, name string, pt types.PatchType, data []byte, opts metav1.PatchOptions, sub ...string) error {
		updated, err := c.deps.NatsClient.NatsauthV1alpha1().NatsAccounts(acc.Namespace).Patch(ctx, name, pt, data, opts, sub...)
		if err != nil {
			return err
		}
		acc.ResourceVersion, acc.Finalizers = updated.ResourceVersion, updated.Finalizers
		klog.FromContext(ctx).V(2).Info("Patched finalizers", "finalizers", updated.Finalizers)
		return nil
	}
}
