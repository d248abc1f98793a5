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
	"fmt"

	"github.com/nats-io/jwt/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/record"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
)

// DefaultMaxJWTSize is the largest account JWT the servers take: a push
// ($SYS.REQ.CLAIMS.UPDATE) and a lookup reply carry it as one message, which nats-server's
// default max_payload bounds to 1 MiB, and jwt/v2 refuses to decode a larger token whatever
// max_payload says.
const DefaultMaxJWTSize = jwt.MaxTokenSize

// Reasons of the JWTSizeNearLimit condition and of the events of its transitions.
const (
	// ReasonJWTSizeWithinLimit: the account JWT is below three quarters of the limit.
	ReasonJWTSizeWithinLimit = "WithinLimit"
	// ReasonRevocationsUnbounded: the JWT is near the limit and, without spec.maxUserLifetime,
	// its revocations are never compacted, so it only grows until pushes fail.
	ReasonRevocationsUnbounded = "RevocationsUnbounded"
	// ReasonJWTLarge: the JWT is near the limit although spec.maxUserLifetime compacts its
	// revocations (many revocations within one lifetime, or a large spec).
	ReasonJWTLarge = "JWTLarge"
	// EventJWTSizeNearLimit is the Warning event of the condition turning True.
	EventJWTSizeNearLimit = "JWTSizeNearLimit"
	// EventJWTSizeWithinLimit is the Normal event of the condition turning False again.
	EventJWTSizeWithinLimit = "JWTSizeWithinLimit"
	// EventRevoked is the Normal event of an account JWT that revokes more user keys.
	EventRevoked = "Revoked"
)

// setSizeCondition records in acc's status how close its signed JWT is to limit bytes: True
// from three quarters of it, early enough to act (set spec.maxUserLifetime, split the
// account) before pushes start failing. Ready is not touched: the JWT is still valid.
func setSizeCondition(acc *natsv1alpha1.NatsAccount, limit int) {
	size, warnAt := len(acc.Status.JWT), limit/4*3
	c := metav1.Condition{Type: natsv1alpha1.ConditionJWTSizeNearLimit, Status: metav1.ConditionFalse,
		Reason: ReasonJWTSizeWithinLimit, ObservedGeneration: acc.Generation,
		Message: fmt.Sprintf("the account JWT is %d bytes with %d revocations; the servers take at most %d", size, acc.Status.Revocations, limit)}
	if size >= warnAt {
		c.Status, c.Reason = metav1.ConditionTrue, ReasonJWTLarge
		c.Message += fmt.Sprintf(" and this warns from %d: pushes and lookups of a larger JWT fail", warnAt)
		if maxUserLifetime(acc) == 0 {
			c.Reason = ReasonRevocationsUnbounded
			c.Message += "; without spec.maxUserLifetime revocations are never compacted, set it to bound them"
		}
	}
	meta.SetStatusCondition(&acc.Status.Conditions, c)
}

// sizeEvents emits one event when the JWTSizeNearLimit condition changed its status between
// the cached and the stored status: called after the write, so a retried sync does not repeat it.
func sizeEvents(recorder record.EventRecorder, cached, acc *natsv1alpha1.NatsAccount) {
	now := meta.FindStatusCondition(acc.Status.Conditions, natsv1alpha1.ConditionJWTSizeNearLimit)
	if now == nil {
		return
	}
	was := meta.IsStatusConditionTrue(cached.Status.Conditions, natsv1alpha1.ConditionJWTSizeNearLimit)
	switch {
	case now.Status == metav1.ConditionTrue && !was:
		recorder.Event(acc, corev1.EventTypeWarning, EventJWTSizeNearLimit, now.Message)
	case now.Status != metav1.ConditionTrue && was:
		recorder.Event(acc, corev1.EventTypeNormal, EventJWTSizeWithinLimit, now.Message)
	}
}

// revokedEvent reports an account JWT just stored that revokes more user keys.
func revokedEvent(recorder record.EventRecorder, acc *natsv1alpha1.NatsAccount, res issueResult) {
	if !res.signed || res.newRevocations == 0 {
		return
	}
	recorder.Eventf(acc, corev1.EventTypeNormal, EventRevoked,
		"the account JWT revokes %d more user key(s), %d in all; the resolver pushes it to the servers", res.newRevocations, acc.Status.Revocations)
}
