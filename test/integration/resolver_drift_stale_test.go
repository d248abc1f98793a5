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
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/natsauth/nats-auth-operator/resolver/natssys"
	"github.com/natsauth/nats-auth-operator/test/testbed"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestResolverDriftRepairsStaleJWTs: a server holding an older JWT of an account, one without
// a revocation made since, is repaired by the running resolver without restarting the server,
// in both ways it happens. A server restarted from an old JWT directory (here: the file of the
// account replaced by the older JWT while the server was down) gets the current JWT again. An
// older JWT pushed to every server while none restarted (a stray nsc push of an old copy) is
// invisible to the servers' account lists; the drift check's comparison of every server's
// stored JWT finds it (drift_repairs_total{reason="stale"}) and pushes the current one. Each
// time the revoked user is refused again on every server.
func TestResolverDriftRepairsStaleJWTs(t *testing.T) {
	e := newResolverEnv(t, 3, nil)
	r := e.startResolver()
	e.createAccount("orders")
	creds := e.createUser("api", "orders")
	before := e.waitFullyPushed("orders")
	pub := before.Status.PublicKey
	e.waitStored(pub, before.Status.JWT, e.servers...)
	// Deleting the NatsUser revokes its key in a re-signed account JWT.
	if err := suite.NatsClient(t).NatsauthV1alpha1().NatsUsers(e.ns).Delete(e.ctx, "api", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	var current string
	e.waitFor("the account is re-signed with the revocation and pushed", func() bool {
		acc := e.account("orders")
		current = acc.Status.JWT
		return current != before.Status.JWT && acc.Status.Revocations > 0 && acc.Status.PushedClaimsHash == acc.Status.ClaimsHash
	})
	e.waitStored(pub, current, e.servers...)
	e.waitRefused(creds, e.servers...)

	s := e.servers[2]
	repairs := r.Metric("natsauth_resolver_drift_repairs_total")
	s.Stop()
	if err := os.WriteFile(filepath.Join(s.JWTDir(), pub+".jwt"), []byte(before.Status.JWT), 0o600); err != nil {
		t.Fatal(err)
	}
	s.Restart(t)
	e.waitStored(pub, current, s)
	e.waitRefused(creds, s)
	e.waitFor("the repair is counted", func() bool { return r.Metric("natsauth_resolver_drift_repairs_total") > repairs })

	// Let the checks after the restart settle, so the counts below belong to the next step only.
	e.waitFullyPushed("orders")
	checks := r.Metric("natsauth_resolver_drift_checks_total")
	e.waitFor("two more drift checks", func() bool { return r.Metric("natsauth_resolver_drift_checks_total") >= checks+2 })
	stale := r.Metric("natsauth_resolver_drift_repairs_total", `reason="stale"`)
	restarts := r.Metric("natsauth_resolver_drift_repairs_total", `reason="server_restarted"`)
	pushDirectly(t, e, before.Status.JWT)
	e.waitStored(pub, current, e.servers...)
	e.waitRefused(creds, e.servers...)
	e.waitFor("the stale repair is counted", func() bool {
		return r.Metric("natsauth_resolver_drift_repairs_total", `reason="stale"`) > stale
	})
	if got := r.Metric("natsauth_resolver_drift_repairs_total", `reason="server_restarted"`); got != restarts {
		t.Errorf("server_restarted repairs went from %v to %v; no server restarted", restarts, got)
	}
	e.waitFullyPushed("orders")
}

// pushDirectly pushes token to every server with the resolver's own creds, as a second
// pusher would, and expects all three to store it.
func pushDirectly(t *testing.T, e *resolverEnv, token string) {
	t.Helper()
	nc, err := nats.Connect(e.servers[0].ClientURL(), nats.UserCredentials(e.credsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
	defer cancel()
	res, err := natssys.New(nc).Update(ctx, token, len(e.servers))
	if err != nil || res.Applied != len(e.servers) {
		t.Fatalf("direct push: %+v, %v", res, err)
	}
}

// waitRefused waits until creds no longer connect to any of servers.
func (e *resolverEnv) waitRefused(creds []byte, servers ...*testbed.NatsServer) {
	e.t.Helper()
	for _, s := range servers {
		e.waitFor("nats-server "+s.Name()+" refuses the revoked user", func() bool {
			nc, err := testbed.ConnectCreds(s.ClientURL(), creds)
			if err == nil {
				nc.Close()
			}
			return err != nil
		})
	}
}
