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

package natssys

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/natsauth/nats-auth-operator/natsjwt"
	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// TestStored: on three full servers, Stored returns every server's stored JWT of an account and
// counts the servers without one; a server that missed an update while it was down answers
// with its older JWT after a restart. ServeLookups on the same connection never answers
// Stored's own lookups, so what Stored returns comes from the servers only.
func TestStored(t *testing.T) {
	w := newWorld(t)
	opts := w.options(testbed.ResolverFull)
	// The servers' own sync would hand the restarted one the update; keep it out of the test.
	opts.ResolverInterval = "1h"
	servers := testbed.StartNatsCluster(t, 3, opts)
	c := newTestClient(w.connectSys(t, servers[0].ClientURL()))
	var served atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- c.ServeLookups(ctx, func(string) (string, bool) { served.Add(1); return "eyJ.not-from-a-server", true })
	}()
	t.Cleanup(func() { cancel(); <-done })

	app, unknown := w.newAccount("APP"), w.newAccount("UNKNOWN")
	checkUpdateApplied(t, c, app, 3)
	got, err := c.Stored(timeout(t, callTimeout), []string{app.pub, unknown.pub}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if st := got[app.pub]; len(st.Tokens) != 3 || st.Absent != 0 || slices.ContainsFunc(st.Tokens, func(s string) bool { return s != app.jwt }) {
		t.Errorf("stored %+v, want the pushed JWT from all three", st)
	}
	if st := got[unknown.pub]; len(st.Tokens) != 0 || st.Absent != 3 {
		t.Errorf("unknown account: %+v, want absent on all three", st)
	}
	if n := served.Load(); n != 0 {
		t.Errorf("ServeLookups answered %d of Stored's lookups", n)
	}

	servers[2].Stop()
	updated := w.accountJWT(app.pub, natsjwt.AccountSpec{Name: "APP2"})
	if res, err := c.Update(timeout(t, callTimeout), updated, 2); err != nil || res.Applied != 2 {
		t.Fatalf("update with one server down: %+v, %v", res, err)
	}
	servers[2].Restart(t)
	if err := testbed.WaitForRoutes(timeout(t, 20*time.Second), servers, 2); err != nil {
		t.Fatal(err)
	}
	got, err = c.Stored(timeout(t, callTimeout), []string{app.pub}, 3)
	if err != nil {
		t.Fatal(err)
	}
	st := got[app.pub]
	slices.Sort(st.Tokens)
	want := []string{updated, updated, app.jwt}
	slices.Sort(want)
	if !slices.Equal(st.Tokens, want) {
		t.Errorf("after a missed update: %d tokens (%d current), want 2 current and the older one", len(st.Tokens),
			len(slices.DeleteFunc(slices.Clone(st.Tokens), func(s string) bool { return s != updated })))
	}
}

// TestAnswerLookupSkipsStored: a lookup whose reply subject carries Stored's marker never
// reaches the lookup callback; another lookup of the same account does.
func TestAnswerLookupSkipsStored(t *testing.T) {
	pub, _ := newKey(natsjwt.KindAccount)
	calls := 0
	lookup := func(string) (string, bool) { calls++; return "", false }
	subject := "$SYS.REQ.ACCOUNT." + pub + ".CLAIMS.LOOKUP"
	answerLookup(&nats.Msg{Subject: subject, Reply: "_INBOX.abc." + storedMarker + ".7"}, lookup)
	if calls != 0 {
		t.Errorf("Stored's lookup reached the callback")
	}
	answerLookup(&nats.Msg{Subject: subject, Reply: "$SYS._INBOX.xyz.1"}, lookup)
	if calls != 1 {
		t.Errorf("a server's lookup did not reach the callback")
	}
}
