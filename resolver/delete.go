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
	"slices"

	"github.com/nats-io/jwt/v2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
)

// ErrInvalidDeleteRequest: status.deleteRequest does not decode, is not self-signed, or does not
// name exactly the account. ErrUntrustedIssuer covers a request signed by another key.
var ErrInvalidDeleteRequest = errors.New("invalid delete request")

// deleteAccount handles an account with a deletionTimestamp. It is never pushed again; when the
// controller left a delete request in status (the operator allows deletes), the request is sent
// to every expected server until all of them acknowledged it, and the outcome is recorded in
// the Deleted condition, which lets the controller remove its finalizer. Without a request
// there is nothing to do: the controller decided the servers keep the JWT, or has not signed
// the request yet, and its status write re-queues the account.
func (c *Controller) deleteAccount(ctx context.Context, key cache.ObjectName, acc *natsv1alpha1.NatsAccount) error {
	// The servers are about to lose the account: drift checks must not push it back.
	c.state.forget(key)
	req := acc.Status.DeleteRequest
	if req == "" {
		return nil
	}
	digest := tokenDigest(req)
	if c.state.wasDeleted(key, digest) {
		return nil
	}
	if cond := meta.FindStatusCondition(acc.Status.Conditions, natsv1alpha1.ConditionDeleted); cond != nil &&
		cond.Status == metav1.ConditionTrue && cond.ObservedGeneration == acc.Generation {
		// Reported by this or an earlier resolver process; the request is written only once.
		return nil
	}
	op, err := c.operators.NatsOperators(c.operator.Namespace).Get(c.operator.Name)
	if apierrors.IsNotFound(err) {
		// Nobody trusts a request without the operator; the controller lets the account go.
		return nil
	}
	if err != nil {
		return fmt.Errorf("read operator: %w", err)
	}
	if op.Spec.Resolver.Type == natsv1alpha1.ResolverMemory {
		return nil
	}
	if err := trustedDeleteRequest(req, acc.Status.PublicKey, op.Status.SigningKeys); err != nil {
		reason := ReasonInvalidDeleteRequest
		if errors.Is(err, ErrUntrustedIssuer) {
			reason = ReasonUntrustedIssuer
		}
		return c.refuse(ctx, deletedCond, acc, reason, err)
	}
	c.orphans.retain(acc.Status.PublicKey, req)
	return c.deliver(ctx, delivery{op: &deleteOp, acc: acc, token: req, pub: acc.Status.PublicKey, acked: func(string) {
		c.state.recordDeleted(key, digest)
	}})
}

// deletedStatus turns a delete's report into the Deleted condition, such as "deleted from 3 of
// 3 servers" or "2 of 3 servers; nats-1: <error>; missing: nats-2".
func deletedStatus(rep pushReport) pushedStatus {
	if rep.complete() {
		return pushedStatus{status: metav1.ConditionTrue, reason: ReasonDeletedFromServers,
			message: fmt.Sprintf("deleted from %d of %d servers", rep.acked, rep.expected)}
	}
	_, reason, message := rep.condition()
	if reason == ReasonPartiallyPushed {
		return pushedStatus{status: metav1.ConditionFalse, reason: ReasonPartiallyDeleted, message: message}
	}
	return pushedStatus{status: metav1.ConditionFalse, reason: ReasonDeleteFailed, message: message}
}

// trustedDeleteRequest checks that token is a delete request the servers will take from the
// operator (self-signed by one of its signing keys, as the controller signs it) and that it
// deletes exactly accountPub. status.deleteRequest is written by whoever may update the
// status; the resolver must not send a request that deletes other accounts.
func trustedDeleteRequest(token, accountPub string, signingKeys []string) error {
	gc, err := jwt.DecodeGeneric(token)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidDeleteRequest, err)
	}
	if gc.Subject != gc.Issuer {
		return fmt.Errorf("%w: subject %s is not its issuer %s", ErrInvalidDeleteRequest, gc.Subject, gc.Issuer)
	}
	if !slices.Contains(signingKeys, gc.Issuer) {
		return fmt.Errorf("%w: delete request issuer %s is not one of the operator's %d signing keys", ErrUntrustedIssuer,
			gc.Issuer, len(signingKeys))
	}
	list, ok := gc.Data["accounts"].([]any)
	if !ok || len(list) != 1 {
		return fmt.Errorf("%w: it must list exactly the account %s", ErrInvalidDeleteRequest, accountPub)
	}
	if pub, _ := list[0].(string); accountPub == "" || pub != accountPub {
		return fmt.Errorf("%w: it names %v, not the account %s", ErrInvalidDeleteRequest, list[0], accountPub)
	}
	return nil
}
