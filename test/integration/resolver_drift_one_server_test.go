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
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats.go"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2/ktesting"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/cmd/controller/app"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/resolver"
	"github.com/natsauth/nats-auth-operator/resolver/natssys"
	"github.com/natsauth/nats-auth-operator/test/testbed"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// staleRepairLog is the message the resolver logs for each stale repair (resolver/drift.go).
const staleRepairLog = "Repairing drift: servers store another JWT of an acknowledged account"

// TestResolverDriftRepairsOneStaleRunningServer: exactly one running server of three holds an
// older JWT of an account (one without a revocation made since) while the other two hold the
// current one, and the resolver's drift check repairs it without any server restarting.
//
// $SYS.REQ.CLAIMS.UPDATE is a plain subscription of every full server, so a push through a
// connection to one server normally reaches all of them. The third server here does not export
// that subject over its routes (cluster permissions): it still receives every push routed from
// the others, but a push made through it stays on it, like a stray nsc push of an old copy
// through a server cut off from its peers. The servers' own sync (PACK, merging by newer iat)
// runs every hour here, so the repair within the waits' 30 s bound is the resolver's: its log
// names one stale server of three holding the older iat, drift_repairs_total{reason="stale"}
// counts it, and afterwards every server answers CLAIMS.LOOKUP with the current JWT and refuses
// the revoked user, with the same server ID and start time as before.
func TestResolverDriftRepairsOneStaleRunningServer(t *testing.T) {
	e := newOneWayResolverEnv(t)
	r := e.startResolver()
	pub, old, current, creds := e.revokedAccount()
	s := e.servers[2]
	assertLongServerSync(t, s)
	id, started := serverIdentity(t, s)
	stale := r.Metric("natsauth_resolver_drift_repairs_total", `reason="stale"`)
	restarts := r.Metric("natsauth_resolver_drift_repairs_total", `reason="server_restarted"`)
	logged := len(staleRepairs(r, pub))
	pushThroughOnly(t, e, s, old)
	e.waitFor("the resolver logs a stale repair", func() bool { return len(staleRepairs(r, pub)) > logged })
	entry := staleRepairs(r, pub)[logged]
	if got := logValue(entry, "servers"); got != 1 {
		t.Errorf("stale repair names %v servers, want exactly 1: %+v", got, entry.ParameterKVList)
	}
	if got := logValue(entry, "of"); got != len(e.servers) {
		t.Errorf("stale repair compares %v servers, want %d", got, len(e.servers))
	}
	if got, want := logValue(entry, "storedIssuedAt"), jwtIssuedAt(t, old); got != want {
		t.Errorf("stale repair saw storedIssuedAt %v, want the older JWT's %d", got, want)
	}
	e.waitFor("every server answers CLAIMS.LOOKUP with the current JWT", func() bool {
		return lookupEverywhere(t, e, pub) == strings.Repeat(current, len(e.servers))
	})
	e.waitRefused(creds, s)
	if got := r.Metric("natsauth_resolver_drift_repairs_total", `reason="stale"`); got <= stale {
		t.Errorf("drift_repairs_total{reason=stale} stayed at %v", got)
	}
	if got := r.Metric("natsauth_resolver_drift_repairs_total", `reason="server_restarted"`); got != restarts {
		t.Errorf("server_restarted repairs went from %v to %v; no server restarted", restarts, got)
	}
	if gotID, gotStart := serverIdentity(t, s); gotID != id || gotStart != started {
		t.Errorf("nats-server %s went from %s (started %s) to %s (started %s); it must not restart", s.Name(), id, started, gotID, gotStart)
	}
	// Once repaired, the checks find nothing more to repair.
	waitDriftChecks(e, r, 2)
	repaired := len(staleRepairs(r, pub))
	waitDriftChecks(e, r, 2)
	if got := len(staleRepairs(r, pub)); got != repaired {
		t.Errorf("%d more stale repairs after every server stored the current JWT", got-repaired)
	}
	if n := warningEvents(t, e.ctx, e.ns, "orders", resolver.ReasonStaleJWTNotRepaired); n != 0 {
		t.Errorf("%d %s events for a stale JWT the first push repaired", n, resolver.ReasonStaleJWTNotRepaired)
	}
}

// waitDriftChecks waits until the resolver completed n more drift checks.
func waitDriftChecks(e *resolverEnv, r *suite.Resolver, n float64) {
	e.t.Helper()
	checks := r.Metric("natsauth_resolver_drift_checks_total")
	e.waitFor("more drift checks", func() bool { return r.Metric("natsauth_resolver_drift_checks_total") >= checks+n })
}

// TestResolverDriftReportsFileChangedUnderRunningServer: the one stale state a push cannot
// repair. The JWT file of an account is replaced by an older JWT under a running server; the
// server keeps using the current JWT it has in memory (the revoked user stays refused), but
// answers CLAIMS.LOOKUP from the file. The resolver's pushes of the current JWT are acknowledged
// and skipped (the server's index already holds that hash), so after three drift checks in a
// row it emits one StaleJWTNotRepaired Warning event on the NatsAccount; a restart of the
// server, as the event says, repairs it.
func TestResolverDriftReportsFileChangedUnderRunningServer(t *testing.T) {
	e := newResolverEnv(t, 3, nil)
	e.startResolver()
	pub, old, current, creds := e.revokedAccount()
	s := e.servers[2]
	if err := os.WriteFile(filepath.Join(s.JWTDir(), pub+".jwt"), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	e.waitFor("a StaleJWTNotRepaired event", func() bool {
		return warningEvents(t, e.ctx, e.ns, "orders", resolver.ReasonStaleJWTNotRepaired) == 1
	})
	if got := lookupEverywhere(t, e, pub); !strings.Contains(got, old) {
		t.Errorf("no server answers CLAIMS.LOOKUP with the older JWT any more; the state under test is gone")
	}
	e.waitRefused(creds, s)
	s.Restart(t)
	e.waitFor("every server answers CLAIMS.LOOKUP with the current JWT", func() bool {
		return lookupEverywhere(t, e, pub) == strings.Repeat(current, len(e.servers))
	})
	e.waitRefused(creds, s)
}

// revokedAccount creates account "orders" with user "api", deletes the user and returns the
// account's public key, its JWT before and after the revocation, and the revoked creds, once
// every server stores the later JWT and refuses the user.
func (e *resolverEnv) revokedAccount() (pub, old, current string, creds []byte) {
	e.t.Helper()
	e.createAccount("orders")
	creds = e.createUser("api", "orders")
	before := e.waitFullyPushed("orders")
	pub, old = before.Status.PublicKey, before.Status.JWT
	e.waitStored(pub, old, e.servers...)
	// iat has a resolution of one second: the revocation's JWT must be later, not equal.
	e.waitFor("the clock passes the first JWT's iat", func() bool { return time.Now().Unix() > jwtIssuedAt(e.t, old) })
	if err := suite.NatsClient(e.t).NatsauthV1alpha1().NatsUsers(e.ns).Delete(e.ctx, "api", metav1.DeleteOptions{}); err != nil {
		e.t.Fatal(err)
	}
	e.waitFor("the account is re-signed with the revocation and pushed", func() bool {
		acc := e.account("orders")
		current = acc.Status.JWT
		return current != old && acc.Status.Revocations > 0 && acc.Status.PushedClaimsHash == acc.Status.ClaimsHash
	})
	e.waitStored(pub, current, e.servers...)
	e.waitRefused(creds, e.servers...)
	return pub, old, current, creds
}

// newOneWayResolverEnv is newResolverEnv with three servers, the third of which does not
// export $SYS.REQ.CLAIMS.UPDATE over its routes.
func newOneWayResolverEnv(t *testing.T) *resolverEnv {
	return newCustomResolverEnv(t, func(opts testbed.NatsOptions) []*testbed.NatsServer {
		servers := testbed.StartNatsCluster(t, 2, opts)
		opts.ServerName = "testbed-nats-2"
		opts.Cluster = testbed.NatsClusterOptions{Name: "testbed", Routes: []string{servers[0].RouteURL(), servers[1].RouteURL()},
			Permissions: `{export: {deny: ["$SYS.REQ.CLAIMS.UPDATE"]}}`}
		servers = append(servers, testbed.StartNatsServer(t, opts))
		ctx, cancel := context.WithTimeout(suite.Context(t), 10*time.Second)
		defer cancel()
		if err := testbed.WaitForRoutes(ctx, servers, 2); err != nil {
			t.Fatal(err)
		}
		return servers
	})
}

// newCustomResolverEnv is newResolverEnv with the servers started by start from the options
// carrying the operator's auth.conf, and the controllers' options adjusted by controller.
func newCustomResolverEnv(t *testing.T, start func(testbed.NatsOptions) []*testbed.NatsServer, controller ...func(*app.Options)) *resolverEnv {
	t.Helper()
	stop := suite.StartControllers(t, controller...)
	e := &resolverEnv{t: t, ctx: suite.Context(t), ns: controlPlane.NewNamespace(t), stopControllers: stop}
	e.op = suite.CreateOperator(t, e.ns, "main", func(s *natsv1alpha1.NatsOperatorSpec) {
		s.Resolver.Interval = &metav1.Duration{Duration: time.Hour}
	})
	auth := string(suite.GetSecret(t, e.ns, e.op.Status.ServerConfigSecret).Data[naming.AuthConf])
	e.servers = start(testbed.NatsOptions{ConfigText: suite.ResolverPerServerJWTDir(t, auth)})
	e.credsFile = filepath.Join(t.TempDir(), "resolver.creds")
	creds := suite.GetSecret(t, e.ns, naming.ResolverCredsSecret("main")).Data[naming.UserCreds]
	if err := os.WriteFile(e.credsFile, creds, 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}

// pushThroughOnly pushes token with the resolver's creds through a connection to s, and
// expects s, and no other server, to store it.
func pushThroughOnly(t *testing.T, e *resolverEnv, s *testbed.NatsServer, token string) {
	t.Helper()
	nc, err := nats.Connect(s.ClientURL(), nats.UserCredentials(e.credsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	// Wait for all three replies for a while: only one may come.
	ctx, cancel := context.WithTimeout(e.ctx, 2*time.Second)
	defer cancel()
	res, err := natssys.New(nc).Update(ctx, token, len(e.servers))
	if res.Applied != 1 || len(res.Replies) != 1 || res.Replies[0].Server.Name != s.Name() {
		t.Fatalf("push through %s: %+v, %v; want only %s to store it", s.Name(), res, err, s.Name())
	}
}

// assertLongServerSync fails unless s's full resolver syncs with its peers only every hour.
func assertLongServerSync(t *testing.T, s *testbed.NatsServer) {
	t.Helper()
	auth, err := os.ReadFile(filepath.Join(filepath.Dir(s.ConfigPath()), "auth.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(auth), `interval: "1h0m0s"`) {
		t.Fatalf("auth.conf of %s lacks the one-hour resolver interval:\n%s", s.Name(), auth)
	}
}

// staleRepairs returns the resolver's stale-repair log entries for the account pub, oldest first.
func staleRepairs(r *suite.Resolver, pub string) []ktesting.LogEntry {
	var out []ktesting.LogEntry
	for _, entry := range r.Logs.Data() {
		if entry.Message == staleRepairLog && logValue(entry, "publicKey") == pub {
			out = append(out, entry)
		}
	}
	return out
}

// logValue returns the value of key in entry's key/value pairs, or nil.
func logValue(entry ktesting.LogEntry, key string) any {
	kv := entry.ParameterKVList
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i] == key {
			return kv[i+1]
		}
	}
	return nil
}

// jwtIssuedAt is the iat of token.
func jwtIssuedAt(t *testing.T, token string) int64 {
	t.Helper()
	claims, err := jwt.DecodeGeneric(token)
	if err != nil {
		t.Fatal(err)
	}
	return claims.IssuedAt
}

// lookupEverywhere asks every server for its stored JWT of pub ($SYS.REQ.ACCOUNT.<pub>.CLAIMS.LOOKUP,
// one answer per full server) and returns the non-empty answers concatenated in sorted order.
func lookupEverywhere(t *testing.T, e *resolverEnv, pub string) string {
	t.Helper()
	nc, err := nats.Connect(e.servers[len(e.servers)-1].ClientURL(), nats.UserCredentials(e.credsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(e.ctx, 5*time.Second)
	defer cancel()
	stored, err := natssys.New(nc).Stored(ctx, []string{pub}, len(e.servers))
	if err != nil {
		t.Logf("lookup: %v", err)
	}
	return strings.Join(stored[pub].Tokens, "")
}

// serverIdentity returns s's server ID and start time from /varz: a restart changes both.
func serverIdentity(t *testing.T, s *testbed.NatsServer) (id, start string) {
	t.Helper()
	resp, err := http.Get(s.MonitorURL() + "/varz")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var v struct {
		ID    string `json:"server_id"`
		Start string `json:"start"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v.ID, v.Start
}
