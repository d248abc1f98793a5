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
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// captureEnv, set to 1, makes TestCaptureReplies rewrite testdata/replies
// from real servers. The files seed the table tests and the fuzz targets,
// so regenerate them when moving to a new nats-server version.
const captureEnv = "NATSSYS_CAPTURE"

// repliesDir holds real reply bodies, one file per kind of reply.
const repliesDir = "testdata/replies"

// startMixedCluster starts one server per resolver type, routed to the first,
// and waits for the full mesh. The first server allows deletes, so a delete
// sees both an acceptance and (from a second full server) a refusal.
func startMixedCluster(t *testing.T, w *world, types ...testbed.ResolverType) []*testbed.NatsServer {
	t.Helper()
	var servers []*testbed.NatsServer
	for i, rt := range types {
		o := w.options(rt)
		o.ServerName = fmt.Sprintf("mixed-%d-%s", i, rt)
		o.AllowDelete = i == 0 && rt == testbed.ResolverFull
		o.Cluster = testbed.NatsClusterOptions{Name: "mixed"}
		if i > 0 {
			o.Cluster.Routes = []string{servers[0].RouteURL()}
		}
		servers = append(servers, testbed.StartNatsServer(t, o))
	}
	if err := testbed.WaitForRoutes(timeout(t, 30*time.Second), servers, len(servers)-1); err != nil {
		t.Fatal(err)
	}
	return servers
}

// rawReplies publishes body to subject and returns up to n raw reply bodies
// that arrive within wait, without parsing anything.
func rawReplies(t *testing.T, nc *nats.Conn, subject string, body []byte, n int, wait time.Duration) [][]byte {
	t.Helper()
	inbox := nc.NewInbox()
	sub := must(nc.SubscribeSync(inbox))
	defer func() { _ = sub.Unsubscribe() }()
	if err := nc.PublishRequest(subject, inbox, body); err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	deadline := time.Now().Add(wait)
	for len(out) < n {
		msg, err := sub.NextMsg(time.Until(deadline))
		if err != nil {
			break
		}
		out = append(out, msg.Data)
	}
	return out
}

// TestCaptureReplies records one real reply of every kind this package
// parses, from a cluster of a full server with allow_delete, a full server
// without it and a cache server.
func TestCaptureReplies(t *testing.T) {
	if os.Getenv(captureEnv) != "1" {
		t.Skipf("set %s=1 to rewrite %s from real servers", captureEnv, repliesDir)
	}
	w := newWorld(t)
	servers := startMixedCluster(t, w, testbed.ResolverFull, testbed.ResolverFull, testbed.ResolverCache)
	nc := w.connectSys(t, servers[0].ClientURL())
	app := w.newAccount("APP")
	files := map[string][]byte{}
	record := func(prefix string, bodies [][]byte) {
		for _, b := range bodies {
			name := prefix + "-" + replyLabel(b) + ".json"
			// Two full servers send the same answer; keep one of each.
			if _, dup := files[name]; !dup {
				files[name] = b
			}
		}
	}
	record("ping", rawReplies(t, nc, SubjectServerPing, nil, 3, 2*time.Second)[:1])
	record("list", rawReplies(t, nc, SubjectClaimsList, nil, 3, 2*time.Second))
	record("update", rawReplies(t, nc, SubjectClaimsUpdate, []byte(app.jwt), 3, 2*time.Second))
	record("update", rawReplies(t, nc, SubjectClaimsUpdate, []byte("not a jwt"), 3, 2*time.Second))
	// Load the account on the cache server, so its next answer is an update.
	user, err := testbed.ConnectCreds(servers[2].ClientURL(), userCreds(app.pub, app.signing, "loader"))
	if err != nil {
		t.Fatalf("connect to the cache server: %v", err)
	}
	record("update", rawReplies(t, nc, SubjectClaimsUpdate, []byte(app.jwt), 3, 2*time.Second))
	record("list", rawReplies(t, nc, SubjectClaimsList, nil, 3, 2*time.Second))
	// The delete would disconnect the user, which nats.go reports on stderr.
	user.Close()
	record("delete", rawReplies(t, nc, SubjectClaimsDelete, []byte(w.deleteRequest(app.pub)), 3, 2*time.Second))
	record("delete", rawReplies(t, nc, SubjectClaimsDelete, []byte("not a jwt"), 1, 2*time.Second))
	if err := os.MkdirAll(repliesDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(repliesDir, name), append(body, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %s", name, body)
	}
}

// replyLabel names a reply by its sender's resolver (the server names end
// in it) and what it says, for a file name.
func replyLabel(body []byte) string {
	sr, _ := ParseUpdateReply(body)
	resolver := sr.Server.Name[strings.LastIndex(sr.Server.Name, "-")+1:]
	if sr.Message != "" {
		// A refusal reads "<what failed> - <why>"; the why tells them apart.
		msg := sr.Message
		if _, why, ok := strings.Cut(msg, " - "); ok {
			msg = why
		}
		return resolver + "-" + strings.ReplaceAll(firstWords(msg, 4), " ", "-")
	}
	if strings.Contains(string(body), `"statsz"`) {
		return resolver
	}
	lr, _ := ParseListReply(body)
	return fmt.Sprintf("%s-%d-accounts", resolver, len(lr.Accounts))
}

// firstWords returns up to n space-separated words of s.
func firstWords(s string, n int) string {
	words := strings.Fields(s)
	return strings.Join(words[:min(n, len(words))], " ")
}
