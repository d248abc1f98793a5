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
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	resolverapp "github.com/natsauth/nats-auth-operator/cmd/resolver/app"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestResolverPushesAfterNATSOutage stops every server, changes an account while they are down
// (the resolver reports that it cannot push) and restarts them with their old JWT directories:
// the resolver reconnects and pushes the changed JWT to all of them.
func TestResolverPushesAfterNATSOutage(t *testing.T) {
	e := newResolverEnv(t, 3, nil)
	r := e.startResolver()
	e.createAccount("orders")
	old := e.waitFullyPushed("orders")
	suite.WaitFor(t, e.ctx, "the resolver is ready", r.Ready)

	for _, s := range e.servers {
		s.Stop()
	}
	suite.WaitFor(t, e.ctx, "the resolver is not ready without NATS", func() bool { return !r.Ready() })
	changed := e.setConnLimit("orders", 7)
	failed := e.waitPushed("orders", metav1.ConditionFalse, "PushFailed", nil)
	t.Logf("while NATS is down: %q", resolverPushedMessage(failed))
	if failed.Status.PushedClaimsHash != old.Status.ClaimsHash {
		t.Errorf("pushedClaimsHash %q during the outage, want the last pushed %q", failed.Status.PushedClaimsHash, old.Status.ClaimsHash)
	}
	for _, s := range e.servers {
		if got := resolverStoredJWT(s, changed.Status.PublicKey); got != old.Status.JWT {
			t.Fatalf("%s does not hold the old JWT before its restart", s.Name())
		}
	}

	began := time.Now()
	for _, s := range e.servers {
		s.Restart(t)
	}
	e.waitStored(changed.Status.PublicKey, changed.Status.JWT, e.servers...)
	t.Logf("every server had the changed JWT %s after the restarts began", time.Since(began).Round(time.Millisecond))
	if msg := resolverPushedMessage(e.waitFullyPushed("orders")); msg != "acknowledged by 3 of 3 servers" {
		t.Errorf("Pushed message %q", msg)
	}
	suite.WaitFor(t, e.ctx, "the resolver is ready again", r.Ready)
}

// TestResolverRestartLosesNoUpdate stops the resolver, changes an account and deletes a
// connected user while it is down, and starts a new resolver: the changed JWT reaches every
// server and the deleted user's client is disconnected. Both resolvers hold the leader
// election Lease while they run, as a Deployment's replicas do.
func TestResolverRestartLosesNoUpdate(t *testing.T) {
	e := newResolverEnv(t, 3, nil)
	leaderElect := func(o *resolverapp.Options) {
		o.LeaderElect = true
		o.LeaderElectionNamespace = e.ns
	}
	first := e.startResolver(leaderElect)
	e.createAccount("orders")
	e.createAccount("billing")
	e.waitFullyPushed("orders")
	before := e.waitFullyPushed("billing")
	creds := e.createUser("api", "billing")
	_, closed := resolverConnectUser(t, e.servers[1], creds)

	first.Stop()
	changed := e.setConnLimit("orders", 5)
	if err := suite.NatsClient(t).NatsauthV1alpha1().NatsUsers(e.ns).Delete(e.ctx, "api", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	suite.WaitFor(t, e.ctx, "the billing account revokes the deleted user", func() bool {
		return e.account("billing").Status.ClaimsHash != before.Status.ClaimsHash
	})
	select {
	case <-closed:
		t.Fatal("the client was disconnected while no resolver ran")
	default:
	}
	if got := e.account("orders").Status.PushedClaimsHash; got == changed.Status.ClaimsHash {
		t.Fatal("the change is marked pushed while no resolver ran")
	}

	e.startResolver(leaderElect)
	e.waitStored(changed.Status.PublicKey, changed.Status.JWT, e.servers...)
	e.waitFullyPushed("orders")
	revoked := e.waitFullyPushed("billing")
	e.waitStored(revoked.Status.PublicKey, revoked.Status.JWT, e.servers...)
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the deleted user's client is still connected after the resolver restarted")
	}
	lease, err := controlPlane.KubeClient().CoordinationV1().Leases(e.ns).Get(e.ctx, "nats-auth-resolver", metav1.GetOptions{})
	if err != nil || lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity == "" {
		t.Errorf("resolver Lease %+v, %v: want a holder", lease, err)
	}
}
