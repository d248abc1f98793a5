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

package e2e

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/natsauth/nats-auth-operator/natsjwt"
	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// signAccountAt signs the application account with natsjwt.SignAccountAt at iat.
func (w *world) signAccountAt(t *testing.T, iat int64) string {
	t.Helper()
	token, err := natsjwt.SignAccountAt(must(natsjwt.AccountClaims(w.appPub, w.appSpec)), w.opSigning, iat)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// storedJWT is the account JWT a full server keeps on disk, or "".
func storedJWT(s *testbed.NatsServer, account string) string {
	b, err := os.ReadFile(filepath.Join(s.JWTDir(), account+".jwt"))
	if err != nil {
		return ""
	}
	return string(b)
}

// waitUntil polls cond every 20ms for up to 15s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}

// TestFutureIssuedAtOnARealCluster proves what the account controller relies on when it gives an
// account JWT an iat ahead of the clock (controllers/account/issuedat.go): three full servers take
// such a JWT on a push, answer lookups with it and apply its revocations, and their store sync
// ($SYS.REQ.CLAIMS.PACK, every second here) hands the one with the later iat to a server that
// missed it, while the others keep it.
func TestFutureIssuedAtOnARealCluster(t *testing.T) {
	w := newWorld(t)
	servers := testbed.StartNatsCluster(t, 3, testbed.NatsOptions{OperatorJWT: w.operatorJWT, SystemAccountPub: w.sysPub,
		SystemAccountJWT: w.sysJWT, ResolverInterval: "1s"})
	sysCreds, _, _ := creds(t, w.sysPub, w.sysSigning, natsjwt.UserSpec{Name: "pusher"})
	sys, err := connectCreds(t, servers[0].ClientURL(), sysCreds)
	if err != nil {
		t.Fatalf("system user connect: %v", err)
	}
	defer sys.Close()

	now := time.Now().Unix()
	ahead := w.signAccountAt(t, now+1)
	if err := testbed.PushAccount(sys, ahead, 3, 5*time.Second); err != nil {
		t.Fatalf("push of a JWT 1s ahead: %v", err)
	}
	for _, s := range servers {
		waitUntil(t, s.Name()+" stores the JWT 1s ahead", func() bool { return storedJWT(s, w.appPub) == ahead })
	}
	lookup, err := sys.Request("$SYS.REQ.ACCOUNT."+w.appPub+".CLAIMS.LOOKUP", nil, 5*time.Second)
	if err != nil || string(lookup.Data) != ahead {
		t.Fatalf("lookup answered %q (%v), want the JWT 1s ahead", lookup.Data, err)
	}

	userCreds, userPub, iat := creds(t, w.appPub, w.appSigning, natsjwt.UserSpec{Name: "app"})
	closed := make([]chan struct{}, 2)
	for i := range closed {
		ch := make(chan struct{})
		closed[i] = ch
		nc, err := connectCreds(t, servers[i].ClientURL(), userCreds, nats.ClosedHandler(func(*nats.Conn) { close(ch) }),
			nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
		if err != nil {
			t.Fatalf("user connect to %s: %v", servers[i].Name(), err)
		}
		defer nc.Close()
	}

	// The third server misses the next JWT, a minute ahead, which revokes the user.
	servers[2].Stop()
	w.appSpec.Revocations = natsjwt.RevokeUpTo(nil, userPub, iat)
	later := w.signAccountAt(t, now+60)
	if err := testbed.PushAccount(sys, later, 2, 5*time.Second); err != nil {
		t.Fatalf("push of a JWT 60s ahead: %v", err)
	}
	for i, ch := range closed {
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			t.Fatalf("the revoked user is still connected to %s", servers[i].Name())
		}
	}
	servers[2].Restart(t)
	waitUntil(t, servers[2].Name()+" takes the later JWT from the store sync", func() bool {
		return storedJWT(servers[2], w.appPub) == later
	})
	if _, err := connectCreds(t, servers[2].ClientURL(), userCreds); err == nil {
		t.Fatalf("the revoked user connected to %s after the sync", servers[2].Name())
	}
	for _, s := range servers[:2] {
		if storedJWT(s, w.appPub) != later {
			t.Errorf("%s went back to the earlier JWT", s.Name())
		}
	}
}
