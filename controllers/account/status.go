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
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/controllerutil"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
)

// updateStatus writes acc's status when it differs from the cached one. The write carries the
// cached resourceVersion, so a stale cache ends in Conflict and a retry, never in overwriting the
// resolver's Pushed condition or pushedClaimsHash, which sync copies along untouched.
func (c *Controller) updateStatus(ctx context.Context, cached, acc *natsv1alpha1.NatsAccount) error {
	if equality.Semantic.DeepEqual(cached.Status, acc.Status) {
		return nil
	}
	_, err := c.deps.NatsClient.NatsauthV1alpha1().NatsAccounts(acc.Namespace).UpdateStatus(ctx, acc,
		metav1.UpdateOptions{FieldManager: controllerutil.FieldManager})
	if err != nil {
		return fmt.Errorf("update status: %w", err)
	}
	return nil
}

// issueResult is what a sync did that is counted once its status is stored.
type issueResult struct {
	// message is the Ready condition's message when the account is issued.
	message string
	// signed is set when the account JWT was re-signed.
	signed bool
	// activations counts the activation tokens signed.
	activations int
	// newRevocations counts user keys newly revoked (or revoked further) in the signed JWT.
	newRevocations int
	// recheck is when the revocations can next be compacted; zero for never.
	recheck time.Duration
	// rotationEvents are the signing-key rotation steps taken (see stepRotation).
	rotationEvents []rotationEvent
	// rotationRecheck is when the first retiring signing key's grace period ends; zero for none.
	rotationRecheck time.Duration
	// seedsMissing names the seeds the held rotations of an adopted account wait for.
	seedsMissing []string
}

// ready is the Ready outcome of an issued account, with its earliest timer.
func (r issueResult) ready() controllerhelpers.Ready {
	out := controllerhelpers.Ready{Reason: ReasonIssued, Message: r.message, RecheckAfter: r.recheck, RecheckWhy: "revocations can be compacted then"}
	if len(r.seedsMissing) > 0 {
		out.Message += "; a signing-key rotation waits for its seed (condition SigningKeysRotated)"
	}
	if r.rotationRecheck > 0 && (out.RecheckAfter == 0 || r.rotationRecheck < out.RecheckAfter) {
		out.RecheckAfter, out.RecheckWhy = r.rotationRecheck, "a rotated-out signing key's grace period ends then"
	}
	return out
}

// record adds the result to the metrics, which are optional.
func (r issueResult) record(m *controllerutil.IssueMetrics) {
	if r.signed {
		m.JWTsSigned("account", 1)
		m.KeysRevoked(r.newRevocations)
	}
	m.JWTsSigned("activation", r.activations)
}
