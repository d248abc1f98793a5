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
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/nats-io/jwt/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/klog/v2"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/controllerutil"
	"github.com/natsauth/nats-auth-operator/controllers/credscache"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// creds is the user's identity and the JWT that goes with it.
type creds struct {
	name   string         // the Secret the credentials are written to
	secret *corev1.Secret // the Secret holding the identity now (cache object, read-only); nil if none
	seed   []byte
	pub    string
	// token is the user JWT and claims its decoded form; both empty until one is issued or when
	// the Secret's JWT is unusable. A Secret trusted from the cache (dataTrusted) has claims but
	// no token: the cache keeps only the JWT's claims, and loadToken reads it when it is needed.
	token  string
	claims *jwt.UserClaims
	// digest is the digest of the Secret's data (credscache.Digest) once cur's seed and JWT are
	// known to be in it, for status.credsDigest.
	digest string
	// dataTrusted: the Secret's data has the digest status records, so it holds cur's seed and
	// JWT and their creds file, as this controller wrote or verified them.
	dataTrusted   bool
	hash          string // the claims hash token was issued for
	revokedBefore int64  // unix seconds; JWTs of this key issued before it are to be revoked
	// accountRevokedAt is what the account's current JWT revokes this key up to (its entry or
	// "*"); a current JWT issued at or before it is re-issued.
	accountRevokedAt int64
	accountPub       string // the account's public key, the Secret's LabelAccountKey
}

// currentCreds finds the user's identity: the seed in the Secret it controls, or a new key when
// there has never been one. A Secret it does not control is never taken over, and a key that
// existed (status.publicKey) is never silently replaced.
func (c *Controller) currentCreds(ctx context.Context, user *natsv1alpha1.NatsUser, status *natsv1alpha1.NatsUserStatus) (*creds, error) {
	cur := &creds{name: naming.UserCredsSecret(user)}
	secret, err := c.secrets.Secrets(user.Namespace).Get(cur.name)
	if apierrors.IsNotFound(err) && c.mustConfirmMiss(user, status) {
		secret, err = c.kubeClient.CoreV1().Secrets(user.Namespace).Get(ctx, cur.name, metav1.GetOptions{})
	}
	switch {
	case err == nil && !metav1.IsControlledBy(secret, user) && !adoptable(secret, user, status):
		return nil, controllerhelpers.Failed(ReasonSecretConflict,
			"Secret %s exists and is not controlled by this NatsUser, so it is left untouched; choose another spec.secretName or remove that Secret",
			cur.name)
	case apierrors.IsNotFound(err):
		secret, err = c.renamedSecret(ctx, user, status, cur.name)
	}
	if err != nil {
		return nil, err
	}
	if secret == nil {
		if status.PublicKey != "" {
			return nil, controllerhelpers.Failed(ReasonKeysMissing,
				"Secret %s with the seed of %s is gone; restore it, or delete and re-create this NatsUser to get a new identity",
				cur.name, status.PublicKey)
		}
		return cur, cur.generate()
	}
	return cur, c.readCreds(ctx, user, cur, secret, status)
}

// readCreds takes the identity from secret, a Secret the user controls or may adopt. A Secret
// whose data has the digest status records is the one this controller wrote or verified, so its
// cached claims are taken as they are, without the ed25519 work of verifying them again (a
// restart re-reads every user). Any other is verified from the live Secret, as the cache holds
// no JWT to verify.
func (c *Controller) readCreds(ctx context.Context, user *natsv1alpha1.NatsUser, cur *creds, secret *corev1.Secret, status *natsv1alpha1.NatsUserStatus) error {
	if cur.readTrusted(secret, status) {
		return nil
	}
	if credscache.IsCompact(secret) {
		live, err := c.kubeClient.CoreV1().Secrets(secret.Namespace).Get(ctx, secret.Name, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("read creds Secret %s: %w", secret.Name, err)
		}
		if live.UID != secret.UID || (!metav1.IsControlledBy(live, user) && !adoptable(live, user, status)) {
			return controllerhelpers.Requeue("creds Secret %s changed since it was cached", secret.Name)
		}
		secret = live
	}
	return cur.read(secret, status)
}

// readTrusted takes the identity from a Secret whose data has the digest status.credsDigest
// records, and reports whether it did.
func (cur *creds) readTrusted(secret *corev1.Secret, status *natsv1alpha1.NatsUserStatus) bool {
	if status.CredsDigest == "" || status.PublicKey == "" || credscache.DigestOf(secret) != status.CredsDigest {
		return false
	}
	claims, ok := credscache.ClaimsOf(secret)
	if !ok || claims.Subject != status.PublicKey {
		return false
	}
	cur.secret, cur.seed, cur.pub = secret, credscache.Seed(secret), status.PublicKey
	cur.digest, cur.dataTrusted = status.CredsDigest, true
	uc := &jwt.UserClaims{}
	uc.Subject, uc.Issuer, uc.IssuedAt, uc.Expires = claims.Subject, claims.Issuer, claims.IssuedAt, claims.Expires
	cur.claims = uc
	if !credscache.IsCompact(secret) {
		cur.token = string(bytes.TrimSpace(secret.Data[naming.UserJWT]))
	}
	cur.readMetadata(secret, status)
	return true
}

// adoptable reports whether a Secret this user does not control is still its own: someone
// removed the owner reference, but no other controller owns it, it carries the user's labels,
// and its seed is the key status.publicKey names. Only the user's own key can prove that, so the
// Secret is re-adopted instead of being reported as a conflict forever.
func adoptable(secret *corev1.Secret, user *natsv1alpha1.NatsUser, status *natsv1alpha1.NatsUserStatus) bool {
	l := secret.Labels
	if status.PublicKey == "" || metav1.GetControllerOf(secret) != nil || l[naming.LabelManagedBy] != naming.ManagedByValue ||
		l[naming.LabelSecretType] != naming.SecretTypeCreds || l[naming.LabelUser] != user.Name {
		return false
	}
	kp, err := natsjwt.ParseSeed(secret.Data[naming.UserSeed], natsjwt.KindUser)
	if err != nil {
		return false
	}
	pub, err := kp.PublicKey()
	return err == nil && pub == status.PublicKey
}

// mustConfirmMiss reports whether a cache miss for the user's Secret needs an uncached GET: the
// cache may lag our own create and it sees only labelled Secrets. For a user that never had
// credentials (no status.publicKey) the create itself is the check: it fails with AlreadyExists
// when a Secret of that name exists, and only then (createConflicts, for this version of the
// user) is the next miss confirmed. Sparing that GET saves one request per new user, a quarter
// of the way to convergence.
func (c *Controller) mustConfirmMiss(user *natsv1alpha1.NatsUser, status *natsv1alpha1.NatsUserStatus) bool {
	if status.PublicKey != "" {
		return true
	}
	_, conflicted := c.createConflicts.Get(user)
	return conflicted
}

// renamedSecret returns the Secret named by status.secretName when spec.secretName moved away
// from it, so the identity moves along instead of being reported missing.
func (c *Controller) renamedSecret(ctx context.Context, user *natsv1alpha1.NatsUser, status *natsv1alpha1.NatsUserStatus, name string) (*corev1.Secret, error) {
	if status.SecretName == "" || status.SecretName == name {
		return nil, nil
	}
	secret, err := c.getSecret(ctx, user.Namespace, status.SecretName)
	if apierrors.IsNotFound(err) || (err == nil && !metav1.IsControlledBy(secret, user)) {
		return nil, nil
	}
	return secret, err
}

// getSecret reads a Secret from the cache and confirms a miss with one uncached GET. The cache
// may lag our own create, and it sees only labelled Secrets: deciding on a cache miss alone would
// mint a second identity or overwrite somebody else's Secret.
func (c *Controller) getSecret(ctx context.Context, ns, name string) (*corev1.Secret, error) {
	s, err := c.secrets.Secrets(ns).Get(name)
	if apierrors.IsNotFound(err) {
		s, err = c.kubeClient.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
	}
	return s, err
}

// generate makes the identity of a user that never had one. It is stored only together with
// the first JWT, in one Secret write.
func (cur *creds) generate() error {
	kp, err := natsjwt.NewKey(natsjwt.KindUser)
	if err != nil {
		return fmt.Errorf("generate user key: %w", err)
	}
	if cur.seed, err = kp.Seed(); err != nil {
		return fmt.Errorf("encode user key: %w", err)
	}
	cur.pub, err = kp.PublicKey()
	return err
}

// read takes the identity, and the JWT when it belongs to it, from a live Secret this user
// controls (not a cached one: credscache.Compact left no JWT to verify).
func (cur *creds) read(secret *corev1.Secret, status *natsv1alpha1.NatsUserStatus) error {
	cur.secret = secret
	cur.seed = secret.Data[naming.UserSeed]
	kp, err := natsjwt.ParseSeed(cur.seed, natsjwt.KindUser)
	if err != nil {
		return controllerhelpers.Failed(ReasonKeysInvalid, "Secret %s key %s: %v; restore it, or delete the Secret and re-create this NatsUser to get a new identity",
			secret.Name, naming.UserSeed, err)
	}
	if cur.pub, err = kp.PublicKey(); err != nil {
		return err
	}
	if status.PublicKey != "" && cur.pub != status.PublicKey {
		return controllerhelpers.Failed(ReasonKeysInvalid, "Secret %s holds the seed of %s but status.publicKey is %s; restore the original Secret",
			secret.Name, cur.pub, status.PublicKey)
	}
	token := string(bytes.TrimSpace(secret.Data[naming.UserJWT]))
	if uc, err := jwt.DecodeUserClaims(token); err == nil && uc.Subject == cur.pub {
		cur.token, cur.claims = token, uc
	}
	cur.readMetadata(secret, status)
	return nil
}

// readMetadata takes the claims hash and the revocation time from the Secret's annotations.
func (cur *creds) readMetadata(secret *corev1.Secret, status *natsv1alpha1.NatsUserStatus) {
	cur.hash = secret.Annotations[naming.AnnotationClaimsHash]
	if cur.hash == "" {
		cur.hash = status.ClaimsHash
	}
	cur.revokedBefore, _ = strconv.ParseInt(secret.Annotations[naming.AnnotationRevokedBefore], 10, 64)
}

// credsSecret builds the desired creds Secret: labelled for the controller's Secret informer and
// controlled by the NatsUser, so it is garbage-collected with it.
//
// The creds file is formatted without re-checking the pair: cur.token is either signed by this
// sync for cur.pub or was decoded by read, which keeps it only when its subject is the seed's key.
func credsSecret(user *natsv1alpha1.NatsUser, cur *creds) (*corev1.Secret, error) {
	if cur.token == "" {
		return nil, fmt.Errorf("no user JWT to write for %s", cur.pub)
	}
	file, err := natsjwt.FormatTrustedCreds(cur.token, cur.seed)
	if err != nil {
		return nil, fmt.Errorf("format creds: %w", err)
	}
	labels, annotations := credsMetadata(user, cur)
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: cur.name, Namespace: user.Namespace, Labels: labels, Annotations: annotations,
			Finalizers:      []string{naming.SecretFinalizer},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(user, natsv1alpha1.SchemeGroupVersion.WithKind("NatsUser"))},
		},
		Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{naming.UserCreds: file, naming.UserJWT: []byte(cur.token), naming.UserSeed: cur.seed},
	}, nil
}

// credsMetadata are the labels and annotations of the creds Secret.
func credsMetadata(user *natsv1alpha1.NatsUser, cur *creds) (labels, annotations map[string]string) {
	labels = map[string]string{
		naming.LabelManagedBy:  naming.ManagedByValue,
		naming.LabelSecretType: naming.SecretTypeCreds,
	}
	// Object names may be longer than a label value; the informer selects on managed-by only, so
	// such a Secret just goes without the informational user label.
	if len(validation.IsValidLabelValue(user.Name)) == 0 {
		labels[naming.LabelUser] = user.Name
	}
	if cur.accountPub != "" {
		labels[naming.LabelAccountKey] = cur.accountPub
	}
	annotations = map[string]string{naming.AnnotationClaimsHash: cur.hash}
	if cur.revokedBefore > 0 {
		annotations[naming.AnnotationRevokedBefore] = strconv.FormatInt(cur.revokedBefore, 10)
	}
	return labels, annotations
}

// writeSecret creates or updates the creds Secret in one write, and only when it differs.
func (c *Controller) writeSecret(ctx context.Context, user *natsv1alpha1.NatsUser, cur *creds) error {
	adopt := cur.secret != nil && cur.secret.Name == cur.name && !metav1.IsControlledBy(cur.secret, user)
	if !adopt && c.secretKnownUpToDate(user, cur) {
		return nil
	}
	if cur.token == "" && cur.dataTrusted {
		if err := c.loadToken(ctx, cur); err != nil {
			return err
		}
	}
	desired, err := credsSecret(user, cur)
	if err != nil {
		return err
	}
	digest := credscache.Digest(desired.Data)
	client := c.kubeClient.CoreV1().Secrets(user.Namespace)
	logger := klog.FromContext(ctx)
	if cur.secret == nil || cur.secret.Name != desired.Name {
		// AlreadyExists means a Secret appeared since we looked; the retry reads it, and the key
		// generated here is dropped without ever having been stored.
		if _, err := client.Create(ctx, desired, metav1.CreateOptions{FieldManager: controllerutil.FieldManager}); err != nil {
			if apierrors.IsAlreadyExists(err) {
				c.createConflicts.Put(user, struct{}{})
			}
			return fmt.Errorf("create creds Secret %s: %w", desired.Name, err)
		}
		c.createConflicts.Forget(user)
		cur.digest = digest
		logger.V(2).Info("Created creds Secret", "secret", desired.Name, "publicKey", cur.pub)
		if cur.secret != nil {
			return c.deleteSecret(ctx, cur.secret)
		}
		return nil
	}
	if !adopt && secretUpToDate(cur.secret, desired) {
		cur.digest = digest
		return nil
	}
	if cur.secret.DeletionTimestamp != nil {
		// No finalizer may be added to a Secret being deleted; once the account has revoked its
		// key and released it, the user is KeysMissing.
		return controllerhelpers.Requeue("creds Secret %s is being deleted", cur.secret.Name)
	}
	updated := cur.secret.DeepCopy()
	if !slices.Contains(updated.Finalizers, naming.SecretFinalizer) {
		updated.Finalizers = append(updated.Finalizers, naming.SecretFinalizer)
	}
	if adopt {
		updated.OwnerReferences = append(updated.OwnerReferences, desired.OwnerReferences...)
		logger.Info("Re-adopting creds Secret whose owner reference was removed", "secret", desired.Name, "publicKey", cur.pub)
	}
	updated.Data = desired.Data
	updated.Labels = mergeMaps(updated.Labels, desired.Labels)
	updated.Annotations = mergeMaps(updated.Annotations, desired.Annotations)
	// The update carries the cached resourceVersion, so a concurrent change is a Conflict and a
	// retry from fresh data rather than a lost write.
	if _, err := client.Update(ctx, updated, metav1.UpdateOptions{FieldManager: controllerutil.FieldManager}); err != nil {
		return fmt.Errorf("update creds Secret %s: %w", desired.Name, err)
	}
	cur.digest = digest
	logger.V(2).Info("Updated creds Secret", "secret", desired.Name, "publicKey", cur.pub)
	return nil
}

// loadToken reads the JWT of a Secret trusted from the cache, which keeps only its claims: from
// the live Secret, while that still holds the data status records. Only a write that keeps the
// JWT needs it (a label, annotation or finalizer to restore, an adoption).
func (c *Controller) loadToken(ctx context.Context, cur *creds) error {
	live, err := c.kubeClient.CoreV1().Secrets(cur.secret.Namespace).Get(ctx, cur.secret.Name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("read creds Secret %s: %w", cur.secret.Name, err)
	}
	if live.UID != cur.secret.UID || credscache.DigestOf(live) != cur.digest {
		return controllerhelpers.Requeue("creds Secret %s changed since it was cached", cur.secret.Name)
	}
	cur.secret, cur.token = live, string(bytes.TrimSpace(live.Data[naming.UserJWT]))
	return nil
}

// secretKnownUpToDate reports, without formatting a creds file, whether the Secret read for cur
// holds the data status records (dataTrusted, and nothing was issued since) and cur's labels,
// annotations and finalizer.
func (c *Controller) secretKnownUpToDate(user *natsv1alpha1.NatsUser, cur *creds) bool {
	have := cur.secret
	if have == nil || have.Name != cur.name || !cur.dataTrusted {
		return false
	}
	labels, annotations := credsMetadata(user, cur)
	return containsAll(have.Labels, labels) && containsAll(have.Annotations, annotations) &&
		slices.Contains(have.Finalizers, naming.SecretFinalizer)
}

// secretUpToDate reports whether have already holds desired's data, labels, annotations and
// finalizer (a Secret written before the finalizer existed migrates with one update).
// Labels and annotations others added are left alone; the controller reference was checked when
// the Secret was read. have may come from the cache, which keeps only the digest of the data
// (credscache.Compact).
func secretUpToDate(have, desired *corev1.Secret) bool {
	return credscache.DigestOf(have) == credscache.Digest(desired.Data) &&
		containsAll(have.Labels, desired.Labels) && containsAll(have.Annotations, desired.Annotations) &&
		slices.Contains(have.Finalizers, naming.SecretFinalizer)
}

// CompactUser is a transform for the NatsUser informer: it interns the strings users of one
// account share (the account's reference, name and public key, condition types and reasons),
// about 300 bytes per cached user. Messages name the user's own Secret and key; they stay.
func CompactUser(obj any) (any, error) {
	u, ok := obj.(*natsv1alpha1.NatsUser)
	if !ok {
		return obj, nil
	}
	intern := controllerhelpers.Intern
	ref := &u.Spec.AccountRef
	ref.Name, ref.Namespace = intern(ref.Name), intern(ref.Namespace)
	st := &u.Status
	st.Account, st.AccountPublicKey = intern(st.Account), intern(st.AccountPublicKey)
	for i := range st.Conditions {
		c := &st.Conditions[i]
		c.Type, c.Reason = intern(c.Type), intern(c.Reason)
	}
	return obj, nil
}

// deleteSecret deletes a creds Secret whose key moved to another Secret, only the very object we
// looked at (UID precondition). Its finalizer goes first: the key it records lives on.
func (c *Controller) deleteSecret(ctx context.Context, s *corev1.Secret) error {
	if err := controllerhelpers.RemoveFinalizer(ctx, s, naming.SecretFinalizer, controllerutil.FieldManager, controllerutil.SecretPatcher(c.kubeClient, s.Namespace)); err != nil {
		return fmt.Errorf("release creds Secret %s: %w", s.Name, err)
	}
	err := c.kubeClient.CoreV1().Secrets(s.Namespace).Delete(ctx, s.Name,
		metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &s.UID}})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete creds Secret %s: %w", s.Name, err)
	}
	klog.FromContext(ctx).V(2).Info("Deleted creds Secret", "secret", s.Name)
	return nil
}

func containsAll(have, want map[string]string) bool {
	for k, v := range want {
		if got, ok := have[k]; !ok || got != v {
			return false
		}
	}
	return true
}

func mergeMaps(base, add map[string]string) map[string]string {
	out := maps.Clone(base)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, add)
	return out
}
