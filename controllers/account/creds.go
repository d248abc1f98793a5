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
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/controllerutil"
	"github.com/natsauth/nats-auth-operator/controllers/credscache"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// deadCred is a creds Secret of the account that no live, allowed NatsUser holds, with the key
// and issue time of its JWT (pub is empty when user.jwt does not decode: nothing to revoke).
type deadCred struct {
	secret *corev1.Secret
	pub    string
	iat    int64
	// held: its NatsUser lives in a namespace the account does not allow. The key is revoked,
	// but the Secret stays, so the user is re-issued when its namespace is allowed again.
	held bool
}

// deadCreds returns the creds Secrets labelled with the account's key (any namespace) that are
// not live: a Secret is live when its controller NatsUser is in the cache with the same UID,
// is not being deleted and is in an allowed namespace, and the Secret is not being deleted.
// The Secrets are the durable record of issued keys: one left by a NatsUser deleted while the
// controller was down, or by a deleted namespace, is found here.
func (c *Controller) deadCreds(acc *natsv1alpha1.NatsAccount) []deadCred {
	if acc.Status.PublicKey == "" {
		return nil
	}
	// ByIndex fails only for an unknown index name, registered before the informers start.
	objs, _ := c.secretIndexer.ByIndex(naming.CredsSecretsByAccountKey, acc.Status.PublicKey)
	var out []deadCred
	for _, obj := range objs {
		// Only a Secret with the finalizer records a key: one without was released, or is not
		// the controller's (a benchmark's copy).
		s, ok := obj.(*corev1.Secret)
		if !ok || !slices.Contains(s.Finalizers, naming.SecretFinalizer) {
			continue
		}
		owned := c.ownerLive(s) && s.DeletionTimestamp == nil
		if owned && acc.AllowsNamespace(s.Namespace) {
			continue
		}
		d := deadCred{secret: s, held: owned}
		if uc, ok := credscache.ClaimsOf(s); ok {
			d.pub, d.iat = uc.Subject, uc.IssuedAt
		}
		out = append(out, d)
	}
	return out
}

// ownerLive reports whether the Secret's controller NatsUser is in the cache, with the UID of
// the reference, and not being deleted. A Secret whose owner reference was removed by hand
// belongs to the live user its user label names when that user wants a Secret of its name:
// the user controller re-adopts it.
func (c *Controller) ownerLive(s *corev1.Secret) bool {
	name, uid := s.Labels[naming.LabelUser], types.UID("")
	if ref := metav1.GetControllerOf(s); ref != nil {
		if ref.Kind != "NatsUser" || ref.APIVersion != natsv1alpha1.SchemeGroupVersion.String() {
			return false
		}
		name, uid = ref.Name, ref.UID
	}
	if name == "" {
		return false
	}
	obj, exists, err := c.userIndexer.GetByKey(naming.Key(s.Namespace, name))
	u, ok := obj.(*natsv1alpha1.NatsUser)
	if err != nil || !exists || !ok || u.DeletionTimestamp != nil {
		return false
	}
	return u.UID == uid || (uid == "" && naming.UserCredsSecret(u) == s.Name)
}

// mayBeDead is the Secret event filter: only a creds Secret still recording a key and no longer
// held by a live NatsUser can change the account JWT, so new and updated live Secrets (one per
// user create) re-queue no account.
func (c *Controller) mayBeDead(s *corev1.Secret) bool {
	return slices.Contains(s.Finalizers, naming.SecretFinalizer) && (s.DeletionTimestamp != nil || !c.ownerLive(s))
}

// revokeDead raises list for every dead creds Secret: its key up to its JWT's iat, which is
// stable across syncs.
func revokeDead(list map[string]int64, dead []deadCred) map[string]int64 {
	for _, d := range dead {
		if d.pub != "" && list[d.pub] < d.iat {
			list = natsjwt.RevokeUpTo(list, d.pub, d.iat)
		}
	}
	return list
}

// revokePending raises list for the pending-revocation annotations (key → unix seconds).
func revokePending(list map[string]int64, pending map[string]int64) map[string]int64 {
	for pub, upTo := range pending {
		if list[pub] < upTo {
			list = natsjwt.RevokeUpTo(list, pub, upTo)
		}
	}
	return list
}

// settleCreds runs after the account's status is stored: it clears the pending revocations and
// releases the dead creds Secrets the stored JWT revokes, and, when the JWT cannot be signed for
// good, those nobody can revoke now (the keys are recorded on the account first when only the
// account's keys are missing). nr is the sync's NotReady outcome, nil when the account is issued.
func (c *Controller) settleCreds(ctx context.Context, acc *natsv1alpha1.NatsAccount, nr *controllerhelpers.NotReady) error {
	if nr == nil {
		if err := c.clearPendingRevocations(ctx, acc); err != nil {
			return err
		}
	}
	switch {
	case nr != nil && nr.Reason == ReasonKeysMissing:
		return c.releasePending(ctx, acc)
	case nr != nil && nr.Reason == ReasonOperatorNotFound:
		return c.releaseDead(ctx, acc, "the account's operator is gone")
	}
	claims := currentClaims(klog.FromContext(ctx), acc)
	if claims == nil {
		return nil
	}
	for _, d := range c.deadCreds(acc) {
		if d.held || (d.pub != "" && !natsjwt.IsRevoked(claims.Revocations, d.pub, d.iat)) {
			continue
		}
		if err := c.release(ctx, d, "the account JWT revokes the key"); err != nil {
			return err
		}
	}
	return nil
}

// releaseDead releases every dead creds Secret whose user is gone: nobody needs to revoke its key
// (the account is being deleted, or its operator is gone).
func (c *Controller) releaseDead(ctx context.Context, acc *natsv1alpha1.NatsAccount, why string) error {
	for _, d := range c.deadCreds(acc) {
		if d.held {
			continue
		}
		if err := c.release(ctx, d, why); err != nil {
			return err
		}
	}
	return nil
}

func (c *Controller) release(ctx context.Context, d deadCred, why string) error {
	if err := controllerutil.ReleaseCredsSecret(ctx, c.deps.KubeClient, d.secret); err != nil {
		return err
	}
	klog.FromContext(ctx).V(2).Info("Released creds Secret", "secret", klog.KObj(d.secret), "publicKey", d.pub, "because", why)
	return nil
}

// releasePending records the keys of the dead creds Secrets on the account (one
// pending-revocation annotation per key, in one merge patch that cannot overwrite concurrent
// ones) with a Warning, then releases the Secrets: until the account's key Secret is restored
// nothing can sign the JWT that revokes them, and a finalizer must not block forever.
func (c *Controller) releasePending(ctx context.Context, acc *natsv1alpha1.NatsAccount) error {
	var dead []deadCred
	pending := map[string]any{}
	var names []string
	for _, d := range c.deadCreds(acc) {
		if d.held {
			continue
		}
		dead = append(dead, d)
		key := naming.AnnotationPendingRevocationPrefix + d.pub
		if have, _ := strconv.ParseInt(acc.Annotations[key], 10, 64); d.pub != "" && have < d.iat {
			pending[key] = strconv.FormatInt(d.iat, 10)
			names = append(names, d.secret.Namespace+"/"+d.secret.Name)
		}
	}
	if len(pending) > 0 {
		if err := c.patchAnnotations(ctx, acc, pending); err != nil {
			return fmt.Errorf("record pending revocations: %w", err)
		}
		c.deps.Recorder.Eventf(acc, corev1.EventTypeWarning, "RevocationPending",
			"%d user key(s) of gone NatsUsers (creds Secrets %s) need revoking while this account's key Secret %s is missing; they stay valid until the Secret is restored, then they are revoked",
			len(pending), controllerhelpers.Truncate(strings.Join(names, ", ")), naming.AccountKeysSecret(acc.Name))
	}
	for _, d := range dead {
		if err := c.release(ctx, d, "recorded as a pending revocation"); err != nil {
			return err
		}
	}
	return nil
}

// patchAnnotations merge-patches the account's annotations (a nil value removes one). A merge
// patch of single keys cannot overwrite what a concurrent writer added.
func (c *Controller) patchAnnotations(ctx context.Context, acc *natsv1alpha1.NatsAccount, annotations map[string]any) error {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": annotations}})
	if err != nil {
		return err
	}
	_, err = c.deps.NatsClient.NatsauthV1alpha1().NatsAccounts(acc.Namespace).Patch(ctx, acc.Name, types.MergePatchType, patch,
		metav1.PatchOptions{FieldManager: controllerutil.FieldManager})
	return err
}
