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
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/account"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestKubectlColumns: `kubectl get -o wide` shows the Ready reason of every kind, a user's
// account as namespace/name, a user's expiry as the time it is (a date column would print
// <invalid> for every future time), and an account's revocations and JWT size condition.
func TestKubectlColumns(t *testing.T) {
	suite.StartControllers(t)
	ns := controlPlane.NewNamespace(t)
	ctx := suite.Context(t)
	suite.CreateOperator(t, ns, "main", nil)
	readyAccount(t, ns, "orders", "main")
	u := newUser(ns, "api", natsv1alpha1.NatsAccountReference{Name: "orders"}, func(u *natsv1alpha1.NatsUser) {
		u.Spec.ValidFor = &metav1.Duration{Duration: time.Hour}
	})
	if _, err := suite.NatsClient(t).NatsauthV1alpha1().NatsUsers(ns).Create(ctx, u, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ready := suite.WaitUserReady(t, ns, "api")
	out := string(suite.Kubectl(t, nil, "get", "-n", ns, "nu", "api", "-o", "wide"))
	for _, want := range []string{"REASON", "Issued", "ACCOUNT", ns + "/orders", "EXPIRES", ready.Status.ExpiresAt.UTC().Format(time.RFC3339)} {
		if !strings.Contains(out, want) {
			t.Errorf("kubectl get nu -o wide lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "<invalid>") {
		t.Errorf("kubectl get nu -o wide prints <invalid>:\n%s", out)
	}
	out = string(suite.Kubectl(t, nil, "get", "-n", ns, "nacc", "orders", "-o", "wide"))
	for _, want := range []string{"REVOCATIONS", "JWT SIZE", account.ReasonJWTSizeWithinLimit} {
		if !strings.Contains(out, want) {
			t.Errorf("kubectl get nacc -o wide lacks %q:\n%s", want, out)
		}
	}
	for _, kind := range []string{"nop", "nacc"} {
		if out := string(suite.Kubectl(t, nil, "get", "-n", ns, kind)); !strings.Contains(out, "REASON") || !strings.Contains(out, "Issued") {
			t.Errorf("kubectl get %s lacks the Ready reason:\n%s", kind, out)
		}
	}
}
