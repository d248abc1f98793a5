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

	"github.com/nats-io/jwt/v2"
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

// finalize removes the finalizer of a NatsUser written before creds Secrets carried
// naming.SecretFinalizer. The Secret is the record the account controller revokes from, so the
// user is released at once when its Secrets carry (or are given) that finalizer, or it has none.
// Only a Secret already being deleted without it makes the user wait for its revocation here.
func (c *Controller) finalize(ctx context.Context, user *natsv1alpha1.NatsUser) error {
	if !slices.Contains(user.Finalizers, naming.UserFinalizer) {
		return nil
	}
	recorded, err := c.recordInSecrets(ctx, user)
	if err != nil {
		return err
	}
	why := "its creds Secrets record the key"
	if !recorded {
		var done bool
		if done, why = c.revoked(user); !done {
			return controllerhelpers.Requeue("%s", why)
		}
	}
	if err := controllerhelpers.RemoveFinalizer(ctx, user, naming.UserFinalizer, controllerutil.FieldManager, c.patchUser(user)); err != nil {
		return fmt.Errorf("remove finalizer: %w", err)
	}
	klog.FromContext(ctx).V(2).Info("Removed finalizer", "publicKey", user.Status.PublicKey, "because", why)
	return nil
}

// recordInSecrets gives the Secrets this user controls, under its current and its recorded
// name, the finalizer and account-key label they lack. It reports false when one cannot take
// them: it is being deleted already, or the user never learned its account's key.
func (c *Controller) recordInSecrets(ctx context.Context, user *natsv1alpha1.NatsUser) (bool, error) {
	names := []string{naming.UserCredsSecret(user)}
	if n := user.Status.SecretName; n != "" && n != names[0] {
		names = append(names, n)
	}
	recorded := true
	for _, name := range names {
		s, err := c.getSecret(ctx, user.Namespace, name)
		switch {
		case apierrors.IsNotFound(err):
			continue
		case err != nil:
			return false, err
		case !metav1.IsControlledBy(s, user) || slices.Contains(s.Finalizers, naming.SecretFinalizer):
			continue
		case s.DeletionTimestamp != nil || user.Status.AccountPublicKey == "":
			recorded = false
			continue
		}
		patch, err := json.Marshal(map[string]any{"metadata": map[string]any{
			"resourceVersion": s.ResourceVersion,
			"finalizers":      append(slices.Clone(s.Finalizers), naming.SecretFinalizer),
			"labels":          map[string]string{naming.LabelAccountKey: user.Status.AccountPublicKey},
		}})
		if err != nil {
			return false, err
		}
		if _, err := c.kubeClient.CoreV1().Secrets(s.Namespace).Patch(ctx, s.Name, types.MergePatchType, patch,
			metav1.PatchOptions{FieldManager: controllerutil.FieldManager}); err != nil {
			return false, fmt.Errorf("record the key in creds Secret %s: %w", s.Name, err)
		}
	}
	return recorded, nil
}

// revoked reports whether a legacy user whose Secret could not record its key may go, and why
// (or what it waits for). It never waits for something that cannot come: without an issued
// key, an account, its keys or its operator nobody can revoke.
func (c *Controller) revoked(user *natsv1alpha1.NatsUser) (done bool, why string) {
	pub := user.Status.PublicKey
	if pub == "" {
		return true, "no key was issued"
	}
	ref := naming.UserAccount(user)
	acc, err := c.accounts.NatsAccounts(ref.Namespace).Get(ref.Name)
	switch {
	case err != nil:
		return true, "the account is gone"
	case acc.DeletionTimestamp != nil:
		return true, "the account is being deleted"
	case acc.Status.PublicKey == "" || (user.Status.AccountPublicKey != "" && acc.Status.PublicKey != user.Status.AccountPublicKey):
		return true, "the account has another identity than the one the user was issued for"
	}
	if _, err := c.operators.NatsOperators(acc.Namespace).Get(acc.Spec.OperatorRef.Name); err != nil {
		return true, "the account's operator is gone"
	}
	// An account with adopted keys (spec.keysSecretRef) has no Secret in the cache; its
	// controller reports when it cannot sign.
	if _, err := c.secrets.Secrets(acc.Namespace).Get(naming.AccountKeysSecret(acc.Name)); err != nil && acc.Spec.KeysSecretRef == nil {
		return true, "the account's keys are gone"
	}
	claims := c.accountClaims(acc)
	if claims != nil && natsjwt.IsRevoked(claims.Revocations, pub, revokeUpTo(user)) {
		return true, "the account revoked the key"
	}
	return false, fmt.Sprintf("waiting for NatsAccount %s/%s to revoke %s", acc.Namespace, acc.Name, pub)
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

// accountClaims returns the decoded, verified JWT in acc's status, or nil when there is none
// usable; it is decoded once per version of the account (c.accountClaimsMemo). The returned
// claims are shared and must not be modified.
func (c *Controller) accountClaims(acc *natsv1alpha1.NatsAccount) *jwt.AccountClaims {
	if claims, ok := c.accountClaimsMemo.Get(acc); ok {
		return claims
	}
	claims, err := jwt.DecodeAccountClaims(acc.Status.JWT)
	if err != nil || claims.Subject != acc.Status.PublicKey {
		claims = nil // the JWT does not decode or names another account
	}
	c.accountClaimsMemo.Put(acc, claims)
	return claims
}
