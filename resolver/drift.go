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

	"github.com/nats-io/jwt/v2"
	corev1 "k8s.io/api/core/v1"
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
// every account again (afterPing); otherwise every account that all servers acknowledged is
// pushed again when some server no longer lists it or stores another JWT of it (staleAccounts),
// and accounts that no NatsAccount holds are reported (checkOrphans). Cache servers are left
// out: they list only what they happen to have cached, and never answer lookups.
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
	listCtx, cancel := context.WithTimeout(ctx, 2*c.pushTimeout)
	defer cancel()
	view, err := c.servers.refresh(listCtx)
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
	replies, err := c.nats.List(listCtx, view.live)
	if err != nil {
		logger.V(2).Info("Not every server answered the list", "err", err, "replies", len(replies))
	}
	missing := missingAccounts(slices.Collect(maps.Keys(acked)), replies, c.servers.isCache)
	for _, pub := range slices.Sorted(maps.Keys(missing)) {
		if c.repair(acked[pub], RepairMissing) {
			logger.Info("Repairing drift: servers lack an acknowledged account", "account", klog.KRef(acked[pub].Namespace, acked[pub].Name),
				"publicKey", pub, "servers", missing[pub])
		}
		delete(acked, pub)
	}
	c.repairStale(ctx, acked, fullListers(replies, c.servers.isCache))
	if err == nil {
		// From some servers' lists only, the orphans would come and go with the answers.
		c.checkOrphans(ctx, op, view, replies)
	}
	if c.metrics != nil {
		c.metrics.DriftChecks.Inc()
	}
}

// repairStale pushes again every account of acked of which some full server stores another JWT.
func (c *Controller) repairStale(ctx context.Context, acked map[string]cache.ObjectName, servers int) {
	if servers == 0 || len(acked) == 0 {
		c.trackStale(acked, nil) // a check that saw nothing breaks every run of stale findings
		return
	}
	stale := c.staleAccounts(ctx, acked, servers)
	c.trackStale(acked, stale)
	for _, pub := range slices.Sorted(maps.Keys(stale)) {
		key, found := acked[pub], stale[pub]
		if !c.repair(key, RepairStale) {
			continue
		}
		klog.FromContext(ctx).Info("Repairing drift: servers store another JWT of an acknowledged account",
			"account", klog.KRef(key.Namespace, key.Name), "publicKey", pub, "servers", found.servers, "of", servers,
			"storedIssuedAt", found.storedIssuedAt, "currentIssuedAt", found.currentIssuedAt)
	}
}

// ReasonStaleJWTNotRepaired is the Warning event of an account that drift checks keep finding
// stale although the current JWT is pushed after each.
const ReasonStaleJWTNotRepaired = "StaleJWTNotRepaired"

// staleUnrepairedAfter is how many drift checks in a row may find an account stale before the
// resolver reports that its pushes do not repair it.
const staleUnrepairedAfter = 3

// trackStale counts the checks in a row that found each account stale. A push repairs a stale
// JWT by the next check, unless nats-server skips the write: it does when its in-memory index
// already holds the pushed JWT's hash while the file holds another, that is when the file was
// changed on disk under the running server. Only a restart of that server repairs it (a SIGHUP
// rescans the directory only when the authorization config changed), so one Warning event per
// run of checks says so.
func (c *Controller) trackStale(acked map[string]cache.ObjectName, stale map[string]staleFinding) {
	for pub := range c.staleStreaks {
		if _, ok := stale[pub]; !ok {
			delete(c.staleStreaks, pub)
		}
	}
	for pub, f := range stale {
		c.staleStreaks[pub]++
		if c.staleStreaks[pub] != staleUnrepairedAfter {
			continue
		}
		acc, err := c.accounts.NatsAccounts(acked[pub].Namespace).Get(acked[pub].Name)
		if err != nil {
			continue
		}
		c.recorder.Eventf(acc, corev1.EventTypeWarning, ReasonStaleJWTNotRepaired,
			"%d server(s) still store another JWT of this account (iat %d, current %d) after %d drift checks in a row, each followed by a push of the current JWT: "+
				"nats-server skips a push whose hash its index already holds, as when the JWT file was changed on disk under the running server; "+
				"restart the server(s) whose CLAIMS.LOOKUP answer differs", f.servers, f.storedIssuedAt, f.currentIssuedAt, staleUnrepairedAfter)
	}
}

// beingDeleted reports whether the account of key has a deletionTimestamp in the cache.
func (c *Controller) beingDeleted(key cache.ObjectName) bool {
	acc, err := c.accounts.NatsAccounts(key.Namespace).Get(key.Name)
	return err == nil && acc.DeletionTimestamp != nil
}

// repair queues key for a forced push, counts it under reason and reports true. An account
// being deleted is left alone: its sync sends the delete request instead, and it must never be
// pushed back.
func (c *Controller) repair(key cache.ObjectName, reason string) bool {
	if c.beingDeleted(key) {
		return false
	}
	c.state.force(key)
	c.queue.Add(key)
	if c.metrics != nil {
		c.metrics.DriftRepairs.WithLabelValues(reason).Inc()
	}
	return true
}

// storeReader reads the servers' stored JWTs (natssys.Client.Stored). The binary's NATS has it;
// a NATS without it gets the list check only.
type storeReader interface {
	Stored(ctx context.Context, accounts []string, servers int) (map[string]natssys.Stored, error)
}

// staleFinding is what a stale check found for one account.
type staleFinding struct {
	// servers is how many full servers store a JWT other than the acknowledged or current one.
	servers int
	// storedIssuedAt and currentIssuedAt are the iat of one such JWT and of the current one,
	// for the log: an older stored iat is a restored or missed JWT.
	storedIssuedAt, currentIssuedAt int64
}

// staleAccounts asks every full server for its stored JWT of each account of acked and returns
// those of which some server stores another token than both the one every server acknowledged
// and the account's current status.jwt: a push of the current JWT may be on its way, and the
// token is compared whole because the jti does not change within a second.
func (c *Controller) staleAccounts(ctx context.Context, acked map[string]cache.ObjectName, servers int) map[string]staleFinding {
	sr, ok := c.nats.(storeReader)
	if !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.pushTimeout)
	defer cancel()
	stored, err := sr.Stored(ctx, slices.Sorted(maps.Keys(acked)), servers)
	if err != nil {
		klog.FromContext(ctx).V(2).Info("Reading the servers' stored JWTs failed", "err", err, "accounts", len(stored))
	}
	out := map[string]staleFinding{}
	for pub, st := range stored {
		rec, ok := c.state.lookup(acked[pub])
		if !ok || rec.account != pub {
			continue
		}
		current := c.currentJWT(acked[pub])
		if f := compareStored(st.Tokens, rec.digest, current); f.servers > 0 {
			out[pub] = f
		}
	}
	return out
}

// compareStored counts the tokens that are neither the acknowledged token (by digest) nor the
// current one.
func compareStored(tokens []string, ackedDigest, current string) staleFinding {
	f := staleFinding{currentIssuedAt: issuedAt(current)}
	for _, token := range tokens {
		if token == current || tokenDigest(token) == ackedDigest {
			continue
		}
		f.servers++
		f.storedIssuedAt = issuedAt(token)
	}
	return f
}

// currentJWT is key's status.jwt in the cache, or "".
func (c *Controller) currentJWT(key cache.ObjectName) string {
	acc, err := c.accounts.NatsAccounts(key.Namespace).Get(key.Name)
	if err != nil {
		return ""
	}
	return acc.Status.JWT
}

// issuedAt is the iat of a JWT, or 0 when it does not decode.
func issuedAt(token string) int64 {
	if token == "" {
		return 0
	}
	gc, err := jwt.DecodeGeneric(token)
	if err != nil {
		return 0
	}
	return gc.IssuedAt
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

// fullListers counts the good CLAIMS.LIST replies of servers not known to be caches: the full
// servers whose lookup answers a stale check waits for.
func fullListers(replies []natssys.ListReply, isCache func(server string) bool) int {
	n := 0
	for _, lr := range replies {
		if lr.Err == nil && !isCache(lr.Server.Name) {
			n++
		}
	}
	return n
}
