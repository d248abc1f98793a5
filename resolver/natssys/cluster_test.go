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
	"errors"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// callTimeout bounds each call that should finish as soon as the expected
// replies are in; it only matters when something is broken.
const callTimeout = 5 * time.Second

// TestFullResolverCluster walks the life of one account through a
// three-server full-resolver cluster: discovery, push, list, a refused push,
// delete, and a push with one server down. The steps share the cluster and
// run in order.
func TestFullResolverCluster(t *testing.T) {
	w := newWorld(t)
	opts := w.options(testbed.ResolverFull)
	opts.AllowDelete = true
	servers := testbed.StartNatsCluster(t, 3, opts)
	c := newTestClient(w.connectSys(t, servers[0].ClientURL()))
	app := w.newAccount("APP")

	var infos []ServerInfo
	t.Run("Servers finds all three", func(t *testing.T) { infos = checkServers(t, c, servers) })
	t.Run("Update is acknowledged by all three", func(t *testing.T) { checkUpdateApplied(t, c, app, 3) })
	t.Run("List shows the account on all three", func(t *testing.T) { assertListed(t, c, app.pub, 3, true) })
	t.Run("Update latency", func(t *testing.T) { measureUpdates(t, c, app.jwt, 20, 3) })
	t.Run("an invalid JWT is refused by every server", func(t *testing.T) { checkInvalidRefused(t, c, 3) })
	t.Run("Delete is acknowledged by all three and the account is gone", func(t *testing.T) {
		checkDeleted(t, c, w.deleteRequest(app.pub), app.pub, 3)
	})
	t.Run("a stopped server is reported missing", func(t *testing.T) {
		servers[2].Stop()
		checkStoppedMissing(t, c, app.jwt, infos, servers[2].Name())
	})
}

// checkServers expects Servers to find exactly the given servers.
func checkServers(t *testing.T, c *Client, servers []*testbed.NatsServer) []ServerInfo {
	began := time.Now()
	infos, err := c.Servers(timeout(t, callTimeout))
	elapsed := time.Since(began)
	if err != nil {
		t.Fatal(err)
	}
	var names, want []string
	for _, s := range infos {
		names = append(names, s.Name)
		if s.ID == "" || s.Version == "" || s.Cluster != "testbed" || s.JetStream {
			t.Errorf("server %+v lacks identity, version or cluster", s)
		}
	}
	for _, s := range servers {
		want = append(want, s.Name())
	}
	if !slices.Equal(names, want) {
		t.Errorf("servers %v, want %v", names, want)
	}
	// MinWait bounds the wait from below: every reply arrives within a few ms.
	t.Logf("Servers took %s", elapsed.Round(time.Millisecond))
	return infos
}

// checkUpdateApplied expects n full servers to store the account.
func checkUpdateApplied(t *testing.T, c *Client, app testAccount, n int) {
	res, err := c.Update(timeout(t, callTimeout), app.jwt, n)
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied != n || res.Skipped != 0 || res.Failed != 0 || res.Missing != 0 || res.Err() != nil {
		t.Fatalf("result %+v", res)
	}
	for _, sr := range res.Replies {
		if !sr.OK || sr.Code != 200 || sr.Message != "jwt updated" || sr.Account != app.pub {
			t.Errorf("reply %+v", sr)
		}
	}
}

// checkInvalidRefused expects each of n servers to refuse a non-JWT, and
// every refusal to be reported rather than only the first.
func checkInvalidRefused(t *testing.T, c *Client, n int) {
	res, err := c.Update(timeout(t, callTimeout), "not-a-jwt", n)
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed != n || res.Acknowledged() != 0 || len(res.Replies) != n {
		t.Fatalf("result %+v", res)
	}
	seen := map[string]bool{}
	for _, sr := range res.Replies {
		var re *ReplyError
		if !errors.As(sr.Err, &re) || re.Code != 500 || re.Account != "n/a" ||
			re.Description != "jwt update resulted in error - expected 3 chunks" {
			t.Errorf("reply %+v: Err %v", sr, sr.Err)
		}
		seen[sr.Server.Name] = true
	}
	if len(seen) != n {
		t.Errorf("refusals came from %v, want %d distinct servers", seen, n)
	}
	if err := res.Err(); err == nil {
		t.Error("Result.Err is nil despite the refusals")
	}
}

// checkDeleted expects n servers to delete the account and stop listing it.
func checkDeleted(t *testing.T, c *Client, deleteRequest, account string, n int) {
	res, err := c.Delete(timeout(t, callTimeout), deleteRequest, n)
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied != n || res.Failed != 0 || res.Missing != 0 {
		t.Fatalf("result %+v", res)
	}
	for _, sr := range res.Replies {
		if sr.Message != "deleted 1 accounts" {
			t.Errorf("reply %+v", sr)
		}
	}
	assertListed(t, c, account, n, false)
}

// checkStoppedMissing expects an Update for all of infos to end at its
// deadline with one reply missing, from the stopped server.
func checkStoppedMissing(t *testing.T, c *Client, token string, infos []ServerInfo, stopped string) {
	const deadline = time.Second
	began := time.Now()
	res, err := c.Update(timeout(t, deadline), token, len(infos))
	elapsed := time.Since(began)
	var ie *IncompleteError
	if !errors.As(err, &ie) || !errors.Is(err, ErrIncomplete) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v (%T), want an *IncompleteError from the deadline", err, err)
	}
	if ie.Got != len(infos)-1 || ie.Expected != len(infos) || res.Applied != ie.Got || res.Missing != 1 {
		t.Fatalf("error %v, result %+v", err, res)
	}
	missing := res.MissingFrom(infos)
	if len(missing) != 1 || missing[0].Name != stopped {
		t.Fatalf("missing %+v, want %s", missing, stopped)
	}
	// The lower bound proves it waited for the stopped server; the upper one only catches a wait
	// well past the deadline, with room for a loaded machine.
	if elapsed < deadline-50*time.Millisecond || elapsed > deadline+callTimeout {
		t.Errorf("Update returned after %s, want about the %s deadline", elapsed, deadline)
	}
	t.Logf("Update with a server down: %v after %s (applied %d, missing %d: %s)",
		err, elapsed.Round(time.Millisecond), res.Applied, res.Missing, missing[0].Name)
	after, err := c.Servers(timeout(t, callTimeout))
	if err != nil || len(after) != len(infos)-1 {
		t.Errorf("Servers after the stop: %d servers, %v", len(after), err)
	}
}

// assertListed checks that every one of n servers lists (or does not list)
// the account.
func assertListed(t *testing.T, c *Client, account string, n int, want bool) {
	t.Helper()
	for _, lr := range mustList(t, c, n) {
		if got := slices.Contains(lr.Accounts, account); got != want {
			t.Errorf("%s lists %v; account listed %t, want %t", lr.Server.Name, lr.Accounts, got, want)
		}
	}
}

// measureUpdates pushes the same JWT n times and logs the median, 90th
// percentile and maximum time until all expected acknowledgements arrived.
func measureUpdates(t *testing.T, c *Client, token string, n, expected int) {
	t.Helper()
	durations := make([]time.Duration, 0, n)
	for range n {
		began := time.Now()
		res, err := c.Update(timeout(t, callTimeout), token, expected)
		durations = append(durations, time.Since(began))
		if err != nil || res.Applied != expected {
			t.Fatalf("push: %v, %+v", err, res)
		}
	}
	sort.Slice(durations, func(i, j int) bool { return durations[i] < durations[j] })
	t.Logf("Update to %d servers, %d pushes: median %s, p90 %s, max %s", expected, n,
		durations[n/2], durations[n*9/10], durations[n-1])
}
