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

package operator

import (
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
)

// DefaultRotationGracePeriod is how long a rotated-out operator signing key stays trusted after
// every nats-server acknowledged the last account JWT re-signed, when the spec sets no gracePeriod.
const DefaultRotationGracePeriod = 10 * time.Minute

// Event reasons of an operator signing-key rotation (the account controller's vocabulary, plus
// the two steps only the operator has).
const (
	EventRotationStarted  = "RotationStarted"
	EventServersRolled    = "ServersRolled"
	EventAccountsResigned = "AccountsResigned"
	EventOldKeyRetired    = "OldKeyRetired"
)

// rotationEvent is one step of a rotation, emitted after the status write recording it.
type rotationEvent struct{ reason, message string }

// keyStep is the outcome of advancing the rotation by one sync.
type keyStep struct {
	// status is the signing key's status entry; nil when no rotation was ever declared.
	status  *natsv1alpha1.OperatorSigningKeyStatus
	events  []rotationEvent
	recheck time.Duration // until the grace period ends; zero for no timer
	// accountsLeft names the accounts the given key still signs, listed once per sync
	// (planRotation); nil when the operator does not rotate here.
	accountsLeft func(pub string) []string
	// accountsUnpushed is rotationInputs.accountsUnpushed, for the Ready message.
	accountsUnpushed func(pub string) []string
}

// rotationInputs are what a step needs besides the spec and the status.
type rotationInputs struct {
	now time.Time
	// currentPub is the signing key of an issued operator that never declared a rotation
	// (generation 0); "" before the first issue.
	currentPub string
	// serversTrust reports whether every nats-server runs an operator JWT trusting pub.
	serversTrust func(pub string) bool
	// accountsLeft names the accounts whose JWT pub still signs.
	accountsLeft func(pub string) []string
	// accountsUnpushed names the accounts whose JWT that every nats-server acknowledged last
	// (status.pushedIssuer, set by the resolver) pub did not sign; nil when nothing is pushed
	// (the memory resolver), and then the rotation does not wait for pushes.
	accountsUnpushed func(pub string) []string
}

// trustsPrevious reports whether the operator JWT still lists st's previous key.
func trustsPrevious(st *natsv1alpha1.OperatorSigningKeyStatus) bool {
	return st != nil && st.PreviousPublicKey != "" &&
		(st.Phase == natsv1alpha1.SigningKeyRotating || st.Phase == natsv1alpha1.SigningKeyRetiring)
}

// stepRotation advances the operator signing-key rotation by what is due now. An operator
// that never declared one keeps no signingKey status, exactly as before rotations existed. A
// new generation's public key is filled in by ensureKeys, from the seed the KeyStore adds.
func stepRotation(prev *natsv1alpha1.OperatorSigningKeyStatus, rot *natsv1alpha1.SigningKeyRotation, in rotationInputs) (keyStep, error) {
	if rot == nil && prev == nil {
		return keyStep{}, nil
	}
	if prev == nil && in.currentPub != "" {
		// The key the operator was issued with is generation 0.
		prev = &natsv1alpha1.OperatorSigningKeyStatus{PublicKey: in.currentPub, Phase: natsv1alpha1.SigningKeyActive}
	}
	st := &natsv1alpha1.OperatorSigningKeyStatus{}
	if prev != nil {
		st = prev.DeepCopy()
	}
	want, emergency, grace := st.Generation, false, DefaultRotationGracePeriod
	if rot != nil {
		want, emergency = rot.Generation, rot.Mode == natsv1alpha1.RotationEmergency
		if rot.GracePeriod != nil {
			grace = rot.GracePeriod.Duration
		}
	}
	switch {
	case prev == nil || prev.PublicKey == "":
		// First issue: the declared generation is the first key; nothing to rotate from.
		st.Generation, st.Phase = want, natsv1alpha1.SigningKeyActive
		return keyStep{status: st}, nil
	case want < st.Generation:
		return keyStep{}, controllerhelpers.Failed(ReasonInvalidSpec, "spec.signingKeyRotation.generation is %d but the operator signing key is at generation %d; generations only go up",
			want, st.Generation)
	case want > st.Generation && (!trustsPrevious(st) || emergency):
		return startRotation(st, want, emergency, in.now), nil
	case trustsPrevious(st) && emergency:
		st.Phase = natsv1alpha1.SigningKeyActive
		return keyStep{status: st, events: []rotationEvent{retiredEvent(st, true)}}, nil
	}
	return advanceRotation(st, grace, in), nil
}

// startRotation moves st to generation gen. A scheduled rotation keeps the current key trusted
// as the previous one; an emergency one drops it (and any key still retiring) at once.
func startRotation(st *natsv1alpha1.OperatorSigningKeyStatus, gen int32, emergency bool, now time.Time) keyStep {
	started := metav1.NewTime(now)
	old := st.PublicKey
	st.PreviousPublicKey, st.PreviousGeneration = st.PublicKey, st.Generation
	st.Generation, st.PublicKey = gen, ""
	st.RotationStartedAt, st.ServersRolledAt, st.AccountsResignedAt = &started, nil, nil
	if emergency {
		st.Phase = natsv1alpha1.SigningKeyActive
		return keyStep{status: st, events: []rotationEvent{
			{EventRotationStarted, fmt.Sprintf("emergency rotation of the operator signing key to generation %d: restart every nats-server now with the new server config", gen)},
			retiredEvent(st, true),
		}}
	}
	st.Phase = natsv1alpha1.SigningKeyRotating
	return keyStep{status: st, events: []rotationEvent{{EventRotationStarted,
		fmt.Sprintf("rotation of the operator signing key to generation %d started; the new key is in the server config next to %s: restart every nats-server with it", gen, old)}}}
}

// advanceRotation moves a scheduled rotation on: Rotating until every server trusts the new key
// and then until every account JWT of the previous key is re-signed and pushed to every server,
// Retiring until the grace period after that has passed, then Active.
func advanceRotation(st *natsv1alpha1.OperatorSigningKeyStatus, grace time.Duration, in rotationInputs) keyStep {
	step := keyStep{status: st}
	if st.Phase == natsv1alpha1.SigningKeyRotating && st.ServersRolledAt == nil {
		if st.PublicKey == "" || !in.serversTrust(st.PublicKey) {
			// The resolver's status write re-queues the operator once the servers were rolled.
			return step
		}
		at := metav1.NewTime(in.now)
		st.ServersRolledAt = &at
		step.events = append(step.events, rotationEvent{EventServersRolled,
			fmt.Sprintf("every nats-server trusts operator signing key %s (generation %d); accounts are re-signed with it", st.PublicKey, st.Generation)})
		return step // accounts are re-signed once the stored status says so
	}
	if st.Phase == natsv1alpha1.SigningKeyRotating {
		if !accountsReplaced(st, in) {
			// The accounts' status updates (the account controller's, the resolver's) re-queue
			// the operator.
			return step
		}
		at := metav1.NewTime(in.now)
		st.Phase, st.AccountsResignedAt = natsv1alpha1.SigningKeyRetiring, &at
		step.events = append(step.events, resignedEvent(st, grace, in.accountsUnpushed != nil))
	}
	if st.Phase == natsv1alpha1.SigningKeyRetiring {
		end := in.now
		if st.AccountsResignedAt != nil {
			end = st.AccountsResignedAt.Add(grace)
		}
		if left := end.Sub(in.now); left > 0 {
			step.recheck = left
			return step
		}
		st.Phase = natsv1alpha1.SigningKeyActive
		step.events = append(step.events, retiredEvent(st, false))
	}
	if st.Phase == "" {
		st.Phase = natsv1alpha1.SigningKeyActive
	}
	return step
}

// accountsReplaced reports whether every account JWT of the previous key is replaced: re-signed
// by the new key and, unless nothing is pushed, acknowledged by every nats-server
// (controllers/DESIGN.md, "Pushed, not only re-signed").
func accountsReplaced(st *natsv1alpha1.OperatorSigningKeyStatus, in rotationInputs) bool {
	if len(in.accountsLeft(st.PreviousPublicKey)) > 0 {
		return false
	}
	return in.accountsUnpushed == nil || len(in.accountsUnpushed(st.PublicKey)) == 0
}

func resignedEvent(st *natsv1alpha1.OperatorSigningKeyStatus, grace time.Duration, pushed bool) rotationEvent {
	what := "every nats-server acknowledged the re-signed JWTs"
	if !pushed {
		what = "the memory resolver pushes nothing: reload or restart the servers with the new resolver_preload within the grace period"
	}
	return rotationEvent{EventAccountsResigned, fmt.Sprintf("every account is signed by operator signing key generation %d and %s; previous key %s is retired after %s",
		st.Generation, what, st.PreviousPublicKey, grace)}
}

func retiredEvent(st *natsv1alpha1.OperatorSigningKeyStatus, emergency bool) rotationEvent {
	how := "after its grace period"
	if emergency {
		how = "at once (emergency): servers running the new config refuse every account JWT it signed"
	}
	return rotationEvent{EventOldKeyRetired, fmt.Sprintf("previous operator signing key %s (generation %d) left the operator JWT %s; restart every nats-server with the new server config",
		st.PreviousPublicKey, st.PreviousGeneration, how)}
}

// waitingMessage says what a rotation waits for, for the Ready message; "" when nothing. left
// are the accounts still signed by the previous key, unpushed those whose re-signed JWT not
// every nats-server acknowledged yet.
func waitingMessage(st *natsv1alpha1.OperatorSigningKeyStatus, left, unpushed []string) string {
	switch {
	case st == nil || st.Phase != natsv1alpha1.SigningKeyRotating:
		return ""
	case st.ServersRolledAt == nil:
		return fmt.Sprintf("; signing-key rotation to generation %d waits for every nats-server to be restarted with the new server config", st.Generation)
	case len(left) > 0:
		return fmt.Sprintf("; signing-key rotation to generation %d waits for %d accounts to be re-signed: %s", st.Generation, len(left), firstNames(left))
	case len(unpushed) > 0:
		return fmt.Sprintf("; signing-key rotation to generation %d waits for the resolver to push %d re-signed account JWTs to every nats-server "+
			"(status.pushedIssuer; is the resolver running?): %s", st.Generation, len(unpushed), firstNames(unpushed))
	}
	return ""
}

// firstNames lists up to five names.
func firstNames(names []string) string {
	if len(names) > 5 {
		names = append(names[:5:5], "...")
	}
	return strings.Join(names, ", ")
}
