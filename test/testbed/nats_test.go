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

package testbed_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// TestNatsServerOperatorMode pushes an account to a full resolver and uses it, then checks
// that the account survives a restart and that Pause really makes the server unresponsive.
func TestNatsServerOperatorMode(t *testing.T) {
	op := newTestOperator(t)
	s := testbed.StartNatsServer(t, op.natsOptions())
	if !strings.HasPrefix(s.ClientURL(), "nats://127.0.0.1:") {
		t.Fatalf("client URL %q is not on loopback", s.ClientURL())
	}

	appKey, appJWT := op.newAccount("APP")
	appPub := must(t, appKey.PublicKey)

	// Unknown accounts are rejected; the 1s resolver timeout keeps this quick.
	began := time.Now()
	if _, err := connect(t, s.ClientURL(), userAuth(t, appKey, "early")); err == nil {
		t.Fatal("a user of an account unknown to the server could connect")
	} else if !strings.Contains(strings.ToLower(err.Error()), "authorization violation") {
		t.Fatalf("connect of unknown account: want an authorization violation, got %v", err)
	}
	t.Logf("unknown account rejected after %s", time.Since(began).Round(time.Millisecond))

	sys, err := connect(t, s.ClientURL(), userAuth(t, op.sysKey, "sys-pusher"))
	if err != nil {
		t.Fatalf("system account user cannot connect: %v", err)
	}
	replies := pushAccount(t, sys, appJWT, 1, 5*time.Second)
	if len(replies) != 1 || replies[0].Data == nil || replies[0].Data.Code != 200 || replies[0].Data.Message != "jwt updated" {
		t.Fatalf("push: want one 200 \"jwt updated\" reply, got %+v", replies)
	}
	if _, err := os.Stat(filepath.Join(s.JWTDir(), appPub+".jwt")); err != nil {
		t.Fatalf("pushed account not stored in the JWT dir: %v", err)
	}

	pubSub(t, s.ClientURL(), appKey)

	// The stored account must still be there after a restart on the same ports and JWT dir.
	s.Restart(t)
	pubSub(t, s.ClientURL(), appKey)
	if !s.LogContains("Server is ready") {
		t.Fatalf("log lacks the ready line:\n%s", s.LogTail(20))
	}

	// A paused server accepts TCP connections into the backlog but never answers.
	app, err := connect(t, s.ClientURL(), userAuth(t, appKey, "pauser"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	if err := app.FlushTimeout(300 * time.Millisecond); err == nil {
		t.Fatal("flush succeeded against a paused server")
	}
	if err := s.Resume(); err != nil {
		t.Fatal(err)
	}
	if err := app.FlushTimeout(5 * time.Second); err != nil {
		t.Fatalf("flush after resume: %v", err)
	}

	// After a wipe the account is gone again.
	s.Stop()
	if err := s.WipeJWTDir(); err != nil {
		t.Fatal(err)
	}
	s.Restart(t)
	if _, err := connect(t, s.ClientURL(), userAuth(t, appKey, "after-wipe")); err == nil {
		t.Fatal("account survived a wipe of the JWT dir")
	}
}

// TestNatsServerConfigText runs the server from a caller-rendered auth part, the way tests feed
// in the operator's generated auth.conf; the resolver dir comes from $TESTBED_JWT_DIR.
func TestNatsServerConfigText(t *testing.T) {
	op := newTestOperator(t)
	authConf := fmt.Sprintf(`operator: %q
system_account: %s
resolver: { type: full, dir: $TESTBED_JWT_DIR, timeout: "1s" }
resolver_preload: { %s: %q }
`, op.jwt, op.sysPub, op.sysPub, op.sysJWT)
	s := testbed.StartNatsServer(t, testbed.NatsOptions{ConfigText: authConf})

	sys, err := connect(t, s.ClientURL(), userAuth(t, op.sysKey, "sys-pusher"))
	if err != nil {
		t.Fatalf("system account user cannot connect: %v", err)
	}
	appKey, appJWT := op.newAccount("APP")
	if replies := pushAccount(t, sys, appJWT, 1, 5*time.Second); len(replies) != 1 || replies[0].Data == nil || replies[0].Data.Code != 200 {
		t.Fatalf("push: want one 200 reply, got %+v", replies)
	}
	if _, err := os.Stat(filepath.Join(s.JWTDir(), must(t, appKey.PublicKey)+".jwt")); err != nil {
		t.Fatalf("$TESTBED_JWT_DIR did not point at JWTDir(): %v", err)
	}
	pubSub(t, s.ClientURL(), appKey)
}

// pubSub connects a new user of account and checks a message makes the round trip.
func pubSub(t *testing.T, url string, account nkeys.KeyPair) {
	t.Helper()
	nc, err := connect(t, url, userAuth(t, account, "app"))
	if err != nil {
		t.Fatalf("app user cannot connect: %v", err)
	}
	sub, err := nc.SubscribeSync("testbed.hello")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := nc.Publish("testbed.hello", []byte("hi")); err != nil {
		t.Fatal(err)
	}
	msg, err := sub.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatalf("no message received: %v", err)
	}
	if string(msg.Data) != "hi" {
		t.Fatalf("got %q, want %q", msg.Data, "hi")
	}
}

// TestNatsCluster forms a 3-node route cluster; a push to one server reaches all three.
func TestNatsCluster(t *testing.T) {
	op := newTestOperator(t)
	servers := testbed.StartNatsCluster(t, 3, op.natsOptions())
	if len(servers) != 3 {
		t.Fatalf("got %d servers", len(servers))
	}

	sys, err := connect(t, servers[0].ClientURL(), userAuth(t, op.sysKey, "sys-pusher"))
	if err != nil {
		t.Fatal(err)
	}
	// The system account's subscriptions propagate over routes asynchronously after the
	// routes are up; wait until all three servers answer before pushing.
	testbed.Eventually(t, 30*time.Second, 50*time.Millisecond, func() (bool, error) {
		return countPingReplies(sys) == 3, nil
	}, "servers answering $SYS.REQ.SERVER.PING")

	appKey, appJWT := op.newAccount("APP")
	replies := pushAccount(t, sys, appJWT, 3, 5*time.Second)
	if len(replies) != 3 {
		t.Fatalf("push: want 3 replies, got %d: %+v", len(replies), replies)
	}
	names := map[string]bool{}
	for _, r := range replies {
		if r.Data == nil || r.Data.Code != 200 {
			t.Fatalf("push reply is not a success: %+v", r)
		}
		names[r.Server.Name] = true
	}
	if len(names) != 3 {
		t.Fatalf("replies came from %d distinct servers, want 3", len(names))
	}
	// A user of the new account can use any server.
	pubSub(t, servers[2].ClientURL(), appKey)
}

// countPingReplies counts the servers answering a ping until no reply came for a second (room
// for a loaded machine; a reply crosses at most one route).
func countPingReplies(nc *nats.Conn) int {
	inbox := nats.NewInbox()
	sub, err := nc.SubscribeSync(inbox)
	if err != nil {
		return 0
	}
	defer sub.Unsubscribe()
	if err := nc.PublishRequest("$SYS.REQ.SERVER.PING", inbox, nil); err != nil {
		return 0
	}
	n := 0
	for {
		if _, err := sub.NextMsg(time.Second); err != nil {
			return n
		}
		n++
	}
}
