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
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
)

// readyAccount creates a minimal NatsAccount of operator and waits until it is Ready.
func readyAccount(t *testing.T, ns, name, operator string) *natsv1alpha1.NatsAccount {
	t.Helper()
	ctx := testContext(t)
	acc := &natsv1alpha1.NatsAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: natsv1alpha1.NatsAccountSpec{OperatorRef: natsv1alpha1.LocalObjectReference{Name: operator}}}
	if _, err := natsClient(t).NatsauthV1alpha1().NatsAccounts(ns).Create(ctx, acc, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create account: %v", err)
	}
	var got *natsv1alpha1.NatsAccount
	waitFor(t, ctx, "account "+name+" is Ready", func() bool {
		a, err := natsClient(t).NatsauthV1alpha1().NatsAccounts(ns).Get(ctx, name, metav1.GetOptions{})
		got = a
		return err == nil && isReady(a.Status.Conditions, a.Generation)
	})
	return got
}

// readyUser waits until the NatsUser is Ready for its current generation.
// createReadyUser creates a NatsUser of account (in ns) and returns it once it is Ready.
func createReadyUser(t *testing.T, ctx context.Context, ns, name, account string) *natsv1alpha1.NatsUser {
	t.Helper()
	u := newUser(ns, name, natsv1alpha1.NatsAccountReference{Name: account})
	if _, err := natsClient(t).NatsauthV1alpha1().NatsUsers(ns).Create(ctx, u, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return readyUser(t, ns, name)
}

func readyUser(t *testing.T, ns, name string) *natsv1alpha1.NatsUser {
	t.Helper()
	ctx := testContext(t)
	var got *natsv1alpha1.NatsUser
	waitFor(t, ctx, "user "+name+" is Ready", func() bool {
		u, err := natsClient(t).NatsauthV1alpha1().NatsUsers(ns).Get(ctx, name, metav1.GetOptions{})
		got = u
		return err == nil && isReady(u.Status.Conditions, u.Generation)
	})
	return got
}

func isReady(conds []metav1.Condition, generation int64) bool {
	c := meta.FindStatusCondition(conds, natsv1alpha1.ConditionReady)
	return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == generation
}
