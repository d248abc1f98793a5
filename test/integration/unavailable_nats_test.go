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
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	resolverapp "github.com/natsauth/nats-auth-operator/cmd/resolver/app"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestUnavailableNATS: with every nats-server down, changes made meanwhile queue up in the
// resolver: /readyz says not ready, natsauth_resolver_pending_pushes counts the accounts
// waiting, each account's Pushed condition says why, and retries back off instead of spinning.
// When the servers return (with their old JWT directories), everything is pushed, the backlog
// drains to 0 and the resolver is ready again.
func TestUnavailableNATS(t *testing.T) {
	e := newResolverEnv(t, 2, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	e.ctx = ctx
	r := e.startResolver()
	names := []string{"a1", "a2", "a3"}
	for _, n := range names {
		e.createAccount(n)
	}
	for _, n := range names {
		e.waitFullyPushed(n)
	}
	suite.WaitFor(t, ctx, "the resolver is ready with no backlog", func() bool {
		return r.Ready() && r.Metric("natsauth_resolver_pending_pushes") == 0
	})

	for _, s := range e.servers {
		s.Stop()
	}
	suite.WaitFor(t, ctx, "/readyz says not ready without NATS", func() bool { return !r.Ready() })
	want := map[string]*natsv1alpha1.NatsAccount{}
	for i, n := range names {
		want[n] = e.setConnLimit(n, int64(10+i))
	}
	e.createAccount("a4")
	want["a4"] = suite.WaitAccountReady(t, e.ns, "a4")
	// The changed accounts wait; so may the others when the resolver reconnected to the
	// second server for a moment while the first stopped (a reconnect forces every push).
	suite.WaitFor(t, ctx, "the backlog metric counts the 4 changed accounts", func() bool {
		return r.Metric("natsauth_resolver_pending_pushes") >= 4
	})
	for n := range want {
		failed := e.waitPushed(n, metav1.ConditionFalse, "PushFailed", nil)
		t.Logf("%s while NATS is down: Pushed=False %q", n, resolverPushedMessage(failed))
	}

	// Backoff: per account, retries at 0.5s, 1s, 2s, 4s... (controllerhelpers.NewQueue), so a
	// 5-second window holds a few syncs per account, not a busy loop.
	syncs := func() float64 { return r.Metric("natsauth_syncs_total", `controller="resolver"`) }
	began := syncs()
	time.Sleep(5 * time.Second)
	during := syncs() - began
	t.Logf("resolver syncs in 5s of NATS outage with %d accounts waiting: %.0f", len(want), during)
	if during > float64(5*len(want)) {
		t.Errorf("%.0f syncs in 5s for %d waiting accounts: retries do not back off", during, len(want))
	}
	if backlog := r.Metric("natsauth_resolver_pending_pushes"); backlog < 4 || backlog > 5 || r.Ready() {
		t.Errorf("during the outage: backlog %v (want the 4 changed accounts, or all 5 after a reconnect forced every push), ready %t",
			backlog, r.Ready())
	}

	restarted := time.Now()
	for _, s := range e.servers {
		s.Restart(t)
	}
	for n, acc := range want {
		e.waitStored(acc.Status.PublicKey, acc.Status.JWT, e.servers...)
		if msg := resolverPushedMessage(e.waitFullyPushed(n)); msg != fmt.Sprintf("acknowledged by %d of %d servers", len(e.servers), len(e.servers)) {
			t.Errorf("%s: Pushed message %q", n, msg)
		}
	}
	t.Logf("every change reached every server %s after the servers were restarted", time.Since(restarted).Round(time.Millisecond))
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		return r.Ready() && r.Metric("natsauth_resolver_pending_pushes") == 0, nil
	})
	if err != nil {
		t.Errorf("after NATS returned: ready %t, backlog %v", r.Ready(), r.Metric("natsauth_resolver_pending_pushes"))
	}
}

// TestUnavailableNATSFrozenServer freezes (SIGSTOP) the nats-server the resolver is connected
// to, as a network partition would: its TCP connection stays open but nothing answers. The
// resolver notices within a few ping intervals (--nats-ping-interval; nats.go's default would
// take minutes), reconnects to the other server of the cluster and pushes a change made
// meanwhile there, reporting the frozen server as missing and keeping the account in the
// backlog. When the server thaws it gets the change too and the backlog drains.
func TestUnavailableNATSFrozenServer(t *testing.T) {
	e := newResolverEnv(t, 2, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	e.ctx = ctx
	frozen, other := e.servers[0], e.servers[1]
	r := e.startResolver(func(o *resolverapp.Options) { o.NatsPingInterval = 500 * time.Millisecond })
	e.createAccount("orders")
	e.waitFullyPushed("orders")

	if err := frozen.Pause(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = frozen.Resume() })
	paused := time.Now()
	changed := e.setConnLimit("orders", 3)
	e.waitStored(changed.Status.PublicKey, changed.Status.JWT, other)
	t.Logf("the change reached the live server %s after the other one froze", time.Since(paused).Round(time.Millisecond))
	partial := e.waitPushed("orders", metav1.ConditionFalse, "PartiallyPushed", nil)
	if msg := resolverPushedMessage(partial); !strings.Contains(msg, "missing: "+frozen.Name()) {
		t.Errorf("Pushed message %q does not name the frozen server", msg)
	}
	if backlog := r.Metric("natsauth_resolver_pending_pushes"); backlog < 1 {
		t.Errorf("backlog %v while a server lacks the change", backlog)
	}

	if err := frozen.Resume(); err != nil {
		t.Fatal(err)
	}
	e.waitStored(changed.Status.PublicKey, changed.Status.JWT, frozen)
	e.waitFullyPushed("orders")
	suite.WaitFor(t, ctx, "the backlog drains", func() bool { return r.Metric("natsauth_resolver_pending_pushes") == 0 })
}
