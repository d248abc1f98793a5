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
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats.go"

	"github.com/natsauth/nats-auth-operator/natsjwt"
	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// world is an operator, its system account and a system user, made by
// natsjwt the way test/e2e/natsjwt_proof_test.go makes them. Seeds are kept
// rather than key pairs so the tests need no nkeys import.
type world struct {
	operatorJWT   string
	opSigningSeed []byte
	sysPub        string
	sysJWT        string
	sysSigning    []byte // system account signing key seed
}

// must keeps the setup readable; a failure panics, which fails the test.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// newKey returns a fresh key's public key and seed.
func newKey(kind natsjwt.KeyKind) (string, []byte) {
	kp := must(natsjwt.NewKey(kind))
	return must(kp.PublicKey()), must(kp.Seed())
}

// signWith signs claims with the key of the given seed and kind.
func signWith(c jwt.Claims, seed []byte, kind natsjwt.KeyKind) string {
	token, _, err := natsjwt.Sign(c, must(natsjwt.ParseSeed(seed, kind)))
	return must(token, err)
}

func newWorld(t testing.TB) *world {
	t.Helper()
	w := &world{}
	opPub, opSeed := newKey(natsjwt.KindOperator)
	opSigningPub, opSigningSeed := newKey(natsjwt.KindOperator)
	w.opSigningSeed = opSigningSeed
	w.sysPub, _ = newKey(natsjwt.KindAccount)
	sysSigningPub, sysSigning := newKey(natsjwt.KindAccount)
	w.sysSigning = sysSigning
	op := must(natsjwt.OperatorClaims(opPub, natsjwt.OperatorSpec{Name: "natssys-test",
		SigningKeys: []string{opSigningPub}, SystemAccount: w.sysPub, StrictSigningKeyUsage: true}))
	w.operatorJWT = signWith(op, opSeed, natsjwt.KindOperator)
	w.sysJWT = w.accountJWT(w.sysPub, natsjwt.AccountSpec{Name: "SYS", SigningKeys: []string{sysSigningPub}})
	return w
}

// accountJWT signs an account with the operator signing key.
func (w *world) accountJWT(pub string, spec natsjwt.AccountSpec) string {
	return signWith(must(natsjwt.AccountClaims(pub, spec)), w.opSigningSeed, natsjwt.KindOperator)
}

// testAccount is an application account with a signing key for its users.
type testAccount struct {
	pub, jwt string
	signing  []byte
}

// newAccount makes an application account signed by the operator signing key.
func (w *world) newAccount(name string) testAccount {
	pub, _ := newKey(natsjwt.KindAccount)
	signingPub, signing := newKey(natsjwt.KindAccount)
	return testAccount{pub: pub, signing: signing,
		jwt: w.accountJWT(pub, natsjwt.AccountSpec{Name: name, SigningKeys: []string{signingPub}})}
}

// userCreds returns a creds file for a new user of the account, signed by
// the account signing key seed.
func userCreds(accountPub string, signing []byte, name string) []byte {
	pub, seed := newKey(natsjwt.KindUser)
	c := must(natsjwt.UserClaims(pub, natsjwt.UserSpec{Name: name, IssuerAccount: accountPub}))
	return must(natsjwt.FormatCreds(signWith(c, signing, natsjwt.KindAccount), seed))
}

// deleteRequest returns a delete request for accounts signed by the
// operator signing key, as strict operators require.
func (w *world) deleteRequest(accounts ...string) string {
	return must(natsjwt.DeleteRequest(must(natsjwt.ParseSeed(w.opSigningSeed, natsjwt.KindOperator)), accounts))
}

// options returns server options for this world; the system account is
// preloaded so no server runs a bootstrapping one.
func (w *world) options(resolver testbed.ResolverType) testbed.NatsOptions {
	return testbed.NatsOptions{OperatorJWT: w.operatorJWT, SystemAccountPub: w.sysPub,
		SystemAccountJWT: w.sysJWT, ResolverType: resolver}
}

// connectSys connects a fresh system user to url and closes it at cleanup.
func (w *world) connectSys(t testing.TB, url string) *nats.Conn {
	t.Helper()
	nc, err := testbed.ConnectCreds(url, userCreds(w.sysPub, w.sysSigning, "natssys-test"))
	if err != nil {
		t.Fatalf("system user connect to %s: %v", url, err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// newTestClient is New with wider gaps for open-ended collections (Servers,
// or a count of 0): the tests assert how many servers answer, and on a loaded
// machine a reply can lag the defaults, which suit a resolver that pings again.
func newTestClient(nc *nats.Conn) *Client {
	c := New(nc)
	c.MinWait, c.QuietGap = 2*time.Second, time.Second
	return c
}

// timeout returns a context bounded by d, cancelled at cleanup.
func timeout(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
