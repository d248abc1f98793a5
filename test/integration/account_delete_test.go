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
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/cmd/controller/app"
	"github.com/natsauth/nats-auth-operator/controllers/account"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestAccountDeleteWithoutAllowDelete: the operator does not allow deletes, so the NatsAccount
// goes at once, with one Warning that says how to get deletes, and the servers keep the JWT.
func TestAccountDeleteWithoutAllowDelete(t *testing.T) {
	e := newResolverEnv(t, 3, nil)
	e.startResolver()
	e.createAccount("orders")
	acc := e.waitFullyPushed("orders")
	if !slices.Contains(acc.Finalizers, naming.AccountFinalizer) {
		t.Fatalf("finalizers = %v, want %s", acc.Finalizers, naming.AccountFinalizer)
	}
	e.waitStored(acc.Status.PublicKey, acc.Status.JWT, e.servers...)

	deleteAccountAndWaitGone(t, e.ctx, e.ns, "orders")
	suite.WaitFor(t, e.ctx, "a NotDeletedOnServers Warning", func() bool {
		return warningEvents(t, e.ctx, e.ns, "orders", account.ReasonNotDeletedOnServers) == 1
	})
	msgs := eventMessages(t, e.ctx, e.ns, "orders", corev1.EventTypeWarning, account.ReasonNotDeletedOnServers)
	if len(msgs) != 1 || !strings.Contains(msgs[0], "set spec.resolver.allowDelete on the NatsOperator") {
		t.Errorf("NotDeletedOnServers messages = %q, want one naming spec.resolver.allowDelete", msgs)
	}
	consistently(t, e.ctx, "every server keeps the JWT", 2*time.Second, func() bool {
		for _, s := range e.servers {
			if resolverStoredJWT(s, acc.Status.PublicKey) != acc.Status.JWT {
				return false
			}
		}
		return true
	})
	if n := warningEvents(t, e.ctx, e.ns, "orders", account.ReasonNotDeletedOnServers); n != 1 {
		t.Errorf("%d NotDeletedOnServers Warnings, want 1", n)
	}
}

// TestAccountDeleteAfterItsOperator: with the operator gone nothing can sign a delete request,
// so deleting the account does not wait for one.
func TestAccountDeleteAfterItsOperator(t *testing.T) {
	suite.StartControllers(t)
	ctx := suite.Context(t)
	ns := controlPlane.NewNamespace(t)
	suite.CreateOperator(t, ns, "main", func(s *natsv1alpha1.NatsOperatorSpec) { s.Resolver.AllowDelete = true })
	createAccount(t, ctx, newAccount(ns, "orders", "main"))
	acc := waitAccountReady(t, ctx, ns, "orders")
	if !slices.Contains(acc.Finalizers, naming.AccountFinalizer) {
		t.Fatalf("finalizers = %v, want %s", acc.Finalizers, naming.AccountFinalizer)
	}
	client := suite.NatsClient(t).NatsauthV1alpha1()
	if err := client.NatsOperators(ns).Delete(ctx, "main", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	suite.WaitFor(t, ctx, "the operator is gone", func() bool {
		_, err := client.NatsOperators(ns).Get(ctx, "main", metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	})
	deleteAccountAndWaitGone(t, ctx, ns, "orders")
	msgs := eventMessages(t, ctx, ns, "orders", corev1.EventTypeWarning, account.ReasonNotDeletedOnServers)
	suite.WaitFor(t, ctx, "a NotDeletedOnServers Warning", func() bool {
		msgs = eventMessages(t, ctx, ns, "orders", corev1.EventTypeWarning, account.ReasonNotDeletedOnServers)
		return len(msgs) == 1
	})
	if !strings.Contains(msgs[0], "is gone") {
		t.Errorf("NotDeletedOnServers message %q does not say the operator is gone", msgs[0])
	}
}

// TestAccountDeleteWithNATSUnreachable: the operator allows deletes but every server is down,
// so no deletion can be reported; the account still goes at the deadline, with a Warning
// naming the last result. The deadline is shortened through the controller's options.
func TestAccountDeleteWithNATSUnreachable(t *testing.T) {
	const deadline = 5 * time.Second
	e := newResolverEnv(t, 3, func(s *natsv1alpha1.NatsOperatorSpec) { s.Resolver.AllowDelete = true },
		func(o *app.Options) { o.AccountServerDeleteTimeout = deadline })
	e.startResolver()
	e.createAccount("orders")
	e.waitFullyPushed("orders")
	for _, s := range e.servers {
		s.Stop()
	}
	client := suite.NatsClient(t).NatsauthV1alpha1().NatsAccounts(e.ns)
	began := time.Now()
	if err := client.Delete(e.ctx, "orders", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	requested := false
	suite.WaitFor(t, e.ctx, "the account is gone after the deadline", func() bool {
		acc, err := client.Get(e.ctx, "orders", metav1.GetOptions{})
		if err == nil && acc.Status.DeleteRequest != "" {
			requested = true
		}
		return apierrors.IsNotFound(err)
	})
	took := time.Since(began)
	t.Logf("account gone %s after its deletion", took.Round(time.Millisecond))
	if !requested {
		t.Errorf("status.deleteRequest was never seen set")
	}
	if took < 3*time.Second {
		t.Errorf("the account went after %s, before the deadline of %s", took, deadline)
	}
	var msgs []string
	suite.WaitFor(t, e.ctx, "a NotDeletedOnServers Warning", func() bool {
		msgs = eventMessages(t, e.ctx, e.ns, "orders", corev1.EventTypeWarning, account.ReasonNotDeletedOnServers)
		return len(msgs) == 1
	})
	if !strings.Contains(msgs[0], "within") {
		t.Errorf("NotDeletedOnServers message %q does not name the deadline", msgs[0])
	}
	t.Logf("event: %s", msgs[0])
}

// deleteAccountAndWaitGone deletes a NatsAccount and waits until the object is gone.
func deleteAccountAndWaitGone(t *testing.T, ctx context.Context, ns, name string) {
	t.Helper()
	client := suite.NatsClient(t).NatsauthV1alpha1().NatsAccounts(ns)
	if err := client.Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete account %s: %v", name, err)
	}
	suite.WaitFor(t, ctx, "NatsAccount "+name+" is gone", func() bool {
		_, err := client.Get(ctx, name, metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	})
}

// eventMessages returns the messages of the events of type and reason about object name.
func eventMessages(t *testing.T, ctx context.Context, ns, name, eventType, reason string) []string {
	t.Helper()
	list, err := controlPlane.KubeClient().CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list events: %v", err)
	}
	var out []string
	for _, e := range list.Items {
		if e.InvolvedObject.Name == name && e.Type == eventType && e.Reason == reason {
			out = append(out, e.Message)
		}
	}
	return out
}
