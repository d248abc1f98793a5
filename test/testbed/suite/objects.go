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

package suite

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
)

// CreateOperator creates a NatsOperator with a full resolver whose dir is a temp directory (so
// tests can start nats-server from the rendered auth.conf) and waits until it is Ready.
func CreateOperator(t testing.TB, ns, name string, mut func(*natsv1alpha1.NatsOperatorSpec)) *natsv1alpha1.NatsOperator {
	t.Helper()
	ctx := Context(t)
	op := &natsv1alpha1.NatsOperator{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: natsv1alpha1.NatsOperatorSpec{Resolver: natsv1alpha1.ResolverSpec{Dir: t.TempDir(),
			Timeout: &metav1.Duration{Duration: time.Second}}}}
	if mut != nil {
		mut(&op.Spec)
	}
	if _, err := NatsClient(t).NatsauthV1alpha1().NatsOperators(ns).Create(ctx, op, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create operator: %v", err)
	}
	return WaitOperatorReady(t, ns, name)
}

// WaitOperatorReady waits until the NatsOperator is Ready for its current generation.
func WaitOperatorReady(t testing.TB, ns, name string) *natsv1alpha1.NatsOperator {
	t.Helper()
	ctx := Context(t)
	var got *natsv1alpha1.NatsOperator
	WaitFor(t, ctx, "operator "+name+" is Ready", func() bool {
		op, err := NatsClient(t).NatsauthV1alpha1().NatsOperators(ns).Get(ctx, name, metav1.GetOptions{})
		got = op
		return err == nil && IsReady(op.Status.Conditions, op.Generation)
	})
	return got
}

// WaitAccountReady waits until an existing NatsAccount is Ready for its current generation.
func WaitAccountReady(t testing.TB, ns, name string) *natsv1alpha1.NatsAccount {
	t.Helper()
	ctx := Context(t)
	var got *natsv1alpha1.NatsAccount
	WaitFor(t, ctx, "account "+name+" is Ready", func() bool {
		a, err := NatsClient(t).NatsauthV1alpha1().NatsAccounts(ns).Get(ctx, name, metav1.GetOptions{})
		got = a
		return err == nil && IsReady(a.Status.Conditions, a.Generation)
	})
	return got
}

// WaitUserReady waits until the NatsUser is Ready for its current generation.
func WaitUserReady(t testing.TB, ns, name string) *natsv1alpha1.NatsUser {
	t.Helper()
	ctx := Context(t)
	var got *natsv1alpha1.NatsUser
	WaitFor(t, ctx, "user "+name+" is Ready", func() bool {
		u, err := NatsClient(t).NatsauthV1alpha1().NatsUsers(ns).Get(ctx, name, metav1.GetOptions{})
		got = u
		return err == nil && IsReady(u.Status.Conditions, u.Generation)
	})
	return got
}

// IsReady reports whether conds hold Ready=True observed at generation.
func IsReady(conds []metav1.Condition, generation int64) bool {
	c := meta.FindStatusCondition(conds, natsv1alpha1.ConditionReady)
	return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == generation
}
