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

package user

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/nats-io/jwt/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/controllerutil"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// finalize deletes the creds Secret at once, then releases the object when the account's JWT
// revokes the key. The account controller does the revoking (it watches deletionTimestamp); its
// status update re-queues this user through the usersByAccount index.
func (c *Controller) finalize(ctx context.Context, user *natsv1alpha1.NatsUser) error {
	if !slices.Contains(user.Finalizers, naming.UserFinalizer) {
		return nil
	}
	// A user waiting for its revocation is synced again on every revocation batch of its
	// account; its Secrets are confirmed gone once, not with a GET per sync.
	if _, gone := c.credsDeleted.Load(user.UID); !gone {
		if err := c.deleteCredsSecrets(ctx, user); err != nil {
			return err
		}
		c.credsDeleted.Store(user.UID, struct{}{})
	}
	done, why, keyless := c.revoked(user)
	if !done {
		return controllerhelpers.Requeue("%s", why)
	}
	if keyless != nil {
		if err := c.recordPendingRevocation(ctx, keyless, user); err != nil {
			return err
		}
	}
	if err := controllerhelpers.RemoveFinalizer(ctx, user, naming.UserFinalizer, controllerutil.FieldManager, c.patchUser(user)); err != nil {
		return fmt.Errorf("remove finalizer: %w", err)
	}
	c.credsDeleted.Delete(user.UID)
	klog.FromContext(ctx).V(2).Info("Removed finalizer", "publicKey", user.Status.PublicKey, "because", why)
	return nil
}

// deleteCredsSecrets deletes the Secrets this user controls under its current and its recorded
// name. Others' Secrets of those names are left alone.
func (c *Controller) deleteCredsSecrets(ctx context.Context, user *natsv1alpha1.NatsUser) error {
	names := []string{naming.UserCredsSecret(user)}
	if n := user.Status.SecretName; n != "" && n != names[0] {
		names = append(names, n)
	}
	for _, name := range names {
		s, err := c.getSecret(ctx, user.Namespace, name)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return err
		}
		if metav1.IsControlledBy(s, user) {
			if err := c.deleteSecret(ctx, s); err != nil {
				return err
			}
		}
	}
	return nil
}

// revoked reports whether the finalizer may go, and why (or what it waits for). It never waits
// for something that cannot come: without an issued key, an account or its operator nobody can
// revoke, and nobody needs to. When only the account's key Secret is missing, the account still
// serves the user's JWT, so the finalizer may go only once keyless, the account, records the
// revocation it must make when its keys are back.
func (c *Controller) revoked(user *natsv1alpha1.NatsUser) (done bool, why string, keyless *natsv1alpha1.NatsAccount) {
	pub := user.Status.PublicKey
	if pub == "" {
		return true, "no key was issued", nil
	}
	ref := naming.UserAccount(user)
	acc, err := c.accounts.NatsAccounts(ref.Namespace).Get(ref.Name)
	switch {
	case err != nil:
		return true, "the account is gone", nil
	case acc.DeletionTimestamp != nil:
		return true, "the account is being deleted", nil
	case acc.Status.PublicKey == "" || (user.Status.AccountPublicKey != "" && acc.Status.PublicKey != user.Status.AccountPublicKey):
		return true, "the account has another identity than the one the user was issued for", nil
	}
	if _, err := c.operators.NatsOperators(acc.Namespace).Get(acc.Spec.OperatorRef.Name); err != nil {
		return true, "the account's operator is gone", nil
	}
	if _, err := c.secrets.Secrets(acc.Namespace).Get(naming.AccountKeysSecret(acc.Name)); err != nil {
		return true, "the account's keys are gone; the account records the revocation for when they are back", acc
	}
	waiting := fmt.Sprintf("waiting for NatsAccount %s/%s to revoke %s", acc.Namespace, acc.Name, pub)
	claims := c.accountClaims.get(acc)
	if claims == nil {
		return false, waiting, nil
	}
	if natsjwt.IsRevoked(claims.Revocations, pub, revokeUpTo(user)) {
		return true, "the account revoked the key", nil
	}
	return false, waiting, nil
}

// revokeUpTo is the time a deleted user's key is revoked up to: the account revokes up to
// max(issuedAt, deletionTimestamp), and issuedAt covers the current JWT. Without one (a crash
// before the first status write) deletion time does.
func revokeUpTo(user *natsv1alpha1.NatsUser) int64 {
	if user.Status.IssuedAt != nil {
		return max(user.Status.IssuedAt.Unix(), user.DeletionTimestamp.Unix())
	}
	return user.DeletionTimestamp.Unix()
}

// recordPendingRevocation adds the user's key to the account's pending revocations (one
// annotation per key, see naming.AnnotationPendingRevocationPrefix) and says so in a Warning event
// on the account: until its key Secret is restored nothing can sign the JWT that revokes it, and
// its users' creds keep working.
func (c *Controller) recordPendingRevocation(ctx context.Context, acc *natsv1alpha1.NatsAccount, user *natsv1alpha1.NatsUser) error {
	key := naming.AnnotationPendingRevocationPrefix + user.Status.PublicKey
	upTo := strconv.FormatInt(revokeUpTo(user), 10)
	if acc.Annotations[key] == upTo {
		return nil
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{key: upTo}}})
	if err != nil {
		return err
	}
	if _, err := c.natsClient.NatsauthV1alpha1().NatsAccounts(acc.Namespace).Patch(ctx, acc.Name, types.MergePatchType, patch,
		metav1.PatchOptions{FieldManager: controllerutil.FieldManager}); err != nil {
		return fmt.Errorf("record the pending revocation of %s on NatsAccount %s/%s: %w", user.Status.PublicKey, acc.Namespace, acc.Name, err)
	}
	c.recorder.Eventf(acc, corev1.EventTypeWarning, "RevocationPending",
		"NatsUser %s/%s was deleted while this account's key Secret %s is missing; its key %s stays valid until the Secret is restored, then it is revoked",
		user.Namespace, user.Name, naming.AccountKeysSecret(acc.Name), user.Status.PublicKey)
	return nil
}

// accountClaimsCache keeps the decoded JWT of each account, per resourceVersion. An account
// with ten thousand revocations has a JWT of most of a MiB; when its users are deleted together
// each of them checks it, and decoding it once per user would cost seconds of CPU per batch.
type accountClaimsCache struct {
	mu      sync.Mutex
	entries map[types.UID]cachedClaims
}

type cachedClaims struct {
	resourceVersion string
	claims          *jwt.AccountClaims // nil: the JWT does not decode or names another account
}

// get returns the decoded, verified JWT in acc's status, or nil when there is none usable.
// The returned claims are shared and must not be modified.
func (a *accountClaimsCache) get(acc *natsv1alpha1.NatsAccount) *jwt.AccountClaims {
	a.mu.Lock()
	e, ok := a.entries[acc.UID]
	a.mu.Unlock()
	if ok && e.resourceVersion == acc.ResourceVersion {
		return e.claims
	}
	claims, err := jwt.DecodeAccountClaims(acc.Status.JWT)
	if err != nil || claims.Subject != acc.Status.PublicKey {
		claims = nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.entries == nil {
		a.entries = map[types.UID]cachedClaims{}
	}
	a.entries[acc.UID] = cachedClaims{resourceVersion: acc.ResourceVersion, claims: claims}
	return claims
}

// forget drops an account's entry (the account is gone).
func (a *accountClaimsCache) forget(uid types.UID) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.entries, uid)
}
