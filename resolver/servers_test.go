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

package resolver

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/natsauth/nats-auth-operator/resolver/natssys"
)

// fakePing answers pings with whatever servers it currently holds and counts the calls.
type fakePing struct {
	servers []natssys.ServerInfo
	err     error
	calls   int
	// during, when set, runs inside the ping, as a concurrent caller would.
	during func()
}

func (f *fakePing) ping(context.Context) ([]natssys.ServerInfo, error) {
	f.calls++
	if f.during != nil {
		f.during()
	}
	return slices.Clone(f.servers), f.err
}

func servers(nameIDs ...string) []natssys.ServerInfo {
	var out []natssys.ServerInfo
	for i := 0; i < len(nameIDs); i += 2 {
		out = append(out, natssys.ServerInfo{Name: nameIDs[i], ID: nameIDs[i+1]})
	}
	return out
}

func TestServerSet(t *testing.T) {
	ctx := context.Background()
	clk := clocktesting.NewFakePassiveClock(time.Unix(1_700_000_000, 0))
	ping := &fakePing{servers: servers("b", "B1", "a", "A1", "c", "C1")}
	set := newServerSet(ping.ping, clk, 5*time.Second, time.Minute)

	view := mustFresh(t)(set.get(ctx))
	if !slices.Equal(view.expected, []string{"a", "b", "c"}) || view.live != 3 || len(view.restarted) != 0 || ping.calls != 1 {
		t.Fatalf("first view %+v after %d pings: want one ping, a, b, c live and nothing restarted", view, ping.calls)
	}

	t.Run("the view is reused, and only reported stale after the TTL", func(t *testing.T) {
		clk.SetTime(clk.Now().Add(4 * time.Second))
		mustFresh(t)(set.get(ctx))
		clk.SetTime(clk.Now().Add(2 * time.Second))
		if _, stale, err := set.get(ctx); err != nil || !stale || !set.stale() {
			t.Errorf("after the TTL: stale %t, %v", stale, err)
		}
		if ping.calls != 1 {
			t.Errorf("%d pings, want 1: get never pings while it has a view", ping.calls)
		}
	})
	t.Run("a stopped server is still expected", func(t *testing.T) {
		ping.servers = servers("a", "A1", "b", "B1")
		view := mustView(t)(set.refresh(ctx))
		if !slices.Equal(view.expected, []string{"a", "b", "c"}) || view.live != 2 || set.stale() {
			t.Errorf("view %+v: want c still expected, 2 live, fresh", view)
		}
	})
	t.Run("a server back with a new identity counts as restarted", func(t *testing.T) {
		ping.servers = servers("a", "A1", "b", "B1", "c", "C2")
		view := mustView(t)(set.refresh(ctx))
		if !slices.Equal(view.restarted, []string{"c"}) {
			t.Errorf("restarted %v, want [c]", view.restarted)
		}
		if again := mustView(t)(set.refresh(ctx)); len(again.restarted) != 0 {
			t.Errorf("restarted %v on the next ping, want none", again.restarted)
		}
	})
	t.Run("invalidate makes get ping again", func(t *testing.T) {
		before := ping.calls
		set.invalidate()
		mustFresh(t)(set.get(ctx))
		if ping.calls != before+1 {
			t.Errorf("%d pings after invalidate, want %d", ping.calls, before+1)
		}
	})
	t.Run("a server gone past the retention is forgotten", func(t *testing.T) {
		set.markCache("c")
		ping.servers = servers("a", "A1", "b", "B1")
		clk.SetTime(clk.Now().Add(30 * time.Second))
		mustView(t)(set.refresh(ctx))
		clk.SetTime(clk.Now().Add(31 * time.Second))
		view := mustView(t)(set.refresh(ctx))
		if !slices.Equal(view.expected, []string{"a", "b"}) || set.isCache("c") {
			t.Errorf("view %+v, cache c %t: want c forgotten", view, set.isCache("c"))
		}
	})
}

func TestServerSetInvalidateDuringAPing(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(time.Unix(1_700_000_000, 0))
	ping := &fakePing{servers: servers("a", "A1")}
	set := newServerSet(ping.ping, clk, 5*time.Second, time.Minute)
	ping.during = set.invalidate
	mustView(t)(set.refresh(context.Background()))
	ping.during = nil
	if !set.stale() {
		t.Fatal("a ping that began before a reconnect was cached as the fresh answer")
	}
	mustFresh(t)(set.get(context.Background()))
	if ping.calls != 2 {
		t.Errorf("%d pings, want the second one from get", ping.calls)
	}
}

func TestServerSetWithoutServers(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(time.Unix(1_700_000_000, 0))
	down := errors.New("no server replied")
	ping := &fakePing{err: down}
	set := newServerSet(ping.ping, clk, 5*time.Second, time.Minute)
	if _, _, err := set.get(context.Background()); !errors.Is(err, errNoServers) || !errors.Is(err, down) {
		t.Fatalf("error %v, want errNoServers joined with the ping error", err)
	}
	// Once servers are known, a failing ping still reports them so pushes name them missing.
	ping.servers, ping.err = servers("a", "A1"), nil
	mustView(t)(set.refresh(context.Background()))
	ping.servers, ping.err = nil, down
	view := mustView(t)(set.refresh(context.Background()))
	if !slices.Equal(view.expected, []string{"a"}) || view.live != 0 {
		t.Errorf("view %+v, want a expected and nothing live", view)
	}
}

// mustView fails the test when a view could not be made.
func mustView(t *testing.T) func(serverView, error) serverView {
	return func(v serverView, err error) serverView {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// mustFresh fails the test when get made no view or reported it stale.
func mustFresh(t *testing.T) func(serverView, bool, error) serverView {
	return func(v serverView, stale bool, err error) serverView {
		t.Helper()
		if err != nil || stale {
			t.Fatalf("view stale %t, %v", stale, err)
		}
		return v
	}
}
