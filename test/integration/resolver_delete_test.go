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

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/account"
	"github.com/natsauth/nats-auth-operator/test/testbed"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestResolverDeletesADeletedAccount: with allowDelete, deleting a NatsAccount deletes it from
// all three servers. A client of the account connected to each server is disconnected, the
// account's creds no longer connect anywhere, the resolver reported "deleted from 3 of 3
// servers" and the object is gone.
func TestResolverDeletesADeletedAccount(t *testing.T) {
	e := newResolverEnv(t, 3, func(s *natsv1alpha1.NatsOperatorSpec) { s.Resolver.AllowDelete = true })
	r := e.startResolver()
	e.createAccount("orders")
	e.createAccount("keep")
	acc := e.waitFullyPushed("orders")
	kept := e.waitFullyPushed("keep")
	pub := acc.Status.PublicKey
	e.waitStored(pub, acc.Status.JWT, e.servers...)
	creds := e.createUser("api", "orders")
	closed := make([]<-chan struct{}, len(e.servers))
	for i, s := range e.servers {
		_, closed[i] = resolverConnectUser(t, s, creds)
	}

	began := time.Now()
	if err := suite.NatsClient(t).NatsauthV1alpha1().NatsAccounts(e.ns).Delete(e.ctx, "orders", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(15 * time.Second)
	for i, ch := range closed {
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("the client on %s is still connected 15s after the NatsAccount was deleted", e.servers[i].Name())
		}
	}
	t.Logf("NatsAccount deleted → every client disconnected in %s", time.Since(began).Round(time.Millisecond))
	waitGone(t, e, "orders")

	for _, s := range e.servers {
		if got := resolverStoredJWT(s, pub); got != "" {
			t.Errorf("nats-server %s still stores the account JWT", s.Name())
		}
		if nc, err := testbed.ConnectCreds(s.ClientURL(), creds); err == nil {
			nc.Close()
			t.Errorf("a user of the deleted account connects to %s", s.Name())
		}
		if resolverStoredJWT(s, kept.Status.PublicKey) != kept.Status.JWT {
			t.Errorf("nats-server %s lost the JWT of the account that was not deleted", s.Name())
		}
	}
	msgs := eventMessages(t, e.ctx, e.ns, "orders", corev1.EventTypeNormal, account.ReasonDeletedFromServers)
	if len(msgs) != 1 || !strings.Contains(msgs[0], "deleted from 3 of 3 servers") {
		t.Errorf("DeletedFromServers events = %q, want one saying deleted from 3 of 3 servers (the Deleted condition)", msgs)
	}
	if n := warningEvents(t, e.ctx, e.ns, "orders", ""); n != 0 {
		t.Errorf("%d Warning events about the deleted account", n)
	}
	if got := r.Metric("natsauth_resolver_deletes_total", `result="success"`); got < 1 {
		t.Errorf("natsauth_resolver_deletes_total{result=success} = %v, want >= 1", got)
	}
	// Drift checks run every second here: none may push the deleted account back.
	consistently(t, e.ctx, "no server gets the deleted account back", 3*time.Second, func() bool {
		for _, s := range e.servers {
			if resolverStoredJWT(s, pub) != "" {
				return false
			}
		}
		return true
	})
	e.waitFullyPushed("keep")
}

// waitGone waits until the NatsAccount object is gone: its finalizer was removed.
func waitGone(t *testing.T, e *resolverEnv, name string) {
	t.Helper()
	suite.WaitFor(t, e.ctx, "NatsAccount "+name+" is gone", func() bool {
		_, err := suite.NatsClient(t).NatsauthV1alpha1().NatsAccounts(e.ns).Get(e.ctx, name, metav1.GetOptions{})
		return err != nil && strings.Contains(err.Error(), "not found")
	})
}
