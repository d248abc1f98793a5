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
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/resolver/natssys"
)

// Event reasons about orphan accounts, emitted on the NatsOperator (the resolver may write
// events and account statuses only, and an orphan has no account).
const (
	// ReasonOrphanAccounts: the servers store accounts that no NatsAccount of the operator holds.
	ReasonOrphanAccounts = "OrphanAccounts"
	// ReasonOrphanAccountDeleted: every expected server acknowledged the delete of an orphan.
	ReasonOrphanAccountDeleted = "OrphanAccountDeleted"
	// ReasonOrphanAccountNotDeleted: the delete of an orphan was refused or not answered by all.
	ReasonOrphanAccountNotDeleted = "OrphanAccountNotDeleted"
)

// orphanTracker is what the drift checks need to know about orphan accounts.
type orphanTracker struct {
	// deleteEnabled is the --delete-orphan-accounts opt-in.
	deleteEnabled bool

	mu sync.Mutex
	// requests are the controller-signed delete requests this process has seen, by account: the
	// resolver holds no key to sign one, so only an account whose NatsAccount was deleted while
	// it ran (and that came back, say from a server that was down) can be deleted as an orphan.
	requests map[string]string
	// previous are the orphans of the previous check. Only an account found twice in a row is
	// deleted: one that another resolver process pushed a moment ago may not be in the cache yet.
	previous map[string]bool
	// reported is the orphan set of the last report, so that a report is made on changes only.
	reported string
}

func newOrphanTracker(deleteEnabled bool) *orphanTracker {
	return &orphanTracker{deleteEnabled: deleteEnabled, requests: map[string]string{}, previous: map[string]bool{}}
}

// retain remembers the delete request of account pub.
func (t *orphanTracker) retain(pub, request string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.requests[pub] = request
}

// request returns the delete request seen for pub.
func (t *orphanTracker) request(pub string) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r, ok := t.requests[pub]
	return r, ok
}

// observe records the orphans of a check and returns, sorted, those the previous check found
// too, and whether the set differs from the last one reported.
func (t *orphanTracker) observe(orphans map[string][]string) (confirmed []string, changed bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	pubs := slices.Sorted(maps.Keys(orphans))
	for _, pub := range pubs {
		if t.previous[pub] {
			confirmed = append(confirmed, pub)
		}
	}
	t.previous = make(map[string]bool, len(pubs))
	for _, pub := range pubs {
		t.previous[pub] = true
	}
	set := strings.Join(pubs, ",")
	changed, t.reported = set != t.reported, set
	return confirmed, changed
}

// checkOrphans reports the accounts the servers list that no NatsAccount of the operator holds
// (the system account aside): in a metric always, in a log line and a Warning event on the
// NatsOperator when the set changes. With --delete-orphan-accounts and the operator's
// spec.resolver.allowDelete, an orphan found by two checks in a row is deleted when a delete
// request the controller signed for it is known.
func (c *Controller) checkOrphans(ctx context.Context, op *natsv1alpha1.NatsOperator, view serverView, replies []natssys.ListReply) {
	orphans := c.findOrphans(op, replies)
	if c.metrics != nil {
		c.metrics.OrphanAccounts.Set(float64(len(orphans)))
	}
	confirmed, changed := c.orphans.observe(orphans)
	logger := klog.FromContext(ctx)
	deleting := c.orphans.deleteEnabled && op.Spec.Resolver.AllowDelete
	if changed && len(orphans) == 0 {
		logger.Info("No orphan accounts on the servers anymore")
	}
	if changed && len(orphans) > 0 {
		logger.Info("Servers store accounts that no NatsAccount holds", "orphans", orphans, "deleting", deleting)
		c.recorder.Event(op, corev1.EventTypeWarning, ReasonOrphanAccounts, conditionMessage(c.orphanReport(op, orphans)))
	}
	if !deleting {
		return
	}
	for _, pub := range confirmed {
		c.deleteOrphan(ctx, op, view, pub)
	}
}

// findOrphans returns, for every account some server lists that is neither the system account
// nor held by a NatsAccount of the operator, the sorted servers listing it.
func (c *Controller) findOrphans(op *natsv1alpha1.NatsOperator, replies []natssys.ListReply) map[string][]string {
	out := map[string][]string{}
	for _, lr := range replies {
		if lr.Err != nil {
			continue
		}
		for _, pub := range lr.Accounts {
			if pub == op.Status.SystemAccount || !natssys.IsAccountPublicKey(pub) || c.holdsAccount(pub) {
				continue
			}
			out[pub] = append(out[pub], cmp.Or(lr.Server.Name, unknownServer))
		}
	}
	for _, servers := range out {
		slices.Sort(servers)
	}
	return out
}

// holdsAccount reports whether a NatsAccount of the operator, being deleted or not, has pub.
func (c *Controller) holdsAccount(pub string) bool {
	objs, err := c.accountIndexer.ByIndex(publicKeyIndex, pub)
	if err != nil {
		// Unknown is not orphan: nothing is reported or deleted on a guess.
		return true
	}
	for _, obj := range objs {
		if acc, ok := obj.(*natsv1alpha1.NatsAccount); ok && c.ownsAccount(acc) {
			return true
		}
	}
	return false
}

// orphanReport is the event message: the orphans with their servers, and what happens to them.
func (c *Controller) orphanReport(op *natsv1alpha1.NatsOperator, orphans map[string][]string) string {
	var parts []string
	for _, pub := range slices.Sorted(maps.Keys(orphans)) {
		parts = append(parts, fmt.Sprintf("%s (%s)", pub, strings.Join(orphans[pub], ", ")))
	}
	var next string
	switch {
	case !c.orphans.deleteEnabled:
		next = "they are kept; to delete them set spec.resolver.allowDelete and start the resolver with --delete-orphan-accounts"
	case !op.Spec.Resolver.AllowDelete:
		next = "they are kept: set spec.resolver.allowDelete to delete them"
	default:
		next = "deleting those whose delete request the controller signed (accounts deleted while this resolver ran); " +
			"the others need a request signed by an operator key, which the resolver does not hold"
	}
	return fmt.Sprintf("%d accounts on the nats-servers belong to no NatsAccount of this operator: %s; %s",
		len(orphans), strings.Join(parts, "; "), next)
}

// deleteOrphan sends the known delete request of the orphan pub to every expected server, as
// deleteAccount does for a deleted account, and reports the outcome in an event.
func (c *Controller) deleteOrphan(ctx context.Context, op *natsv1alpha1.NatsOperator, view serverView, pub string) {
	req, ok := c.orphans.request(pub)
	if !ok {
		return
	}
	logger := klog.FromContext(ctx)
	if err := trustedDeleteRequest(req, pub, op.Status.SigningKeys); err != nil {
		logger.Info("Not deleting an orphan account: its delete request is no longer trusted", "publicKey", pub, "err", err)
		return
	}
	sendCtx, cancel := context.WithTimeout(ctx, c.pushTimeout)
	res, err := deleteOp.send(c.nats, sendCtx, req, len(view.expected))
	cancel()
	if ctx.Err() != nil {
		return
	}
	rep := summarize(view.expected, res, err)
	if c.metrics != nil {
		c.metrics.OrphanDeletes.WithLabelValues(rep.result()).Inc()
	}
	st := deletedStatus(rep)
	logger.Info("Sent the delete request of an orphan account", "publicKey", pub, "acknowledged", rep.acked,
		"expected", rep.expected, "result", rep.result())
	eventType, reason := corev1.EventTypeNormal, ReasonOrphanAccountDeleted
	if !rep.complete() {
		eventType, reason = corev1.EventTypeWarning, ReasonOrphanAccountNotDeleted
	}
	c.recorder.Event(op, eventType, reason, conditionMessage(fmt.Sprintf("orphan account %s: %s", pub, st.message)))
}
