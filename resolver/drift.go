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
	"maps"
	"slices"
	"time"

	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/resolver/natssys"
)

// runDrift checks for drift at start, then every interval and whenever triggered, until ctx
// ends.
func (c *Controller) runDrift(ctx context.Context) {
	ticker := time.NewTicker(c.driftInterval)
	defer ticker.Stop()
	for {
		c.checkDrift(ctx)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-c.driftNow:
		}
	}
}

// checkDrift pings the servers and lists what each stores. A restarted or new server gets
// every account again (afterPing); otherwise every account that all servers acknowledged but
// some server no longer lists is pushed again. Cache servers are left out: they list only what
// they happen to have cached.
func (c *Controller) checkDrift(ctx context.Context) {
	logger := klog.LoggerWithName(klog.FromContext(ctx), "drift")
	ctx = klog.NewContext(ctx, logger)
	if !c.nats.Connected() {
		logger.V(4).Info("Not connected to NATS; skipping the drift check")
		return
	}
	op, err := c.operators.NatsOperators(c.operator.Namespace).Get(c.operator.Name)
	if err != nil || op.Spec.Resolver.Type == natsv1alpha1.ResolverMemory {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 2*c.pushTimeout)
	defer cancel()
	view, err := c.servers.refresh(ctx)
	if err != nil {
		logger.V(2).Info("Drift check found no servers", "err", err)
		return
	}
	c.afterPing(ctx, view)
	if len(view.restarted) > 0 || op.Spec.Resolver.Type == natsv1alpha1.ResolverCache || view.live == 0 {
		return
	}
	// Read what was acknowledged before listing: an account acknowledged later may be missing
	// from the lists without being drift.
	acked := c.state.acknowledged()
	replies, err := c.nats.List(ctx, view.live)
	if err != nil {
		logger.V(2).Info("Not every server answered the list", "err", err, "replies", len(replies))
	}
	missing := missingAccounts(slices.Collect(maps.Keys(acked)), replies, c.servers.isCache)
	for _, pub := range slices.Sorted(maps.Keys(missing)) {
		key := acked[pub]
		if c.beingDeleted(key) {
			// Its sync sends the delete request instead; never push a deleted account back.
			continue
		}
		logger.Info("Repairing drift: servers lack an acknowledged account", "account", klog.KRef(key.Namespace, key.Name),
			"publicKey", pub, "servers", missing[pub])
		c.repair(key)
	}
}

// beingDeleted reports whether the account of key has a deletionTimestamp in the cache.
func (c *Controller) beingDeleted(key cache.ObjectName) bool {
	acc, err := c.accounts.NatsAccounts(key.Namespace).Get(key.Name)
	return err == nil && acc.DeletionTimestamp != nil
}

// repair queues key for a forced push and counts it.
func (c *Controller) repair(key cache.ObjectName) {
	c.state.force(key)
	c.queue.Add(key)
	if c.metrics != nil {
		c.metrics.DriftRepairs.WithLabelValues(RepairMissing).Inc()
	}
}

// missingAccounts returns, for each of accounts that some listing server lacks, the sorted
// names of those servers. Replies with an error, and servers skip says to ignore, are left out.
func missingAccounts(accounts []string, replies []natssys.ListReply, skip func(server string) bool) map[string][]string {
	out := map[string][]string{}
	for _, lr := range replies {
		if lr.Err != nil || skip(lr.Server.Name) {
			continue
		}
		have := make(map[string]bool, len(lr.Accounts))
		for _, pub := range lr.Accounts {
			have[pub] = true
		}
		for _, pub := range accounts {
			if !have[pub] {
				out[pub] = append(out[pub], lr.Server.Name)
			}
		}
	}
	for _, servers := range out {
		slices.Sort(servers)
	}
	return out
}
