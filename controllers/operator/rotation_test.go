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
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/internal/testfixtures"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// issuedOperator is operator "main" after its first issue: keys, system account signed by
// signing.nk, server config.
func issuedOperator(t *testing.T) (*testfixtures.Fixture, *Controller, nkeys.KeyPair) {
	t.Helper()
	op := testfixtures.Operator(ns, "main")
	keys, signing := testfixtures.OperatorKeys(t, op)
	op.Status = natsv1alpha1.NatsOperatorStatus{} // the controller fills it from the Secret
	sys, resolver := desiredSystemAccount(op), desiredResolverUser(op)
	issueSystemAccount(t, sys, signing)
	f, c := newOperatorFixture(t, op, keys, sys, resolver)
	if err := syncOperator(t, c); err != nil {
		t.Fatalf("first issue: %v", err)
	}
	f.Settle()
	return f, c, signing
}

// setRotation puts rot into the spec of operator main.
func setRotation(f *testfixtures.Fixture, rot *natsv1alpha1.SigningKeyRotation) {
	op := f.Operator(ns, "main")
	op.Spec.SigningKeyRotation = rot
	f.Put(op)
	f.Settle()
}

// resignSystemAccount signs the system account's claims again with kp, as the account
// controller does once the operator status names kp's generation.
func resignSystemAccount(t *testing.T, f *testfixtures.Fixture, kp nkeys.KeyPair) {
	t.Helper()
	sys := f.Account(ns, naming.SystemAccount("main"))
	claims := jwt.NewAccountClaims(sys.Status.PublicKey)
	claims.Name = sys.Name
	token, err := claims.Encode(kp)
	if err != nil {
		t.Fatal(err)
	}
	sys.Status.JWT = token
	f.Put(sys)
	f.Settle()
}

// setPushedIssuer records, as the resolver does, that every server acknowledged a system
// account JWT signed by pub.
func setPushedIssuer(t *testing.T, f *testfixtures.Fixture, pub string) {
	t.Helper()
	sys := f.Account(ns, naming.SystemAccount("main"))
	sys.Status.PushedIssuer = pub
	f.Put(sys)
	f.Settle()
}

// operatorJWTKeys are the signing keys of the operator JWT in the server-config Secret.
func operatorJWTKeys(t *testing.T, f *testfixtures.Fixture) []string {
	t.Helper()
	claims, err := jwt.DecodeOperatorClaims(string(f.Secret(ns, naming.ServerConfigSecret("main")).Data[naming.OperatorJWT]))
	if err != nil {
		t.Fatal(err)
	}
	keys := []string(claims.SigningKeys)
	slices.Sort(keys)
	return keys
}

func sorted(keys ...string) []string {
	slices.Sort(keys)
	return keys
}

// TestSyncOperatorRotationScheduled walks a scheduled rotation through its steps on fake
// clientsets: the new seed is added under signing.1.nk and trusted next to the old key (the
// server config changes, accounts stay signed by the old key); nothing moves until the
// resolver reports every server runs that JWT; then accounts are signed by generation 1, the
// phase waits for the system account's re-signed JWT and then for the resolver to record that
// every server acknowledged it (status.pushedIssuer), the grace period runs, and the old key
// leaves the operator JWT. Each step writes only what it must and emits its one event.
func TestSyncOperatorRotationScheduled(t *testing.T) {
	f, c, oldKey := issuedOperator(t)
	oldPub, _ := oldKey.PublicKey()
	setRotation(f, &natsv1alpha1.SigningKeyRotation{Generation: 1, GracePeriod: &metav1.Duration{Duration: time.Minute}})

	if err := syncOperator(t, c); err != nil {
		t.Fatalf("start: %v", err)
	}
	f.ExpectWrites("update secrets main-operator-keys", "update secrets main-server-config", "update natsoperators/status main")
	f.ExpectEvents("Normal " + EventRotationStarted)
	op := f.Operator(ns, "main")
	st := op.Status.SigningKey
	if st == nil || st.Phase != natsv1alpha1.SigningKeyRotating || st.Generation != 1 || st.PreviousPublicKey != oldPub || st.PublicKey == "" || st.PublicKey == oldPub {
		t.Fatalf("signing key status %+v", st)
	}
	newPub := st.PublicKey
	keys := f.Secret(ns, naming.OperatorKeysSecret("main")).Data
	if keys[naming.OperatorSigningSeed] == nil || keys[naming.OperatorSigningSeedAt(1)] == nil {
		t.Fatalf("key Secret has %v, want signing.nk kept and signing.1.nk added", slices.Sorted(maps.Keys(keys)))
	}
	if got := operatorJWTKeys(t, f); !slices.Equal(got, sorted(oldPub, newPub)) {
		t.Fatalf("operator JWT trusts %v, want both keys", got)
	}
	if !slices.Equal(sorted(op.Status.SigningKeys...), sorted(oldPub, newPub)) || op.Status.AccountSigningGeneration() != 0 {
		t.Fatalf("status.signingKeys %v, account signing generation %d; want both keys and generation 0 until the servers are rolled",
			op.Status.SigningKeys, op.Status.AccountSigningGeneration())
	}
	if ready := f.ExpectReady(op.Status.Conditions, metav1.ConditionTrue, ReasonIssued); !strings.Contains(ready.Message, "restarted") {
		t.Errorf("Ready message %q does not say the servers must be restarted", ready.Message)
	}
	expectNoSeed(t, f, op)

	f.Settle()
	if err := syncOperator(t, c); err != nil {
		t.Fatalf("resync: %v", err)
	}
	f.ExpectWrites() // the servers have not been rolled

	// The resolver reports every server runs the JWT that trusts both keys.
	op = f.Operator(ns, "main")
	op.Status.ServersClaimsHash = op.Status.ClaimsHash
	f.Put(op)
	f.Settle()
	if err := syncOperator(t, c); err != nil {
		t.Fatalf("servers rolled: %v", err)
	}
	f.ExpectWrites("update natsoperators/status main")
	f.ExpectEvents("Normal " + EventServersRolled)
	op = f.Operator(ns, "main")
	if op.Status.SigningKey.ServersRolledAt == nil || op.Status.AccountSigningGeneration() != 1 || op.Status.SigningKey.Phase != natsv1alpha1.SigningKeyRotating {
		t.Fatalf("after the roll: %+v, account signing generation %d", op.Status.SigningKey, op.Status.AccountSigningGeneration())
	}

	f.Settle()
	if err := syncOperator(t, c); err != nil {
		t.Fatalf("waiting for accounts: %v", err)
	}
	f.ExpectWrites() // the roll's status already names the account left
	if msg := ready(f.Operator(ns, "main")); !strings.Contains(msg, naming.SystemAccount("main")) {
		t.Errorf("Ready message %q does not name the account still signed by the old key", msg)
	}

	newKey := mustSeed(t, f.Secret(ns, naming.OperatorKeysSecret("main")).Data[naming.OperatorSigningSeedAt(1)])
	resignSystemAccount(t, f, newKey)
	// Re-signed, but the servers acknowledged only the old key's JWT (or nothing): waits.
	for _, pushed := range []string{"", oldPub} {
		setPushedIssuer(t, f, pushed)
		if err := syncOperator(t, c); err != nil {
			t.Fatalf("waiting for the push (pushedIssuer %q): %v", pushed, err)
		}
		f.Settle()
		f.ExpectEvents()
		op = f.Operator(ns, "main")
		if st := op.Status.SigningKey; st.Phase != natsv1alpha1.SigningKeyRotating || st.AccountsResignedAt != nil {
			t.Fatalf("re-signed, not pushed (pushedIssuer %q): %+v", pushed, st)
		}
		if msg := ready(op); !strings.Contains(msg, "push 1 re-signed account JWTs") || !strings.Contains(msg, naming.SystemAccount("main")) {
			t.Errorf("Ready message %q does not name the account whose re-signed JWT was not pushed", msg)
		}
		if got := operatorJWTKeys(t, f); !slices.Equal(got, sorted(oldPub, newPub)) {
			t.Fatalf("operator JWT trusts %v before the push, want both keys", got)
		}
	}
	setPushedIssuer(t, f, newPub)
	err := syncOperator(t, c)
	if r, ok := controllerhelpers.AsRequeue(err); !ok || r.After <= 0 || r.After > time.Minute {
		t.Fatalf("accounts re-signed: %v, want a requeue within the grace period", err)
	}
	f.ExpectEvents("Normal " + EventAccountsResigned)
	if st := f.Operator(ns, "main").Status.SigningKey; st.Phase != natsv1alpha1.SigningKeyRetiring || st.AccountsResignedAt == nil {
		t.Fatalf("after the accounts: %+v", st)
	}

	f.Settle()
	f.Clock.Step(time.Minute)
	if err := syncOperator(t, c); err != nil {
		t.Fatalf("retire: %v", err)
	}
	f.ExpectEvents("Normal " + EventOldKeyRetired)
	op = f.Operator(ns, "main")
	if op.Status.SigningKey.Phase != natsv1alpha1.SigningKeyActive || !slices.Equal(op.Status.SigningKeys, []string{newPub}) {
		t.Fatalf("after the grace period: %+v, signing keys %v", op.Status.SigningKey, op.Status.SigningKeys)
	}
	if got := operatorJWTKeys(t, f); !slices.Equal(got, []string{newPub}) {
		t.Fatalf("operator JWT trusts %v, want only the new key", got)
	}
}

// TestSyncOperatorRotationMemoryResolver: with the memory resolver nothing is pushed (the
// servers load the accounts from resolver_preload), so a re-signed system account moves the
// rotation to Retiring without a pushedIssuer.
func TestSyncOperatorRotationMemoryResolver(t *testing.T) {
	f, c, _ := issuedOperator(t)
	op := f.Operator(ns, "main")
	op.Spec.Resolver.Type = natsv1alpha1.ResolverMemory
	f.Put(op)
	f.Settle()
	setRotation(f, &natsv1alpha1.SigningKeyRotation{Generation: 1, GracePeriod: &metav1.Duration{Duration: time.Minute}})
	if err := syncOperator(t, c); err != nil {
		t.Fatalf("start: %v", err)
	}
	f.Settle()
	op = f.Operator(ns, "main")
	op.Status.ServersClaimsHash = op.Status.ClaimsHash
	f.Put(op)
	f.Settle()
	if err := syncOperator(t, c); err != nil {
		t.Fatalf("servers rolled: %v", err)
	}
	f.Settle()
	resignSystemAccount(t, f, mustSeed(t, f.Secret(ns, naming.OperatorKeysSecret("main")).Data[naming.OperatorSigningSeedAt(1)]))
	f.Events()
	err := syncOperator(t, c)
	if r, ok := controllerhelpers.AsRequeue(err); !ok || r.After <= 0 {
		t.Fatalf("accounts re-signed: %v, want a requeue within the grace period", err)
	}
	f.ExpectEvents("Normal " + EventAccountsResigned)
	if st := f.Operator(ns, "main").Status.SigningKey; st.Phase != natsv1alpha1.SigningKeyRetiring {
		t.Fatalf("memory resolver, re-signed: %+v, want Retiring", st)
	}
}

// TestSyncOperatorRotationEmergency: an emergency rotation drops the old key from the operator
// JWT in the same sync that adds the new one, and accounts are signed by the new key at once.
func TestSyncOperatorRotationEmergency(t *testing.T) {
	f, c, oldKey := issuedOperator(t)
	oldPub, _ := oldKey.PublicKey()
	setRotation(f, &natsv1alpha1.SigningKeyRotation{Generation: 1, Mode: natsv1alpha1.RotationEmergency})
	if err := syncOperator(t, c); err != nil {
		t.Fatalf("emergency: %v", err)
	}
	f.ExpectEvents("Normal "+EventRotationStarted, "Normal "+EventOldKeyRetired)
	op := f.Operator(ns, "main")
	st := op.Status.SigningKey
	if st.Phase != natsv1alpha1.SigningKeyActive || st.PreviousPublicKey != oldPub || op.Status.AccountSigningGeneration() != 1 {
		t.Fatalf("signing key status %+v, account signing generation %d", st, op.Status.AccountSigningGeneration())
	}
	if got := operatorJWTKeys(t, f); !slices.Equal(got, []string{st.PublicKey}) {
		t.Fatalf("operator JWT trusts %v, want only %s", got, st.PublicKey)
	}
	expectNoSeed(t, f, op)
}

// expectNoSeed fails when a seed of the operator key Secret is in op's status or an event.
func expectNoSeed(t *testing.T, f *testfixtures.Fixture, op *natsv1alpha1.NatsOperator) {
	t.Helper()
	status, err := json.Marshal(op.Status)
	if err != nil {
		t.Fatal(err)
	}
	text := string(status) + strings.Join(f.Events(), "\n")
	for name, seed := range f.Secret(ns, naming.OperatorKeysSecret("main")).Data {
		if strings.Contains(text, string(seed)) {
			t.Fatalf("seed %s is in the status or an event", name)
		}
	}
}

// TestSyncOperatorRotationLowerGeneration: a generation below the status's is InvalidSpec and
// changes no key or config.
func TestSyncOperatorRotationLowerGeneration(t *testing.T) {
	f, c, _ := issuedOperator(t)
	setRotation(f, &natsv1alpha1.SigningKeyRotation{Generation: 2, Mode: natsv1alpha1.RotationEmergency})
	if err := syncOperator(t, c); err != nil {
		t.Fatal(err)
	}
	f.Settle()
	setRotation(f, &natsv1alpha1.SigningKeyRotation{Generation: 1})
	if err := syncOperator(t, c); !controllerhelpers.IsTerminal(err) {
		t.Fatalf("sync: %v, want a terminal error", err)
	}
	f.ExpectWrites("update natsoperators/status main")
	f.ExpectReady(f.Operator(ns, "main").Status.Conditions, metav1.ConditionFalse, ReasonInvalidSpec)
}

// TestStepRotationTable covers the transitions stepRotation makes from a stored status.
func TestStepRotationTable(t *testing.T) {
	now := time.Now()
	at := metav1.NewTime(now.Add(-time.Hour))
	none := func(string) []string { return nil }
	in := rotationInputs{now: now, currentPub: "OCUR", serversTrust: func(string) bool { return false }, accountsLeft: none}
	rotating := &natsv1alpha1.OperatorSigningKeyStatus{PublicKey: "ONEW", Generation: 1, Phase: natsv1alpha1.SigningKeyRotating, PreviousPublicKey: "OOLD"}
	cases := []struct {
		name   string
		prev   *natsv1alpha1.OperatorSigningKeyStatus
		rot    *natsv1alpha1.SigningKeyRotation
		in     rotationInputs
		phase  natsv1alpha1.SigningKeyPhase
		gen    int32
		events int
	}{
		{"never declared", nil, nil, in, "", 0, 0},
		{"declared at generation 0 on an issued operator", nil, &natsv1alpha1.SigningKeyRotation{}, in, natsv1alpha1.SigningKeyActive, 0, 0},
		{"first issue at generation 3", nil, &natsv1alpha1.SigningKeyRotation{Generation: 3}, rotationInputs{now: now}, natsv1alpha1.SigningKeyActive, 3, 0},
		{"raised on an issued operator", nil, &natsv1alpha1.SigningKeyRotation{Generation: 1}, in, natsv1alpha1.SigningKeyRotating, 1, 1},
		{"waits for the servers", rotating, &natsv1alpha1.SigningKeyRotation{Generation: 1}, in, natsv1alpha1.SigningKeyRotating, 1, 0},
		{"raised again while rotating waits", rotating, &natsv1alpha1.SigningKeyRotation{Generation: 2}, in, natsv1alpha1.SigningKeyRotating, 1, 0},
		{"emergency while rotating drops the old key", rotating, &natsv1alpha1.SigningKeyRotation{Generation: 1, Mode: natsv1alpha1.RotationEmergency}, in, natsv1alpha1.SigningKeyActive, 1, 1},
		{"servers rolled", rotating, &natsv1alpha1.SigningKeyRotation{Generation: 1},
			rotationInputs{now: now, serversTrust: func(p string) bool { return p == "ONEW" }, accountsLeft: none}, natsv1alpha1.SigningKeyRotating, 1, 1},
		{"accounts left", withRolled(rotating, &at), &natsv1alpha1.SigningKeyRotation{Generation: 1},
			rotationInputs{now: now, accountsLeft: func(string) []string { return []string{"a"} }}, natsv1alpha1.SigningKeyRotating, 1, 0},
		{"accounts re-signed, memory resolver (nothing pushed), zero grace", withRolled(rotating, &at), &natsv1alpha1.SigningKeyRotation{Generation: 1, GracePeriod: &metav1.Duration{}},
			rotationInputs{now: now, accountsLeft: none}, natsv1alpha1.SigningKeyActive, 1, 2},
		{"accounts re-signed, not pushed", withRolled(rotating, &at), &natsv1alpha1.SigningKeyRotation{Generation: 1, GracePeriod: &metav1.Duration{}},
			rotationInputs{now: now, accountsLeft: none, accountsUnpushed: func(p string) []string {
				if p != "ONEW" {
					t.Errorf("asked for accounts not pushed with %s, want the new key", p)
				}
				return []string{"a"}
			}}, natsv1alpha1.SigningKeyRotating, 1, 0},
		{"accounts re-signed and pushed, zero grace", withRolled(rotating, &at), &natsv1alpha1.SigningKeyRotation{Generation: 1, GracePeriod: &metav1.Duration{}},
			rotationInputs{now: now, accountsLeft: none, accountsUnpushed: none}, natsv1alpha1.SigningKeyActive, 1, 2},
		{"emergency does not wait for pushes", withRolled(rotating, &at), &natsv1alpha1.SigningKeyRotation{Generation: 2, Mode: natsv1alpha1.RotationEmergency},
			rotationInputs{now: now, accountsLeft: func(string) []string { return []string{"a"} }, accountsUnpushed: func(string) []string { return []string{"a"} }},
			natsv1alpha1.SigningKeyActive, 2, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			step, err := stepRotation(tc.prev, tc.rot, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			var phase natsv1alpha1.SigningKeyPhase
			var gen int32
			if step.status != nil {
				phase, gen = step.status.Phase, step.status.Generation
			}
			if phase != tc.phase || gen != tc.gen || len(step.events) != tc.events {
				t.Errorf("phase %q generation %d events %v; want %q %d and %d events", phase, gen, step.events, tc.phase, tc.gen, tc.events)
			}
		})
	}
}

func withRolled(st *natsv1alpha1.OperatorSigningKeyStatus, at *metav1.Time) *natsv1alpha1.OperatorSigningKeyStatus {
	out := st.DeepCopy()
	out.ServersRolledAt = at
	return out
}

func ready(op *natsv1alpha1.NatsOperator) string {
	for _, c := range op.Status.Conditions {
		if c.Type == natsv1alpha1.ConditionReady {
			return c.Message
		}
	}
	return ""
}

func mustSeed(t *testing.T, seed []byte) nkeys.KeyPair {
	t.Helper()
	kp, err := natsjwt.ParseSeed(seed, natsjwt.KindOperator)
	if err != nil {
		t.Fatal(err)
	}
	return kp
}
