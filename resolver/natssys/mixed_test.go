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
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// TestMixedCluster covers a cluster of a full server with allow_delete, a
// full server without it and a cache server: the cache server's
// acknowledgement without storage, and a delete that some servers refuse.
func TestMixedCluster(t *testing.T) {
	w := newWorld(t)
	servers := startMixedCluster(t, w, testbed.ResolverFull, testbed.ResolverFull, testbed.ResolverCache)
	c := newTestClient(w.connectSys(t, servers[0].ClientURL()))
	cacheName := servers[2].Name()
	app := w.newAccount("APP")

	t.Run("the cache server acknowledges without storing", func(t *testing.T) {
		checkCacheSkipped(t, c, app.jwt, app.pub, cacheName)
	})

	t.Run("once loaded the cache server applies updates", func(t *testing.T) {
		// The cache server fetches the account from a full server when a
		// user of it connects, and from then on takes updates.
		user, err := testbed.ConnectCreds(servers[2].ClientURL(), userCreds(app.pub, app.signing, "loader"))
		if err != nil {
			t.Fatalf("user connect to the cache server: %v", err)
		}
		defer user.Close()
		res, err := c.Update(timeout(t, callTimeout), app.jwt, 3)
		if err != nil || res.Applied != 3 {
			t.Fatalf("result %+v, %v", res, err)
		}
		for _, sr := range res.Replies {
			if sr.Server.Name == cacheName && sr.Message != "jwt updated cache" {
				t.Errorf("cache server said %q", sr.Message)
			}
		}
		// The delete below disconnects this user, which nats.go would report.
		user.Close()
	})

	t.Run("a delete refused by one server is reported per server", func(t *testing.T) {
		res, err := c.Delete(timeout(t, callTimeout), w.deleteRequest(app.pub), 3)
		if err != nil {
			t.Fatal(err)
		}
		if res.Applied != 2 || res.Failed != 1 || len(res.Replies) != 3 {
			t.Fatalf("result %+v", res)
		}
		for _, sr := range res.Replies {
			refused := sr.Server.Name == servers[1].Name()
			if refused != (sr.Outcome == OutcomeFailed) {
				t.Errorf("%s: %s %q", sr.Server.Name, sr.Outcome, sr.Message)
			}
			if refused && !strings.HasSuffix(sr.Message, "delete must be enabled in server config") {
				t.Errorf("refusal says %q", sr.Message)
			}
		}
	})

	t.Run("open-ended collection without an expected count", func(t *testing.T) {
		res, err := c.Update(timeout(t, callTimeout), app.jwt, 0)
		if err != nil || len(res.Replies) != 3 || res.Missing != 0 {
			t.Fatalf("result %+v, %v", res, err)
		}
	})
}

// checkCacheSkipped expects the cache server to acknowledge the push with
// "jwt update cache skipped" and not list the account, and the two full
// servers to store and list it.
func checkCacheSkipped(t *testing.T, c *Client, token, account, cacheName string) {
	res, err := c.Update(timeout(t, callTimeout), token, 3)
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied != 2 || res.Skipped != 1 || res.Failed != 0 || res.Acknowledged() != 3 {
		t.Fatalf("result %+v", res)
	}
	for _, sr := range res.Replies {
		skipped := sr.Server.Name == cacheName
		if skipped != (sr.Outcome == OutcomeSkipped) || !sr.OK {
			t.Errorf("%s: %s %q", sr.Server.Name, sr.Outcome, sr.Message)
		}
		if skipped && sr.Message != "jwt update cache skipped" {
			t.Errorf("cache server said %q", sr.Message)
		}
	}
	for _, lr := range mustList(t, c, 3) {
		if listed := slices.Contains(lr.Accounts, account); listed == (lr.Server.Name == cacheName) {
			t.Errorf("%s lists %v", lr.Server.Name, lr.Accounts)
		}
	}
}

// TestMemoryResolverHasNoResponders shows why the count matters: MEMORY
// servers do not subscribe to CLAIMS.UPDATE, and the client says so at once
// instead of waiting for its deadline.
func TestMemoryResolverHasNoResponders(t *testing.T) {
	w := newWorld(t)
	s := testbed.StartNatsServer(t, w.options(testbed.ResolverMemory))
	c := newTestClient(w.connectSys(t, s.ClientURL()))
	// A long deadline, so that "at once" means well before it even on a loaded machine.
	const deadline = time.Minute
	began := time.Now()
	res, err := c.Update(timeout(t, deadline), w.newAccount("APP").jwt, 1)
	if !errors.Is(err, nats.ErrNoResponders) || len(res.Replies) != 0 || res.Missing != 1 {
		t.Fatalf("result %+v, %v; want no responders", res, err)
	}
	if elapsed := time.Since(began); elapsed > deadline/2 {
		t.Errorf("no responders took %s", elapsed)
	}
	if _, err := c.List(timeout(t, callTimeout), 1); !errors.Is(err, nats.ErrNoResponders) {
		t.Errorf("List: %v, want no responders", err)
	}
	infos, err := c.Servers(timeout(t, callTimeout))
	if err != nil || len(infos) != 1 || infos[0].Name != s.Name() {
		t.Errorf("Servers: %+v, %v", infos, err)
	}
}

// TestClosedConnection checks that a call on a closed connection fails at
// once with the transport error rather than waiting for its deadline.
func TestClosedConnection(t *testing.T) {
	w := newWorld(t)
	s := testbed.StartNatsServer(t, w.options(testbed.ResolverFull))
	nc := w.connectSys(t, s.ClientURL())
	c := New(nc)
	nc.Close()
	if _, err := c.Update(timeout(t, callTimeout), "x", 1); !errors.Is(err, nats.ErrConnectionClosed) {
		t.Errorf("Update: %v", err)
	}
	if _, err := c.Servers(timeout(t, callTimeout)); !errors.Is(err, nats.ErrConnectionClosed) {
		t.Errorf("Servers: %v", err)
	}
	if err := c.ServeLookups(timeout(t, callTimeout), func(string) (string, bool) { return "", false }); !errors.Is(err, nats.ErrConnectionClosed) {
		t.Errorf("ServeLookups: %v", err)
	}
}

// mustList lists with an expected count and fails on any error.
func mustList(t *testing.T, c *Client, n int) []ListReply {
	t.Helper()
	replies, err := c.List(timeout(t, callTimeout), n)
	if err != nil || len(replies) != n {
		t.Fatalf("list: %d replies, %v", len(replies), err)
	}
	for _, lr := range replies {
		if lr.Err != nil {
			t.Fatalf("%s: %v", lr.Server.Name, lr.Err)
		}
	}
	return replies
}
