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
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// testOperator is an operator with a signing key and a system account, built with jwt/v2 and
// nkeys directly (nsc is not available here).
type testOperator struct {
	t          testing.TB
	jwt        string
	signingKey nkeys.KeyPair
	sysPub     string
	sysJWT     string
	sysKey     nkeys.KeyPair
}

func newTestOperator(t testing.TB) *testOperator {
	t.Helper()
	op := &testOperator{t: t}
	opKey := must(t, nkeys.CreateOperator)
	op.signingKey = must(t, nkeys.CreateOperator)
	op.sysKey = must(t, nkeys.CreateAccount)
	op.sysPub = must(t, op.sysKey.PublicKey)

	oc := jwt.NewOperatorClaims(must(t, opKey.PublicKey))
	oc.Name = "testbed-operator"
	oc.SystemAccount = op.sysPub
	oc.SigningKeys.Add(must(t, op.signingKey.PublicKey))
	op.jwt = encode(t, oc, opKey)

	ac := jwt.NewAccountClaims(op.sysPub)
	ac.Name = "SYS"
	op.sysJWT = encode(t, ac, op.signingKey)
	return op
}

// natsOptions returns options for an operator-mode server with the system account preloaded.
func (op *testOperator) natsOptions() testbed.NatsOptions {
	return testbed.NatsOptions{
		OperatorJWT:      op.jwt,
		SystemAccountPub: op.sysPub,
		SystemAccountJWT: op.sysJWT,
	}
}

// newAccount returns a fresh account's key pair and its JWT signed by the operator signing key.
func (op *testOperator) newAccount(name string) (nkeys.KeyPair, string) {
	op.t.Helper()
	kp := must(op.t, nkeys.CreateAccount)
	ac := jwt.NewAccountClaims(must(op.t, kp.PublicKey))
	ac.Name = name
	return kp, encode(op.t, ac, op.signingKey)
}

// userAuth returns a nats option authenticating as a new user of the given account.
func userAuth(t testing.TB, account nkeys.KeyPair, name string) nats.Option {
	t.Helper()
	uk := must(t, nkeys.CreateUser)
	uc := jwt.NewUserClaims(must(t, uk.PublicKey))
	uc.Name = name
	seed := must(t, uk.Seed)
	return nats.UserJWTAndSeed(encode(t, uc, account), string(seed))
}

// connect dials a testbed server; no reconnects, so a failure shows up at once.
func connect(t testing.TB, url string, opts ...nats.Option) (*nats.Conn, error) {
	t.Helper()
	opts = append([]nats.Option{nats.Timeout(5 * time.Second), nats.NoReconnect()}, opts...)
	nc, err := nats.Connect(url, opts...)
	if err == nil {
		t.Cleanup(nc.Close)
	}
	return nc, err
}

// claimUpdateReply is the part of a $SYS.REQ.CLAIMS.UPDATE reply the tests look at.
type claimUpdateReply struct {
	Server struct {
		Name string `json:"name"`
	} `json:"server"`
	Data *struct {
		Account string `json:"account"`
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"data"`
	Error *struct {
		Code        int    `json:"code"`
		Description string `json:"description"`
	} `json:"error"`
}

// pushAccount publishes an account JWT to $SYS.REQ.CLAIMS.UPDATE and collects replies until
// want have arrived or the timeout passes.
func pushAccount(t testing.TB, sys *nats.Conn, accountJWT string, want int, timeout time.Duration) []claimUpdateReply {
	t.Helper()
	inbox := nats.NewInbox()
	sub, err := sys.SubscribeSync(inbox)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := sys.PublishRequest("$SYS.REQ.CLAIMS.UPDATE", inbox, []byte(accountJWT)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(timeout)
	var replies []claimUpdateReply
	for len(replies) < want {
		msg, err := sub.NextMsg(time.Until(deadline))
		if err != nil {
			break
		}
		var r claimUpdateReply
		if err := json.Unmarshal(msg.Data, &r); err != nil {
			t.Fatalf("decoding update reply %q: %v", msg.Data, err)
		}
		replies = append(replies, r)
	}
	return replies
}

func must[T any](t testing.TB, f func() (T, error)) T {
	t.Helper()
	v, err := f()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func encode(t testing.TB, c jwt.Claims, kp nkeys.KeyPair) string {
	t.Helper()
	s, err := c.Encode(kp)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
