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
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
)

// DefaultRotationGracePeriod is how long a rotated-out signing key stays trusted after the last
// user it signed was re-issued, when neither the spec nor Config says otherwise.
const DefaultRotationGracePeriod = 10 * time.Minute

// Event reasons of a signing-key rotation.
const (
	EventRotationStarted = "RotationStarted"
	EventUsersReissued   = "UsersReissued"
	EventOldKeyRetired   = "OldKeyRetired"
)

// rotationEvent is one step of a rotation, emitted after the status write recording it.
type rotationEvent struct{ reason, message string }

// keyStep is the outcome of advancing one signing key's rotation by one sync.
type keyStep struct {
	status  natsv1alpha1.SigningKeyStatus
	events  []rotationEvent
	recheck time.Duration // until the grace period ends; zero for no timer
	// seedMissing, for an adopted account, names the seed a held rotation waits for.
	seedMissing string
}

// rotationInputs are what a step needs besides the key's spec and status.
type rotationInputs struct {
	now          time.Time
	defaultGrace time.Duration
	// oldUsers counts the user JWTs the public key signed that are still in use.
	oldUsers func(pub string) int
}

// rotationOf returns the declared rotation of the signing key named name, nil when none.
func rotationOf(acc *natsv1alpha1.NatsAccount, name string) *natsv1alpha1.SigningKeyRotation {
	if name == naming.DefaultSigningKey {
		return acc.Spec.SigningKeyRotation
	}
	for _, sk := range acc.Spec.SigningKeys {
		if sk.Name == name {
			return sk.Rotation
		}
	}
	return nil
}

// rotationPath is the spec field of the rotation of the key named name, for messages.
func rotationPath(name string) string {
	if name == naming.DefaultSigningKey {
		return "spec.signingKeyRotation"
	}
	return fmt.Sprintf("spec.signingKeys[%s].rotation", name)
}

// trustsPrevious reports whether the account JWT still lists st's previous key.
func trustsPrevious(st natsv1alpha1.SigningKeyStatus) bool {
	return st.PreviousPublicKey != "" && (st.Phase == natsv1alpha1.SigningKeyRotating || st.Phase == natsv1alpha1.SigningKeyRetiring)
}

// stepRotation advances the rotation of the signing key named name by what is due now. prev is
// its status entry (nil before the first issue). A key without a declared rotation that never
// rotated keeps a status without generation and phase, exactly as before rotations existed.
// A new generation's public key is filled in by ensureKeys, from the seed the KeyStore adds.
func stepRotation(name string, prev *natsv1alpha1.SigningKeyStatus, rot *natsv1alpha1.SigningKeyRotation, in rotationInputs) (keyStep, error) {
	st := natsv1alpha1.SigningKeyStatus{Name: name}
	if prev != nil {
		st = *prev.DeepCopy()
	}
	if rot == nil && st.Phase == "" {
		return keyStep{status: st}, nil
	}
	want, mode, grace := st.Generation, natsv1alpha1.RotationScheduled, in.defaultGrace
	if rot != nil {
		want, mode = rot.Generation, rot.Mode
		if rot.GracePeriod != nil {
			grace = rot.GracePeriod.Duration
		}
	}
	emergency := mode == natsv1alpha1.RotationEmergency
	switch {
	case prev == nil || prev.PublicKey == "":
		// First issue: the declared generation is the first key; nothing to rotate from.
		st.Generation, st.Phase = want, natsv1alpha1.SigningKeyActive
		return keyStep{status: st}, nil
	case want < st.Generation:
		return keyStep{}, controllerhelpers.Failed(ReasonInvalidSpec, "%s.generation is %d but signing key %q is at generation %d; generations only go up",
			rotationPath(name), want, name, st.Generation)
	case want > st.Generation && (!trustsPrevious(st) || emergency):
		return startRotation(st, want, emergency, in.now), nil
	case trustsPrevious(st) && emergency:
		st.Phase = natsv1alpha1.SigningKeyActive
		return keyStep{status: st, events: []rotationEvent{retiredEvent(st, true)}}, nil
	}
	return advanceRotation(st, grace, in)
}

// startRotation moves st to generation gen. A scheduled rotation keeps the current key trusted
// as the previous one; an emergency one drops it (and any key still retiring) at once.
func startRotation(st natsv1alpha1.SigningKeyStatus, gen int32, emergency bool, now time.Time) keyStep {
	started := metav1.NewTime(now)
	old := st.PublicKey
	st.PreviousPublicKey, st.PreviousGeneration = st.PublicKey, st.Generation
	st.Generation, st.PublicKey = gen, ""
	st.RotationStartedAt, st.UsersReissuedAt = &started, nil
	if emergency {
		st.Phase = natsv1alpha1.SigningKeyActive
		return keyStep{status: st, events: []rotationEvent{
			{EventRotationStarted, fmt.Sprintf("emergency rotation of signing key %q to generation %d", st.Name, gen)},
			retiredEvent(st, true),
		}}
	}
	st.Phase = natsv1alpha1.SigningKeyRotating
	return keyStep{status: st, events: []rotationEvent{{EventRotationStarted,
		fmt.Sprintf("rotation of signing key %q to generation %d started; previous key %s stays trusted until its users are re-issued", st.Name, gen, old)}}}
}

// advanceRotation moves a scheduled rotation on: Rotating until no user JWT of the previous key
// is left, Retiring until the grace period after that has passed, then Active.
func advanceRotation(st natsv1alpha1.SigningKeyStatus, grace time.Duration, in rotationInputs) (keyStep, error) {
	var step keyStep
	if st.Phase == natsv1alpha1.SigningKeyRotating {
		if in.oldUsers(st.PreviousPublicKey) > 0 {
			// The creds Secrets' events re-queue the account as users are re-issued.
			step.status = st
			return step, nil
		}
		at := metav1.NewTime(in.now)
		st.Phase, st.UsersReissuedAt = natsv1alpha1.SigningKeyRetiring, &at
		step.events = append(step.events, rotationEvent{EventUsersReissued,
			fmt.Sprintf("every user of signing key %q was re-issued with generation %d; previous key %s is retired after %s", st.Name, st.Generation, st.PreviousPublicKey, grace)})
	}
	if st.Phase == natsv1alpha1.SigningKeyRetiring {
		end := in.now
		if st.UsersReissuedAt != nil {
			end = st.UsersReissuedAt.Add(grace)
		}
		if left := end.Sub(in.now); left > 0 {
			step.status, step.recheck = st, left
			return step, nil
		}
		st.Phase = natsv1alpha1.SigningKeyActive
		step.events = append(step.events, retiredEvent(st, false))
	}
	if st.Phase == "" {
		st.Phase = natsv1alpha1.SigningKeyActive
	}
	step.status = st
	return step, nil
}

func retiredEvent(st natsv1alpha1.SigningKeyStatus, emergency bool) rotationEvent {
	how := "after its grace period"
	if emergency {
		how = "at once (emergency): every JWT it signed is refused"
	}
	return rotationEvent{EventOldKeyRetired, fmt.Sprintf("previous key %s of signing key %q (generation %d) is no longer trusted, %s",
		st.PreviousPublicKey, st.Name, st.PreviousGeneration, how)}
}
