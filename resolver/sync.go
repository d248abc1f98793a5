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

package resolver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/jwt/v2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
	"github.com/natsauth/nats-auth-operator/resolver/natssys"
)

// Messages of the Pushed condition that do not come from a push.
const (
	msgMemoryResolver = "the operator's servers run the memory resolver, which takes accounts only from resolver_preload in auth.conf"
	msgNotConnected   = "not connected to NATS"
)

// errNotConnected is the requeue reason while the NATS connection is down; the reconnect
// re-pushes every account anyway.
var errNotConnected = errors.New(msgNotConnected)

// sync pushes one account's JWT when the servers may not have it, and records the outcome.
//  1. Read the account and its operator from the listers; skip accounts of other operators or
//     without a JWT yet. An account being deleted is never pushed: deleteAccount sends the
//     controller's delete request instead, if there is one.
//  2. Check the JWT is the account's and signed by an operator signing key; otherwise report
//     why and never push it.
//  3. Skip the push when every server acknowledged this very token and nothing forced a push.
//  4. Push, expecting every known server, and record the result.
func (c *Controller) sync(ctx context.Context, key cache.ObjectName) error {
	logger := klog.LoggerWithValues(klog.FromContext(ctx), "account", klog.KRef(key.Namespace, key.Name))
	ctx = klog.NewContext(ctx, logger)
	began := c.clock.Now()
	defer func() { logger.V(4).Info("Finished syncing", "duration", c.clock.Since(began)) }()

	force := c.state.takeForce(key)
	// Whether the servers still lack what this sync was to deliver: the backlog metric. Every
	// path that delivers nothing (not ours, no JWT yet, refused) leaves it false.
	pending := false
	defer func() { c.setPending(key, pending) }()
	acc, err := c.accounts.NatsAccounts(key.Namespace).Get(key.Name)
	if apierrors.IsNotFound(err) {
		c.state.remove(key)
		return nil
	}
	if err != nil {
		return fmt.Errorf("read account: %w", err)
	}
	if !c.ownsAccount(acc) {
		return nil
	}
	if acc.DeletionTimestamp != nil {
		err := c.deleteAccount(ctx, key, acc)
		pending = err != nil && !controllerhelpers.IsTerminal(err)
		return err
	}
	if acc.Status.JWT == "" {
		return nil
	}
	op, err := c.operators.NatsOperators(c.operator.Namespace).Get(c.operator.Name)
	if apierrors.IsNotFound(err) {
		// The operator's add event queues every account again.
		logger.V(2).Info("Operator not found; waiting for it", "operator", klog.KRef(c.operator.Namespace, c.operator.Name))
		return nil
	}
	if err != nil {
		return fmt.Errorf("read operator: %w", err)
	}
	if op.Spec.Resolver.Type == natsv1alpha1.ResolverMemory {
		return c.applyCondition(ctx, pushedCond, acc, pushedStatus{metav1.ConditionUnknown, ReasonPushNotSupported, msgMemoryResolver,
			acc.Status.PushedClaimsHash, acc.Status.PushedIssuer})
	}
	claims, err := trustedClaims(acc.Status.JWT, acc.Status.PublicKey, op.Status.SigningKeys)
	if err != nil {
		c.state.forget(key)
		return c.refuse(ctx, pushedCond, acc, trustReason(err), err)
	}
	digest := tokenDigest(acc.Status.JWT)
	if rec, ok := c.state.lookup(key); ok && !force && rec.digest == digest {
		// Every server acknowledged this token; at most the status lags after a failed write.
		return c.applyCondition(ctx, pushedCond, acc, pushedStatus{metav1.ConditionTrue, ReasonPushed, rec.message,
			acc.Status.ClaimsHash, claims.Issuer})
	}
	err = c.pushAccount(ctx, key, acc, digest, claims)
	rec, ok := c.state.lookup(key)
	pending = !ok || rec.digest != digest
	return err
}

// setPending records whether key still waits for every server's acknowledgement and publishes
// the size of that backlog.
func (c *Controller) setPending(key cache.ObjectName, pending bool) {
	n := c.state.setPending(key, pending)
	if c.metrics != nil {
		c.metrics.PendingPushes.Set(float64(n))
	}
}

// pushAccount pushes acc's JWT to every expected server (deliver) and, once every server
// acknowledged it, remembers the token so that later syncs of the same JWT push nothing.
func (c *Controller) pushAccount(ctx context.Context, key cache.ObjectName, acc *natsv1alpha1.NatsAccount, digest string, claims *jwt.AccountClaims) error {
	c.state.forget(key)
	pub := claims.Subject
	return c.deliver(ctx, delivery{op: &pushOp, acc: acc, token: acc.Status.JWT, pub: pub, issuer: claims.Issuer, acked: func(message string) {
		c.state.record(key, pushRecord{digest: digest, account: pub, message: message})
	}})
}

// serverView returns the servers a push must reach, and re-pushes everything when one of them
// restarted or joined since the last ping. A view older than the TTL is used as it is while
// the refresh loop pings: a server that stopped meanwhile is reported missing by the push, and
// one that joined gets every account once the refresh sees it.
func (c *Controller) serverView(ctx context.Context) (serverView, error) {
	view, stale, err := c.servers.get(ctx)
	c.afterPing(ctx, view)
	if stale {
		select {
		case c.refreshServers <- struct{}{}:
		default: // a refresh is already pending
		}
	}
	return view, err
}

// runServerRefresh pings whenever a push found the cached view stale, until ctx ends.
func (c *Controller) runServerRefresh(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.refreshServers:
		}
		// Requests that queued up while a ping ran are answered by it.
		if !c.servers.stale() {
			continue
		}
		view, err := c.servers.refresh(ctx)
		if err != nil {
			klog.FromContext(ctx).V(4).Info("Refreshing the servers found none", "err", err)
			continue
		}
		c.afterPing(ctx, view)
	}
}

// afterPing publishes the server count and reacts to restarted servers: LIST cannot show a JWT
// that a server kept from before an update it missed, so every account is pushed again.
func (c *Controller) afterPing(ctx context.Context, view serverView) {
	if c.metrics != nil && len(view.expected) > 0 {
		c.metrics.Servers.Set(float64(len(view.expected)))
	}
	if len(view.restarted) == 0 {
		return
	}
	klog.FromContext(ctx).Info("nats-servers restarted or joined; re-pushing every account", "servers", view.restarted)
	n := c.forceAll(ctx, RepairServerRestarted)
	if c.metrics != nil {
		c.metrics.DriftRepairs.WithLabelValues(RepairServerRestarted).Add(float64(n))
	}
}

// lastReply is the time the slowest server took to answer a push, for the log.
func lastReply(res natssys.Result) time.Duration {
	var last time.Duration
	for _, sr := range res.Replies {
		last = max(last, sr.Latency)
	}
	return last
}
