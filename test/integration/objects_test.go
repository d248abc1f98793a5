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

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// readyAccount creates a minimal NatsAccount of operator and waits until it is Ready.
func readyAccount(t *testing.T, ns, name, operator string) *natsv1alpha1.NatsAccount {
	t.Helper()
	ctx := suite.Context(t)
	acc := &natsv1alpha1.NatsAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: natsv1alpha1.NatsAccountSpec{OperatorRef: natsv1alpha1.LocalObjectReference{Name: operator}}}
	if _, err := suite.NatsClient(t).NatsauthV1alpha1().NatsAccounts(ns).Create(ctx, acc, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create account: %v", err)
	}
	var got *natsv1alpha1.NatsAccount
	suite.WaitFor(t, ctx, "account "+name+" is Ready", func() bool {
		a, err := suite.NatsClient(t).NatsauthV1alpha1().NatsAccounts(ns).Get(ctx, name, metav1.GetOptions{})
		got = a
		return err == nil && suite.IsReady(a.Status.Conditions, a.Generation)
	})
	return got
}

// createReadyUser creates a NatsUser of account (in ns) and returns it once it is Ready.
func createReadyUser(t *testing.T, ctx context.Context, ns, name, account string) *natsv1alpha1.NatsUser {
	t.Helper()
	u := newUser(ns, name, natsv1alpha1.NatsAccountReference{Name: account})
	if _, err := suite.NatsClient(t).NatsauthV1alpha1().NatsUsers(ns).Create(ctx, u, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return suite.WaitUserReady(t, ns, name)
}
