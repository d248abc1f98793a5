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
	"encoding/json"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
)

// pushedStatus is the part of an account's status the resolver owns.
type pushedStatus struct {
	status  metav1.ConditionStatus
	reason  string
	message string
	// hash is status.pushedClaimsHash: the claimsHash every server acknowledged last. It is
	// kept as it was when a push is incomplete.
	hash string
	// issuer is status.pushedIssuer: the key that signed the JWT of hash, moved with it. The
	// hash ignores iss, so only this tells an operator signing-key rotation that the re-signed
	// JWT reached every server.
	issuer string
}

// ownedCondition is a condition the resolver owns on NatsAccount status, and how it is written.
type ownedCondition struct {
	// condType is the condition type.
	condType string
	// manager is the field manager of its apply.
	manager string
	// withHash: status.pushedClaimsHash and status.pushedIssuer are written with it (Pushed).
	withHash bool
	// announceTrue: a turn to True is a Normal event. A completed delete is announced by the
	// controller, when it lets the object go.
	announceTrue bool
	// goneOK: an account gone before the write leaves nothing to report on (Deleted: the
	// controller let it go at its deadline). A push retries and then finds it gone.
	goneOK bool
}

// The two conditions the resolver writes.
var (
	pushedCond  = ownedCondition{condType: natsv1alpha1.ConditionPushed, manager: FieldManager, withHash: true, announceTrue: true}
	deletedCond = ownedCondition{condType: natsv1alpha1.ConditionDeleted, manager: DeleteFieldManager, goneOK: true}
)

// keptHash is the pushedClaimsHash and pushedIssuer to write when a delivery is incomplete:
// unchanged.
func (k ownedCondition) keptHash(acc *natsv1alpha1.NatsAccount) (hash, issuer string) {
	if k.withHash {
		return acc.Status.PushedClaimsHash, acc.Status.PushedIssuer
	}
	return "", ""
}

// ackedHash is the pushedClaimsHash and pushedIssuer to write when every server acknowledged
// acc's JWT, which issuer signed.
func (k ownedCondition) ackedHash(acc *natsv1alpha1.NatsAccount, issuer string) (hash, iss string) {
	if k.withHash {
		return acc.Status.ClaimsHash, issuer
	}
	return "", ""
}

// conditionFor returns kind's condition for want and whether it, or the hash, differs from
// what acc's status says. The transition time moves only when the status flips, so repeating
// an outcome writes nothing and triggers no update event.
func conditionFor(kind ownedCondition, acc *natsv1alpha1.NatsAccount, want pushedStatus, now time.Time) (metav1.Condition, bool) {
	cond, changed := nextCondition(acc.Status.Conditions, metav1.Condition{
		Type: kind.condType, Status: want.status, Reason: want.reason, Message: want.message,
		ObservedGeneration: acc.Generation,
	}, now)
	moved := acc.Status.PushedClaimsHash != want.hash || acc.Status.PushedIssuer != want.issuer
	return cond, changed || (kind.withHash && moved)
}

// nextCondition returns cond with its transition time (now, or the previous one's while the
// status stays) and whether it differs from the condition of its type in conditions.
func nextCondition(conditions []metav1.Condition, cond metav1.Condition, now time.Time) (metav1.Condition, bool) {
	cond.LastTransitionTime = metav1.NewTime(now)
	prev := meta.FindStatusCondition(conditions, cond.Type)
	if prev != nil && prev.Status == cond.Status {
		cond.LastTransitionTime = prev.LastTransitionTime
	}
	changed := prev == nil || prev.Status != cond.Status || prev.Reason != cond.Reason ||
		prev.Message != cond.Message || prev.ObservedGeneration != cond.ObservedGeneration
	return cond, changed
}

// applyCondition writes want as kind's condition into cached's status when it differs, and
// emits an event when the condition's status or reason changed: a Warning for False, a Normal
// for True where kind announces it.
func (c *Controller) applyCondition(ctx context.Context, kind ownedCondition, cached *natsv1alpha1.NatsAccount, want pushedStatus) error {
	key := cache.ObjectName{Namespace: cached.Namespace, Name: cached.Name}
	cond, changed := conditionFor(kind, cached, want, c.clock.Now())
	if !changed || c.state.applyPending(kind.condType, key, cached.ResourceVersion, want) {
		return nil
	}
	err := c.applyStatus(ctx, kind, cached, cond, want)
	if kind.goneOK && apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	c.state.recordApply(kind.condType, key, cached.ResourceVersion, want)
	prev := meta.FindStatusCondition(cached.Status.Conditions, kind.condType)
	if prev != nil && prev.Status == cond.Status && prev.Reason == cond.Reason {
		return nil
	}
	switch {
	case cond.Status == metav1.ConditionTrue && kind.announceTrue:
		c.recorder.Event(cached, corev1.EventTypeNormal, cond.Reason, cond.Message)
	case cond.Status == metav1.ConditionFalse:
		c.recorder.Event(cached, corev1.EventTypeWarning, cond.Reason, cond.Message)
	}
	return nil
}

// statusApply is the server-side apply configuration of the resolver's fields. Only the entry
// of the condition written is listed: conditions is a map keyed by type, so apply merges it
// with the controller's entries, and every field this manager stops listing would be removed.
type statusApply struct {
	APIVersion string          `json:"apiVersion"`
	Kind       string          `json:"kind"`
	Metadata   applyMeta       `json:"metadata"`
	Status     applyStatusPart `json:"status"`
}

type applyMeta struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	// UID makes the apply fail on a re-created account of the same name, which the cache has
	// not seen yet, instead of reporting the old one's push on it.
	UID types.UID `json:"uid,omitempty"`
}

type applyStatusPart struct {
	Conditions       []metav1.Condition `json:"conditions"`
	PushedClaimsHash string             `json:"pushedClaimsHash,omitempty"`
	PushedIssuer     string             `json:"pushedIssuer,omitempty"`
}

// applyStatus writes cond (and, for Pushed, pushedClaimsHash and pushedIssuer from want) with
// server-side apply on the status subresource, under kind's field manager. Force takes the
// fields over should another manager have set them; nothing else writes them on purpose.
func (c *Controller) applyStatus(ctx context.Context, kind ownedCondition, acc *natsv1alpha1.NatsAccount, cond metav1.Condition, want pushedStatus) error {
	part := applyStatusPart{Conditions: []metav1.Condition{cond}}
	if kind.withHash {
		part.PushedClaimsHash, part.PushedIssuer = want.hash, want.issuer
	}
	body, err := json.Marshal(statusApply{
		APIVersion: natsv1alpha1.SchemeGroupVersion.String(), Kind: "NatsAccount",
		Metadata: applyMeta{Name: acc.Name, Namespace: acc.Namespace, UID: acc.UID},
		Status:   part,
	})
	if err != nil {
		return fmt.Errorf("encode %s status: %w", kind.condType, err)
	}
	_, err = c.client.NatsauthV1alpha1().NatsAccounts(acc.Namespace).Patch(ctx, acc.Name, types.ApplyPatchType, body,
		metav1.PatchOptions{FieldManager: kind.manager, Force: ptr.To(true)}, "status")
	if err != nil {
		return fmt.Errorf("apply %s status: %w", kind.condType, err)
	}
	return nil
}
