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

	"github.com/nats-io/nats.go"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
	"github.com/natsauth/nats-auth-operator/resolver/natssys"
)

// operation is one of the two requests the resolver delivers to every expected server: an
// account JWT, or the controller's delete request for a deleted account. Both go through the
// same pipeline (deliver); they differ only in what is sent and how the outcome is recorded.
type operation struct {
	// cond records the outcome.
	cond ownedCondition
	// failReason is cond's reason when nothing could be sent.
	failReason string
	// verb starts the error of an incomplete delivery.
	verb string
	// what names the token in messages; tooLargeReason is cond's reason when the token is larger
	// than the connection's max_payload, so it was never sent.
	what, tooLargeReason string
	// logMsg is logged after every delivery.
	logMsg string
	// send sends token and collects expected replies.
	send func(n NATS, ctx context.Context, token string, expected int) (natssys.Result, error)
	// outcome is the condition the servers' replies come to; deliver sets its hash.
	outcome func(rep pushReport) pushedStatus
	// observe records a delivery in the metrics.
	observe func(c *Controller, res natssys.Result, rep pushReport)
}

// The two operations.
var (
	pushOp = operation{cond: pushedCond, failReason: ReasonPushFailed, verb: "push account", logMsg: "Pushed account JWT",
		what: "account JWT", tooLargeReason: ReasonJWTTooLarge,
		send: NATS.Update, outcome: pushedOutcome, observe: (*Controller).observePush}
	deleteOp = operation{cond: deletedCond, failReason: ReasonDeleteFailed, verb: "delete account", logMsg: "Sent delete request",
		what: "delete request", tooLargeReason: ReasonDeleteFailed,
		send: NATS.Delete, outcome: deletedStatus, observe: (*Controller).observeDelete}
)

// delivery is one operation for one account.
type delivery struct {
	op  *operation
	acc *natsv1alpha1.NatsAccount
	// token is what is sent: the account JWT or the delete request.
	token string
	// pub is the account public key, for the log and the error.
	pub string
	// issuer signed the pushed account JWT: status.pushedIssuer once every server has it.
	issuer string
	// acked runs, with the condition message, when every server acknowledged, before the
	// status is written: a failed write then only leaves the status to repair.
	acked func(message string)
}

// deliver sends d's token to every expected server and records the outcome in the operation's
// condition (for a push also pushedClaimsHash and pushedIssuer, moved only when every server
// acknowledged). An
// incomplete delivery is an error, so the queue retries it with backoff: a push for as long as
// it takes, a delete until the object is gone (the controller stops waiting at its deadline).
// While NATS is unreachable the account is requeued; the reconnect forces every push anyway.
func (c *Controller) deliver(ctx context.Context, d delivery) error {
	op, acc := d.op, d.acc
	failed := pushedStatus{status: metav1.ConditionFalse, reason: op.failReason}
	failed.hash, failed.issuer = op.cond.keptHash(acc)
	if !c.nats.Connected() {
		failed.message = msgNotConnected
		if err := c.applyCondition(ctx, op.cond, acc, failed); err != nil {
			return err
		}
		return controllerhelpers.Requeue("%v", errNotConnected)
	}
	view, err := c.serverView(ctx)
	if err != nil {
		failed.message = conditionMessage(err.Error())
		return errors.Join(fmt.Errorf("count servers: %w", err), c.applyCondition(ctx, op.cond, acc, failed))
	}
	sendCtx, cancel := context.WithTimeout(ctx, c.pushTimeout)
	res, err := op.send(c.nats, sendCtx, d.token, len(view.expected))
	cancel()
	if ctx.Err() != nil {
		// Shutting down: the silence is ours, not the servers'; report nothing.
		return ctx.Err()
	}
	rep := summarize(view.expected, res, err)
	op.observe(c, res, rep)
	want := op.outcome(rep)
	want.hash, want.issuer = failed.hash, failed.issuer
	if errors.Is(err, nats.ErrMaxPayload) {
		want.reason, want.message = op.tooLargeReason, c.tooLargeMessage(op, d.token)
	}
	if rep.complete() {
		want.hash, want.issuer = op.cond.ackedHash(acc, d.issuer)
		d.acked(want.message)
	}
	klog.FromContext(ctx).V(2).Info(op.logMsg, "publicKey", d.pub, "claimsHash", acc.Status.ClaimsHash,
		"acknowledged", rep.acked, "expected", rep.expected, "result", rep.result(), "lastReply", lastReply(res))
	if err := c.applyCondition(ctx, op.cond, acc, want); err != nil {
		return err
	}
	if !rep.complete() {
		return fmt.Errorf("%s %s: %s", op.verb, d.pub, want.message)
	}
	return nil
}

// tooLargeMessage says that token was not sent because the connection's max_payload (the
// servers') is smaller, so the servers keep what they had. The push is still retried with
// backoff: raising max_payload lets the same token through.
func (c *Controller) tooLargeMessage(op *operation, token string) string {
	limit := "the servers' max_payload"
	if pl, ok := c.nats.(interface{ MaxPayload() int64 }); ok && pl.MaxPayload() > 0 {
		limit = fmt.Sprintf("the servers' max_payload of %d bytes", pl.MaxPayload())
	}
	msg := fmt.Sprintf("the %s is %d bytes, larger than %s, so it was not sent and no server changed", op.what, len(token), limit)
	if op.tooLargeReason == ReasonJWTTooLarge {
		msg += " (each keeps its previous JWT); shrink the account (spec.maxUserLifetime compacts revocations; fewer exports, imports or signing keys) or raise max_payload"
	}
	return msg
}

// refuse records in kind's condition why a token is never sent and makes err terminal: only a
// new token, whose status write queues the account again, changes the verdict.
func (c *Controller) refuse(ctx context.Context, kind ownedCondition, acc *natsv1alpha1.NatsAccount, reason string, err error) error {
	want := pushedStatus{status: metav1.ConditionFalse, reason: reason, message: conditionMessage(err.Error())}
	want.hash, want.issuer = kind.keptHash(acc)
	if werr := c.applyCondition(ctx, kind, acc, want); werr != nil {
		return werr
	}
	return controllerhelpers.Terminal(err)
}

// pushedOutcome is the Pushed condition of a push's report.
func pushedOutcome(rep pushReport) pushedStatus {
	status, reason, message := rep.condition()
	return pushedStatus{status: status, reason: reason, message: message}
}

// observePush records a push in the metrics and learns which servers are cache resolvers.
func (c *Controller) observePush(res natssys.Result, rep pushReport) {
	for _, sr := range res.Replies {
		if sr.Outcome == natssys.OutcomeSkipped {
			c.servers.markCache(sr.Server.Name)
		}
		if sr.OK && c.metrics != nil {
			c.metrics.AckLatency.WithLabelValues(sr.Server.Name).Observe(sr.Latency.Seconds())
		}
	}
	if c.metrics != nil {
		c.metrics.Pushes.WithLabelValues(rep.result()).Inc()
	}
}

// observeDelete records a delete request in the metrics.
func (c *Controller) observeDelete(_ natssys.Result, rep pushReport) {
	if c.metrics != nil {
		c.metrics.Deletes.WithLabelValues(rep.result()).Inc()
	}
}
