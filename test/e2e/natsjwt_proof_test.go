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
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/natsauth/nats-auth-operator/natsjwt"
	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// world is an operator, its system account and one application account, all made by natsjwt.
type world struct {
	opSigning      nkeys.KeyPair
	operatorJWT    string
	sysPub, sysJWT string
	sysSigning     nkeys.KeyPair
	appPub         string
	appSigning     nkeys.KeyPair
	appSpec        natsjwt.AccountSpec
}

// must keeps the setup readable; a failure panics, which fails the test with the error.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func newWorld(t *testing.T) *world {
	w := &world{}
	opID := must(natsjwt.NewKey(natsjwt.KindOperator))
	w.opSigning = must(natsjwt.NewKey(natsjwt.KindOperator))
	sysID := must(natsjwt.NewKey(natsjwt.KindAccount))
	w.sysSigning = must(natsjwt.NewKey(natsjwt.KindAccount))
	appID := must(natsjwt.NewKey(natsjwt.KindAccount))
	w.appSigning = must(natsjwt.NewKey(natsjwt.KindAccount))
	w.sysPub = must(sysID.PublicKey())
	w.appPub = must(appID.PublicKey())

	opPub := must(opID.PublicKey())
	opClaims := must(natsjwt.OperatorClaims(opPub, natsjwt.OperatorSpec{Name: "proof",
		SigningKeys: []string{must(w.opSigning.PublicKey())}, SystemAccount: w.sysPub, StrictSigningKeyUsage: true}))
	w.operatorJWT, _ = must2(natsjwt.Sign(opClaims, opID))
	w.sysJWT = w.signAccount(t, w.sysPub, natsjwt.AccountSpec{Name: "SYS", SigningKeys: []string{must(w.sysSigning.PublicKey())}})
	w.appSpec = natsjwt.AccountSpec{Name: "APP", SigningKeys: []string{must(w.appSigning.PublicKey())}}
	return w
}

func must2(s string, n int64, err error) (string, int64) {
	if err != nil {
		panic(err)
	}
	return s, n
}

func (w *world) signAccount(t *testing.T, pub string, spec natsjwt.AccountSpec) string {
	t.Helper()
	c := must(natsjwt.AccountClaims(pub, spec))
	token, _ := must2(natsjwt.Sign(c, w.opSigning))
	return token
}

// creds issues a user of account (identity pub) signed by its signing key and returns the
// standard creds file, the user's public key and the JWT's iat.
func creds(t *testing.T, accountPub string, signer nkeys.KeyPair, spec natsjwt.UserSpec) ([]byte, string, int64) {
	t.Helper()
	user := must(natsjwt.NewKey(natsjwt.KindUser))
	pub := must(user.PublicKey())
	spec.IssuerAccount = accountPub
	c := must(natsjwt.UserClaims(pub, spec))
	token, iat := must2(natsjwt.Sign(c, signer))
	seed := must(user.Seed())
	return must(natsjwt.FormatCreds(token, seed)), pub, iat
}

func connectCreds(t *testing.T, url string, credsFile []byte, opts ...nats.Option) (*nats.Conn, error) {
	t.Helper()
	token, kp, err := natsjwt.ParseCreds(credsFile)
	if err != nil {
		t.Fatal(err)
	}
	opts = append(opts, nats.UserJWT(func() (string, error) { return token, nil },
		func(nonce []byte) ([]byte, error) { return kp.Sign(nonce) }),
		nats.Timeout(5*time.Second), nats.NoReconnect())
	return nats.Connect(url, opts...)
}

// push sends an account JWT to $SYS.REQ.CLAIMS.UPDATE and returns the server's reply code.
func push(t *testing.T, sys *nats.Conn, accountJWT string) int {
	t.Helper()
	msg, err := sys.Request("$SYS.REQ.CLAIMS.UPDATE", []byte(accountJWT), 5*time.Second)
	if err != nil {
		t.Fatalf("push: %v", err)
	}
	var reply struct {
		Data  *struct{ Code int } `json:"data"`
		Error *struct {
			Code        int
			Description string
		} `json:"error"`
	}
	if err := json.Unmarshal(msg.Data, &reply); err != nil {
		t.Fatalf("push reply %q: %v", msg.Data, err)
	}
	if reply.Error != nil {
		t.Fatalf("push refused: %d %s", reply.Error.Code, reply.Error.Description)
	}
	return reply.Data.Code
}

// TestNatsjwtOutputWorksOnARealServer proves that what natsjwt makes is what nats-server wants: an
// operator-mode server with the full resolver accepts the operator and system account, takes an
// account pushed by a system user, lets a user in with generated creds, enforces its permissions
// and disconnects it once the pushed account JWT revokes it.
func TestNatsjwtOutputWorksOnARealServer(t *testing.T) {
	w := newWorld(t)
	srv := testbed.StartNatsServer(t, testbed.NatsOptions{OperatorJWT: w.operatorJWT, SystemAccountPub: w.sysPub,
		SystemAccountJWT: w.sysJWT, AllowDelete: true})

	sysCreds, _, _ := creds(t, w.sysPub, w.sysSigning, natsjwt.UserSpec{Name: "pusher"})
	sys, err := connectCreds(t, srv.ClientURL(), sysCreds)
	if err != nil {
		t.Fatalf("system user connect: %v", err)
	}
	defer sys.Close()

	appJWT := w.signAccount(t, w.appPub, w.appSpec)
	if code := push(t, sys, appJWT); code != 200 {
		t.Fatalf("push code %d", code)
	}

	userCreds, userPub, iat := creds(t, w.appPub, w.appSigning, natsjwt.UserSpec{Name: "app",
		UserPermissionLimits: natsjwt.UserPermissionLimits{Permissions: natsjwt.Permissions{
			PubAllow: []string{"orders.>"}, SubAllow: []string{"orders.>", "_INBOX.>"}}}})
	errs := make(chan error, 10)
	closed := make(chan struct{})
	nc, err := connectCreds(t, srv.ClientURL(), userCreds,
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { errs <- err }),
		nats.ClosedHandler(func(*nats.Conn) { close(closed) }))
	if err != nil {
		t.Fatalf("user connect: %v", err)
	}
	defer nc.Close()

	sub, err := nc.SubscribeSync("orders.>")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Publish("orders.new", []byte("allowed")); err != nil {
		t.Fatal(err)
	}
	if m, err := sub.NextMsg(5 * time.Second); err != nil || string(m.Data) != "allowed" {
		t.Fatalf("allowed publish not delivered: %v", err)
	}
	if err := nc.Publish("payments.new", []byte("denied")); err != nil {
		t.Fatal(err)
	}
	_ = nc.Flush()
	select {
	case err := <-errs:
		if !errors.Is(err, nats.ErrPermissionViolation) {
			t.Fatalf("denied publish: got %v, want a permissions violation", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("denied publish raised no permissions violation")
	}

	// Revoke the user and push: the server closes the connection.
	w.appSpec.Revocations = natsjwt.RevokeUpTo(nil, userPub, iat)
	if code := push(t, sys, w.signAccount(t, w.appPub, w.appSpec)); code != 200 {
		t.Fatalf("push code %d", code)
	}
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("revoked user is still connected")
	}
	if _, err := connectCreds(t, srv.ClientURL(), userCreds); err == nil {
		t.Fatal("revoked creds connected again")
	}

	// The delete request made by natsjwt removes the account from the server.
	del := must(natsjwt.DeleteRequest(w.opSigning, []string{w.appPub}))
	msg, err := sys.Request("$SYS.REQ.CLAIMS.DELETE", []byte(del), 5*time.Second)
	if err != nil {
		t.Fatalf("delete: %v", err)
	}
	var dr struct {
		Data *struct{ Code int } `json:"data"`
	}
	if err := json.Unmarshal(msg.Data, &dr); err != nil || dr.Data == nil || dr.Data.Code != 200 {
		t.Fatalf("delete reply %s", msg.Data)
	}
	lookup, err := sys.Request("$SYS.REQ.ACCOUNT."+w.appPub+".CLAIMS.LOOKUP", nil, 5*time.Second)
	if err == nil && len(lookup.Data) > 0 {
		if _, err := jwt.DecodeAccountClaims(string(lookup.Data)); err == nil {
			t.Fatal("deleted account is still served by the server")
		}
	}
}
