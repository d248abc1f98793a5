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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/natsauth/nats-auth-operator/natsjwt"
	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// lookupRecorder is a lookup callback backed by a map that records every
// account it was asked for.
type lookupRecorder struct {
	mu    sync.Mutex
	jwts  map[string]string
	asked []string
}

func (r *lookupRecorder) lookup(account string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.asked = append(r.asked, account)
	token, ok := r.jwts[account]
	return token, ok
}

// reset forgets the accounts asked for so far.
func (r *lookupRecorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.asked = nil
}

// askedFor returns the accounts asked for since the last reset.
func (r *lookupRecorder) askedFor() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.asked...)
}

// serveLookups runs ServeLookups until the returned stop is called, which
// also returns ServeLookups' error, and waits until the responder answers
// a lookup for ready, so the subscription is known to be live.
func serveLookups(t *testing.T, c *Client, nc *nats.Conn, rec *lookupRecorder, ready string) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.ServeLookups(ctx, rec.lookup) }()
	stop = sync.OnceValue(func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(callTimeout):
			return errors.New("ServeLookups did not return after cancel")
		}
	})
	t.Cleanup(func() { _ = stop() })
	// A readiness wait: generous, so a loaded machine's slow start is not a failure.
	deadline := time.Now().Add(30 * time.Second)
	for {
		msg, err := nc.Request(lookupSubject(ready), nil, time.Second)
		if err == nil && string(msg.Data) == rec.jwts[ready] {
			return stop
		}
		if time.Now().After(deadline) {
			t.Fatalf("lookup responder not answering: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// lookupSubject is the subject a server publishes to look up account.
func lookupSubject(account string) string {
	return "$SYS.REQ.ACCOUNT." + account + ".CLAIMS.LOOKUP"
}

// TestServeLookups runs a cache-resolver server with an empty JWT directory,
// so the only source of accounts is the lookup responder: cache servers
// never answer lookups themselves and there is no full server to ask.
func TestServeLookups(t *testing.T) {
	w := newWorld(t)
	s := testbed.StartNatsServer(t, w.options(testbed.ResolverCache))
	nc := w.connectSys(t, s.ClientURL())
	c := New(nc)
	app, probe := w.newAccount("APP"), w.newAccount("PROBE")
	rec := &lookupRecorder{jwts: map[string]string{app.pub: app.jwt, probe.pub: probe.jwt}}
	stop := serveLookups(t, c, nc, rec, probe.pub)

	t.Run("an account only the responder knows can connect", func(t *testing.T) {
		rec.reset()
		user, err := testbed.ConnectCreds(s.ClientURL(), userCreds(app.pub, app.signing, "app"))
		if err != nil {
			t.Fatalf("user connect: %v", err)
		}
		defer user.Close()
		if err := user.Flush(); err != nil {
			t.Fatal(err)
		}
		if asked := rec.askedFor(); len(asked) != 1 || asked[0] != app.pub {
			t.Errorf("lookup asked for %v, want exactly the app account", asked)
		}
	})

	t.Run("an unknown account gets silence and fails after the resolver timeout", func(t *testing.T) {
		checkUnknownRejected(t, w, s.ClientURL(), rec)
	})

	t.Run("malformed account tokens never reach the callback", func(t *testing.T) {
		rec.reset()
		user, _ := newKey(natsjwt.KindUser)
		for _, token := range []string{"notakey", user, strings.ToLower(app.pub)} {
			if msg, err := nc.Request(lookupSubject(token), nil, 200*time.Millisecond); err == nil {
				t.Errorf("lookup of %q answered %q", token, msg.Data)
			}
		}
		if asked := rec.askedFor(); len(asked) != 0 {
			t.Errorf("callback asked for %v", asked)
		}
	})

	t.Run("cancel unsubscribes", func(t *testing.T) {
		if err := stop(); err != nil {
			t.Fatalf("ServeLookups returned %v", err)
		}
		_, err := nc.Request(lookupSubject(probe.pub), nil, time.Second)
		if !errors.Is(err, nats.ErrNoResponders) {
			t.Errorf("lookup after stop: %v, want no responders", err)
		}
	})
}

// checkUnknownRejected expects a user of an account nobody knows to be
// refused only after the server's 1s resolver timeout, since the responder
// stays silent, and the callback to have been asked.
func checkUnknownRejected(t *testing.T, w *world, url string, rec *lookupRecorder) {
	rec.reset()
	stranger := w.newAccount("STRANGER")
	began := time.Now()
	user, err := testbed.ConnectCreds(url, userCreds(stranger.pub, stranger.signing, "stranger"))
	elapsed := time.Since(began)
	if err == nil {
		user.Close()
		t.Fatal("a user of an unknown account connected")
	}
	if !errors.Is(err, nats.ErrAuthorization) && !strings.Contains(strings.ToLower(err.Error()), "authorization") {
		t.Errorf("connect error %v, want an authorization violation", err)
	}
	// The server's resolver timeout is 1s: silence makes it wait for all
	// of it, where an empty reply would have meant "not found" at once.
	// The upper bound leaves room for a loaded machine; it is below the
	// client's 5s connect timeout, the next wait that could end the connect.
	if elapsed < 900*time.Millisecond || elapsed > 4500*time.Millisecond {
		t.Errorf("connect failed after %s, want about the 1s resolver timeout", elapsed)
	}
	if asked := rec.askedFor(); len(asked) == 0 || asked[0] != stranger.pub {
		t.Errorf("lookup asked for %v, want the stranger account", asked)
	}
	t.Logf("unknown account rejected after %s", elapsed.Round(time.Millisecond))
}
