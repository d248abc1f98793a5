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

package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/natsjwt"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// testOperator is a NatsOperator as the account controller sees it.
type testOperator struct {
	Name       string
	PublicKey  string // identity
	SigningKey string // the key that signs account JWTs
}

// setupOperator creates a NatsOperator through the operator controller (which needs its system
// account issued by the account controller to become Ready) and reads its signing key from the
// operator key Secret.
func setupOperator(t *testing.T, ctx context.Context, ns, name string) testOperator {
	t.Helper()
	op := suite.CreateOperator(t, ns, name, nil)
	secret, err := controlPlane.KubeClient().CoreV1().Secrets(ns).Get(ctx, naming.OperatorKeysSecret(name), metav1.GetOptions{})
	if err != nil {
		t.Fatalf("operator key Secret: %v", err)
	}
	pub := seedPublicKey(t, secret.Data[naming.OperatorIdentitySeed], natsjwt.KindOperator)
	if pub != op.Status.PublicKey {
		t.Fatalf("operator.nk holds %s, operator status %s", pub, op.Status.PublicKey)
	}
	return testOperator{Name: name, PublicKey: pub, SigningKey: seedPublicKey(t, secret.Data[naming.OperatorSigningSeed], natsjwt.KindOperator)}
}

func newSeed(t *testing.T, kind natsjwt.KeyKind) []byte {
	t.Helper()
	kp, err := natsjwt.NewKey(kind)
	if err != nil {
		t.Fatal(err)
	}
	seed, err := kp.Seed()
	if err != nil {
		t.Fatal(err)
	}
	return seed
}

func newPublicKey(t *testing.T, kind natsjwt.KeyKind) string {
	t.Helper()
	return seedPublicKey(t, newSeed(t, kind), kind)
}

func seedPublicKey(t *testing.T, seed []byte, kind natsjwt.KeyKind) string {
	t.Helper()
	kp, err := natsjwt.ParseSeed(seed, kind)
	if err != nil {
		t.Fatalf("parse %s seed: %v", kind, err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// newAccount returns a minimal NatsAccount of operator op.
func newAccount(ns, name, op string) *natsv1alpha1.NatsAccount {
	return &natsv1alpha1.NatsAccount{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec:       natsv1alpha1.NatsAccountSpec{OperatorRef: natsv1alpha1.LocalObjectReference{Name: op}},
	}
}

func createAccount(t *testing.T, ctx context.Context, acc *natsv1alpha1.NatsAccount) *natsv1alpha1.NatsAccount {
	t.Helper()
	got, err := suite.NatsClient(t).NatsauthV1alpha1().NatsAccounts(acc.Namespace).Create(ctx, acc, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create account %s: %v", acc.Name, err)
	}
	return got
}

func getAccount(t *testing.T, ctx context.Context, ns, name string) *natsv1alpha1.NatsAccount {
	t.Helper()
	acc, err := suite.NatsClient(t).NatsauthV1alpha1().NatsAccounts(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get account %s: %v", name, err)
	}
	return acc
}

// waitAccountCondition waits until the account's Ready condition has status and reason for its
// current generation, and returns the account.
func waitAccountCondition(t *testing.T, ctx context.Context, ns, name string, status metav1.ConditionStatus, reason string) *natsv1alpha1.NatsAccount {
	t.Helper()
	var acc *natsv1alpha1.NatsAccount
	var last string
	err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		got, err := suite.NatsClient(t).NatsauthV1alpha1().NatsAccounts(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		acc = got
		c := meta.FindStatusCondition(got.Status.Conditions, natsv1alpha1.ConditionReady)
		if c == nil {
			return false, nil
		}
		last = string(c.Status) + "/" + c.Reason + ": " + c.Message
		return c.Status == status && c.Reason == reason && c.ObservedGeneration == got.Generation &&
			got.Status.ObservedGeneration == got.Generation, nil
	})
	if err != nil {
		t.Fatalf("waiting for account %s to be Ready=%s/%s (last %q): %v", name, status, reason, last, err)
	}
	return acc
}

func waitAccountReady(t *testing.T, ctx context.Context, ns, name string) *natsv1alpha1.NatsAccount {
	t.Helper()
	return waitAccountCondition(t, ctx, ns, name, metav1.ConditionTrue, "Issued")
}

func readyMessage(acc *natsv1alpha1.NatsAccount) string {
	if c := meta.FindStatusCondition(acc.Status.Conditions, natsv1alpha1.ConditionReady); c != nil {
		return c.Message
	}
	return ""
}

// decodeAccount decodes status.jwt and checks it belongs to the account.
func decodeAccount(t *testing.T, acc *natsv1alpha1.NatsAccount) *jwt.AccountClaims {
	t.Helper()
	claims, err := jwt.DecodeAccountClaims(acc.Status.JWT)
	if err != nil {
		t.Fatalf("decode account JWT of %s: %v", acc.Name, err)
	}
	if claims.Subject != acc.Status.PublicKey {
		t.Fatalf("account JWT subject %s, status.publicKey %s", claims.Subject, acc.Status.PublicKey)
	}
	return claims
}

// touchOperator changes an annotation of the operator, which re-queues all of its accounts.
func touchOperator(t *testing.T, ctx context.Context, ns, name, value string) {
	t.Helper()
	patch := []byte(`{"metadata":{"annotations":{"test.natsauth.io/touch":"` + value + `"}}}`)
	if _, err := suite.NatsClient(t).NatsauthV1alpha1().NatsOperators(ns).Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatalf("touch operator: %v", err)
	}
}

// warningEvents sums the Warning events (with their aggregation counts) about object name.
func warningEvents(t *testing.T, ctx context.Context, ns, name, reason string) int {
	t.Helper()
	list, err := controlPlane.KubeClient().CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list events: %v", err)
	}
	n := 0
	for _, e := range list.Items {
		if e.InvolvedObject.Name == name && e.Type == corev1.EventTypeWarning && (reason == "" || e.Reason == reason) {
			n += int(max(e.Count, 1))
		}
	}
	return n
}

// consistently fails the test when cond turns false within d. It is only used for negative
// checks (nothing else happens), after a positive wait established the state.
func consistently(t *testing.T, ctx context.Context, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if !cond() {
			t.Fatalf("%s stopped holding", what)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: %v", what, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// settle forces a few re-syncs of every account of op and waits until a fresh account of op is
// issued: with the queue's order that means the re-syncs queued before it ran too.
func settle(t *testing.T, ctx context.Context, ns, op string) {
	t.Helper()
	for i := range 3 {
		touchOperator(t, ctx, ns, op, time.Now().Format(time.RFC3339Nano)+"-"+string(rune('a'+i)))
	}
	name := "barrier-" + strings.ToLower(strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "-"))
	createAccount(t, ctx, newAccount(ns, name, op))
	waitAccountReady(t, ctx, ns, name)
}
