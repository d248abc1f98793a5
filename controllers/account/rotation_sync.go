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
	"slices"
	"strconv"
	"strings"

	"github.com/nats-io/jwt/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/controllerutil"
	"github.com/natsauth/nats-auth-operator/controllers/credscache"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// planRotations advances the rotation of every signing key (default first, then spec order)
// and returns their status entries; the public key of a new generation is still empty. The
// steps' events and timer go into res only once ensureKeys stored the keys.
func (c *Controller) planRotations(acc *natsv1alpha1.NatsAccount, current *jwt.AccountClaims) ([]keyStep, error) {
	in := rotationInputs{now: c.deps.Clock.Now(), defaultGrace: c.rotationGrace,
		oldUsers: func(pub string) int { return c.usersSignedBy(acc, current, pub) }}
	names := []string{naming.DefaultSigningKey}
	for _, sk := range acc.Spec.SigningKeys {
		names = append(names, sk.Name)
	}
	steps := make([]keyStep, 0, len(names))
	for _, name := range names {
		var prev *natsv1alpha1.SigningKeyStatus
		if i := slices.IndexFunc(acc.Status.SigningKeys, func(s natsv1alpha1.SigningKeyStatus) bool { return s.Name == name }); i >= 0 {
			prev = &acc.Status.SigningKeys[i]
		}
		rot := rotationOf(acc, name)
		step, err := stepRotation(name, prev, rot, in)
		if err != nil {
			return nil, err
		}
		if missing := c.rotationSeedMissing(acc, prev, step.status); missing != "" {
			// A rotation waiting for the user's seed must hold back nothing else: the key
			// stays at its generation, and the account is signed and revokes as before.
			if step, err = stepRotation(name, prev, heldRotation(rot, prev.Generation), in); err != nil {
				return nil, err
			}
			step.seedMissing = missing
		}
		steps = append(steps, step)
	}
	return steps, nil
}

// recordSteps adds the steps' events, the seeds held rotations wait for and the earliest
// grace-period end to res.
func recordSteps(res *issueResult, steps []keyStep) {
	for _, s := range steps {
		res.rotationEvents = append(res.rotationEvents, s.events...)
		if s.seedMissing != "" {
			res.seedsMissing = append(res.seedsMissing, s.seedMissing)
		}
		if s.recheck > 0 && (res.rotationRecheck == 0 || s.recheck < res.rotationRecheck) {
			res.rotationRecheck = s.recheck
		}
	}
}

// usersSignedBy counts the creds Secrets of the account whose user JWT pub signed and that the
// current account JWT does not revoke: the users still to be re-issued before pub may go.
func (c *Controller) usersSignedBy(acc *natsv1alpha1.NatsAccount, current *jwt.AccountClaims, pub string) int {
	var revocations map[string]int64
	if current != nil {
		revocations = current.Revocations
	}
	// ByIndex fails only for an unknown index name, registered before the informers start.
	objs, _ := c.secretIndexer.ByIndex(naming.CredsSecretsByAccountKey, acc.Status.PublicKey)
	n := 0
	for _, obj := range objs {
		s, ok := obj.(*corev1.Secret)
		if !ok || !slices.Contains(s.Finalizers, naming.SecretFinalizer) {
			continue
		}
		uc, ok := credscache.ClaimsOf(s)
		if ok && uc.Issuer == pub && !natsjwt.IsRevoked(revocations, uc.Subject, uc.IssuedAt) {
			n++
		}
	}
	return n
}

// rotating reports whether an account holding key accountPub has a signing key whose previous
// key waits for its users to be re-issued: their creds Secrets' changes then matter to it.
func (c *Controller) rotating(accountPub string) bool {
	objs, _ := c.accountIndexer.ByIndex(naming.AccountsByPublicKey, accountPub)
	for _, obj := range objs {
		if acc, ok := obj.(*natsv1alpha1.NatsAccount); ok {
			for _, sk := range acc.Status.SigningKeys {
				if sk.Phase == natsv1alpha1.SigningKeyRotating {
					return true
				}
			}
		}
	}
	return false
}

// rotationEvents emits the rotation steps the stored status records.
func (c *Controller) rotationEvents(acc *natsv1alpha1.NatsAccount, res issueResult) {
	for _, e := range res.rotationEvents {
		c.deps.Recorder.Event(acc, corev1.EventTypeNormal, e.reason, e.message)
	}
}

// pruneRetiredSeeds deletes from the account key Secret the seeds of generations that the
// stored, Ready account no longer trusts: the only deletion of key material the controller
// makes. Only keys with a rotation phase are looked at, only generations below the current
// one, and never the previous generation while it is trusted. The update carries the cached
// resourceVersion, so a Secret changed meanwhile is not overwritten.
func (c *Controller) pruneRetiredSeeds(ctx context.Context, acc *natsv1alpha1.NatsAccount) error {
	secret, err := c.secretLister.Secrets(acc.Namespace).Get(naming.AccountKeysSecret(acc.Name))
	if err != nil {
		return nil // no Secret, nothing to prune; ensureKeys reports a missing one
	}
	var drop []string
	for _, st := range acc.Status.SigningKeys {
		if st.Phase == "" {
			continue
		}
		if _, ok := secret.Data[naming.AccountSigningSeedAt(st.Name, st.Generation)]; !ok {
			// The cache has not seen the seed this sync added: prune from a later, current copy.
			return nil
		}
		for key := range secret.Data {
			if gen, ok := seedGeneration(key, st.Name); ok && gen < st.Generation && !(trustsPrevious(st) && gen == st.PreviousGeneration) {
				drop = append(drop, key)
			}
		}
	}
	if len(drop) == 0 {
		return nil
	}
	updated := secret.DeepCopy()
	for _, key := range drop {
		delete(updated.Data, key)
	}
	if _, err := c.deps.KubeClient.CoreV1().Secrets(acc.Namespace).Update(ctx, updated, metav1.UpdateOptions{FieldManager: controllerutil.FieldManager}); err != nil {
		return fmt.Errorf("remove retired signing keys from Secret %s/%s: %w", acc.Namespace, secret.Name, err)
	}
	slices.Sort(drop)
	klog.FromContext(ctx).V(2).Info("Removed retired signing keys", "dataKeys", drop)
	return nil
}

// seedGeneration returns the generation of dataKey when it is a seed of signing key name
// (naming.AccountSigningSeedAt).
func seedGeneration(dataKey, name string) (int32, bool) {
	if dataKey == naming.AccountSigningSeed(name) {
		return 0, true
	}
	prefix := strings.TrimSuffix(naming.AccountSigningSeedAt(name, 1), "1.nk")
	rest, ok := strings.CutPrefix(dataKey, prefix)
	if !ok {
		return 0, false
	}
	digits, ok := strings.CutSuffix(rest, ".nk")
	if !ok {
		return 0, false
	}
	gen, err := strconv.ParseInt(digits, 10, 32)
	if err != nil || gen <= 0 || strconv.FormatInt(gen, 10) != digits {
		return 0, false
	}
	return int32(gen), true
}
