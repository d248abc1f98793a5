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

package controllerutil

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/nats-io/nkeys"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"

	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// Key Secret failures the callers turn into conditions. None of them carries key material.
var (
	// ErrKeysMissing: the object's status names a public key but its key Secret is gone.
	ErrKeysMissing = errors.New("key Secret is missing")
	// ErrSecretNotManaged: a Secret of the deterministic name exists and was not made by us.
	ErrSecretNotManaged = errors.New("a Secret of that name exists and is not managed by nats-auth-operator")
	// ErrKeyInvalid: the Secret holds something that is not a seed of the expected kind.
	ErrKeyInvalid = errors.New("key Secret holds an invalid seed")
)

// KeySecret describes a Secret of seeds that are generated once and never replaced.
type KeySecret struct {
	Namespace, Name string
	Labels          map[string]string
	// Annotations are written when the Secret is created and never changed afterwards.
	Annotations map[string]string
	// Owner, when set, makes the Secret garbage-collected with its object (keyDeletionPolicy
	// Delete); when nil any owner reference to OwnerUID is removed so the keys are retained.
	Owner *metav1.OwnerReference
	// Keys maps each data key to the kind of seed it must hold. Missing entries are generated and
	// added; present ones are only ever read.
	Keys map[string]natsjwt.KeyKind
	// MustExist is set when the object's status already names a public key: the Secret is then
	// never created from scratch, because a new identity would break every server that trusts
	// the old one.
	MustExist bool
	// Recorded are the data keys whose public keys the object's status already names. Such a
	// seed is never generated: a Secret restored from a backup older than a rotation lacks the
	// newer seed, and a fresh one would silently replace a key that JWTs and servers trust.
	// Ensure returns a SeedMissingError (an ErrKeysMissing) instead.
	Recorded []string
}

// SeedMissingError: the key Secret exists but lacks seeds whose public keys the status names.
// errors.Is(err, ErrKeysMissing) holds for it.
type SeedMissingError struct {
	Secret string   // namespace/name
	Keys   []string // the missing data keys, sorted
}

func (e *SeedMissingError) Error() string {
	return fmt.Sprintf("%v: Secret %s has no %s, whose public key the status names", ErrKeysMissing, e.Secret, strings.Join(e.Keys, ", "))
}

// Is makes errors.Is(err, ErrKeysMissing) true.
func (e *SeedMissingError) Is(target error) bool { return target == ErrKeysMissing }

// KeyStore reads key Secrets from the cache and writes them through the API.
type KeyStore struct {
	Client       kubernetes.Interface
	Lister       corelisters.SecretLister
	FieldManager string
}

// Ensure returns the key pairs of spec, creating the Secret or adding missing seeds as needed.
// A cache miss is confirmed with one uncached read before anything is generated, so a controller
// that restarted (or whose cache lags its own create) never makes a second identity.
func (s *KeyStore) Ensure(ctx context.Context, spec KeySecret) (map[string]nkeys.KeyPair, error) {
	secret, err := s.Lister.Secrets(spec.Namespace).Get(spec.Name)
	if apierrors.IsNotFound(err) {
		secret, err = s.Client.CoreV1().Secrets(spec.Namespace).Get(ctx, spec.Name, metav1.GetOptions{})
	}
	switch {
	case apierrors.IsNotFound(err):
		if spec.MustExist || len(spec.Recorded) > 0 {
			return nil, fmt.Errorf("%w: %s/%s", ErrKeysMissing, spec.Namespace, spec.Name)
		}
		return s.create(ctx, spec)
	case err != nil:
		return nil, fmt.Errorf("read key Secret %s/%s: %w", spec.Namespace, spec.Name, err)
	}
	if secret.Labels[naming.LabelManagedBy] != naming.ManagedByValue || secret.Labels[naming.LabelSecretType] != naming.SecretTypeKeys {
		return nil, fmt.Errorf("%w: %s/%s", ErrSecretNotManaged, spec.Namespace, spec.Name)
	}
	return s.complete(ctx, secret, spec)
}

func (s *KeyStore) create(ctx context.Context, spec KeySecret) (map[string]nkeys.KeyPair, error) {
	data := map[string][]byte{}
	pairs, err := addMissingKeys(data, spec.Keys)
	if err != nil {
		return nil, err
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: spec.Name, Namespace: spec.Namespace, Labels: spec.Labels, Annotations: spec.Annotations},
		Type:       corev1.SecretTypeOpaque,
		Data:       data,
	}
	if spec.Owner != nil {
		secret.OwnerReferences = []metav1.OwnerReference{*spec.Owner}
	}
	if _, err := s.Client.CoreV1().Secrets(spec.Namespace).Create(ctx, secret, metav1.CreateOptions{FieldManager: s.FieldManager}); err != nil {
		// AlreadyExists means another worker or an earlier run won; the next sync reads theirs.
		return nil, fmt.Errorf("create key Secret %s/%s: %w", spec.Namespace, spec.Name, err)
	}
	return pairs, nil
}

// complete parses the existing seeds, adds any missing ones and fixes the owner reference.
func (s *KeyStore) complete(ctx context.Context, secret *corev1.Secret, spec KeySecret) (map[string]nkeys.KeyPair, error) {
	pairs := make(map[string]nkeys.KeyPair, len(spec.Keys))
	missing := map[string]natsjwt.KeyKind{}
	for key, kind := range spec.Keys {
		seed, ok := secret.Data[key]
		if !ok {
			missing[key] = kind
			continue
		}
		kp, err := natsjwt.ParseSeed(seed, kind)
		if err != nil {
			return nil, fmt.Errorf("%w: %s/%s key %q is not a %s seed", ErrKeyInvalid, spec.Namespace, spec.Name, key, kind)
		}
		pairs[key] = kp
	}
	if err := recordedMissing(spec, missing); err != nil {
		for _, kp := range pairs {
			kp.Wipe()
		}
		return nil, err
	}
	owners := desiredOwners(secret.OwnerReferences, spec.Owner)
	if len(missing) == 0 && equality.Semantic.DeepEqual(owners, secret.OwnerReferences) && hasLabels(secret.Labels, spec.Labels) {
		return pairs, nil
	}
	updated := secret.DeepCopy()
	updated.OwnerReferences = owners
	if updated.Labels == nil {
		updated.Labels = map[string]string{}
	}
	maps.Copy(updated.Labels, spec.Labels)
	added, err := addMissingKeys(updated.Data, missing)
	if err != nil {
		return nil, err
	}
	// The update carries the cached resourceVersion: if someone else added a key meanwhile it
	// fails with Conflict and the next sync starts from theirs instead of overwriting it.
	if _, err := s.Client.CoreV1().Secrets(spec.Namespace).Update(ctx, updated, metav1.UpdateOptions{FieldManager: s.FieldManager}); err != nil {
		return nil, fmt.Errorf("update key Secret %s/%s: %w", spec.Namespace, spec.Name, err)
	}
	maps.Copy(pairs, added)
	return pairs, nil
}

// recordedMissing returns a SeedMissingError when a seed spec.Recorded names is missing.
func recordedMissing(spec KeySecret, missing map[string]natsjwt.KeyKind) error {
	var keys []string
	for _, key := range spec.Recorded {
		if _, ok := missing[key]; ok {
			keys = append(keys, key)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	slices.Sort(keys)
	return &SeedMissingError{Secret: spec.Namespace + "/" + spec.Name, Keys: slices.Compact(keys)}
}

func addMissingKeys(data map[string][]byte, keys map[string]natsjwt.KeyKind) (map[string]nkeys.KeyPair, error) {
	if data == nil {
		return nil, errors.New("nil Secret data")
	}
	pairs := make(map[string]nkeys.KeyPair, len(keys))
	for key, kind := range keys {
		kp, err := natsjwt.NewKey(kind)
		if err != nil {
			return nil, fmt.Errorf("generate %s key: %w", kind, err)
		}
		seed, err := kp.Seed()
		if err != nil {
			return nil, fmt.Errorf("encode %s key: %w", kind, err)
		}
		data[key] = seed
		pairs[key] = kp
	}
	return pairs, nil
}

// desiredOwners returns refs with owner present (Delete) or with every controller reference
// removed (Retain), keeping unrelated references untouched.
func desiredOwners(refs []metav1.OwnerReference, owner *metav1.OwnerReference) []metav1.OwnerReference {
	out := slices.DeleteFunc(slices.Clone(refs), func(r metav1.OwnerReference) bool {
		return r.Controller != nil && *r.Controller
	})
	if owner != nil {
		out = append(out, *owner)
	}
	if len(out) == 0 && len(refs) == 0 {
		return refs
	}
	return out
}

func hasLabels(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

// --- User-provided key Secrets (adopting an nsc setup) ---

var (
	// ErrProvidedSecretMissing: a keysSecretRef names a Secret that does not exist.
	ErrProvidedSecretMissing = errors.New("the provided key Secret does not exist")
	// ErrProvidedSecretManaged: a keysSecretRef names a Secret nats-auth-operator made. Refused:
	// whoever may create a NatsAccount would otherwise borrow another account's (or the system
	// account's) identity without being able to read its Secret.
	ErrProvidedSecretManaged = errors.New("the provided key Secret is managed by nats-auth-operator")
)

// ReadProvidedKeys parses the seeds keys names from a Secret the user made (keysSecretRef). It
// is read from the ProvidedSecrets cache: the Secret is not ours to label, so the label-filtered
// cache does not hold it. It is never written. Every seed must be present and of its kind; the
// errors name the Secret and data key and never carry key material. A cache that has not synced
// yet is a Requeue (ProvidedSecrets.Get).
func ReadProvidedKeys(provided *ProvidedSecrets, namespace, name string, keys map[string]natsjwt.KeyKind) (map[string]nkeys.KeyPair, error) {
	secret, err := provided.Get(namespace, name)
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("%w: %s/%s", ErrProvidedSecretMissing, namespace, name)
	}
	if err != nil {
		return nil, err
	}
	if secret.Labels[naming.LabelManagedBy] == naming.ManagedByValue {
		return nil, fmt.Errorf("%w: %s/%s", ErrProvidedSecretManaged, namespace, name)
	}
	pairs := make(map[string]nkeys.KeyPair, len(keys))
	wipe := func() {
		for _, kp := range pairs {
			kp.Wipe()
		}
	}
	for _, key := range slices.Sorted(maps.Keys(keys)) {
		seed, ok := secret.Data[key]
		if !ok {
			wipe()
			return nil, fmt.Errorf("%w: %s/%s has no data key %q (a %s seed)", ErrKeyInvalid, namespace, name, key, keys[key])
		}
		kp, err := natsjwt.ParseSeed(seed, keys[key])
		if err != nil {
			wipe()
			// ParseSeed's messages never contain seed material.
			return nil, fmt.Errorf("%w: %s/%s key %q: %v", ErrKeyInvalid, namespace, name, key, err)
		}
		pairs[key] = kp
	}
	return pairs, nil
}
