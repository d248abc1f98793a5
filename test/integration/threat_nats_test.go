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

package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/test/testbed"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// newJetStreamResolverEnv is newResolverEnv with one nats-server that also runs JetStream, as
// production servers do. Such a server refuses to start when the system account carries
// JetStream limits, so its start already shows the system account has none.
func newJetStreamResolverEnv(t *testing.T) *resolverEnv {
	t.Helper()
	suite.StartControllers(t)
	e := &resolverEnv{t: t, ctx: suite.Context(t), ns: controlPlane.NewNamespace(t)}
	e.op = suite.CreateOperator(t, e.ns, "main", nil)
	auth := string(suite.GetSecret(t, e.ns, e.op.Status.ServerConfigSecret).Data[naming.AuthConf])
	e.servers = []*testbed.NatsServer{testbed.StartNatsServer(t, testbed.NatsOptions{
		ConfigText:  suite.ResolverPerServerJWTDir(t, auth),
		ExtraConfig: fmt.Sprintf("jetstream {\n  store_dir: %q\n}\n", t.TempDir()),
	})}
	e.credsFile = filepath.Join(t.TempDir(), "resolver.creds")
	if err := os.WriteFile(e.credsFile, suite.GetSecret(t, e.ns, naming.ResolverCredsSecret("main")).Data[naming.UserCreds], 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}

// violations collects a connection's permission violations.
type violations chan error

func (v violations) handler() nats.Option {
	return nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		select {
		case v <- err:
		default:
		}
	})
}

// expect waits for the server's permission violation naming subject.
func (v violations) expect(t *testing.T, what, subject string) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case err := <-v:
			msg := strings.ToLower(err.Error())
			if strings.Contains(msg, "permissions violation") && strings.Contains(msg, strings.ToLower(`"`+subject+`"`)) {
				return
			}
		case <-deadline:
			t.Errorf("%s %s: no permissions violation within 5s", what, subject)
			return
		}
	}
}

// TestThreatResolverNATSUser proves on a real nats-server (JetStream enabled) that the
// resolver's NATS user, the only user of the system account, can do its job and nothing more:
// ping the servers, list, push and delete account JWTs, answer lookups, and read the servers'
// monitoring replies ($SYS.REQ.SERVER.PING.*, granted by the spec; see SECURITY.md). It cannot
// publish or subscribe on application subjects, kick clients, reload servers, read account
// connection details, snoop on events or other pushes, forge events, or use JetStream.
func TestThreatResolverNATSUser(t *testing.T) {
	e := newJetStreamResolverEnv(t)
	e.startResolver()
	e.createAccount("orders")
	orders := e.waitFullyPushed("orders")
	app, _ := resolverConnectUser(t, e.servers[0], e.createUser("app", "orders"))
	appSub, err := app.SubscribeSync(">")
	if err != nil {
		t.Fatal(err)
	}
	_ = app.Flush()

	v := make(violations, 64)
	sys, err := testbed.ConnectCreds(e.servers[0].ClientURL(), suite.GetSecret(t, e.ns, naming.ResolverCredsSecret("main")).Data[naming.UserCreds], v.handler())
	if err != nil {
		t.Fatalf("the resolver's creds do not connect: %v", err)
	}
	t.Cleanup(sys.Close)

	// Its job.
	ping, err := sys.Request("$SYS.REQ.SERVER.PING", nil, 5*time.Second)
	if err != nil {
		t.Fatalf("ping: %v", err)
	}
	var info struct {
		Server struct{ ID string } `json:"server"`
	}
	if err := json.Unmarshal(ping.Data, &info); err != nil || info.Server.ID == "" {
		t.Fatalf("ping reply %s: %v", ping.Data, err)
	}
	for _, subject := range []string{"$SYS.REQ.CLAIMS.LIST", "$SYS.REQ.SERVER.PING.CONNZ"} {
		if _, err := sys.Request(subject, nil, 5*time.Second); err != nil {
			t.Errorf("request %s: %v", subject, err)
		}
	}
	lookups, err := sys.SubscribeSync("$SYS.REQ.ACCOUNT.*.CLAIMS.LOOKUP")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = lookups.Unsubscribe() }()

	// Beyond its job.
	id := info.Server.ID
	for _, subject := range []string{
		"orders.created", "_INBOX.forged",
		"$SYS.REQ.SERVER." + id + ".KICK", "$SYS.REQ.SERVER." + id + ".RELOAD", "$SYS.REQ.SERVER." + id + ".LDM",
		"$SYS.REQ.ACCOUNT." + orders.Status.PublicKey + ".CONNZ", "$SYS.REQ.ACCOUNT.PING.CONNZ", "$SYS.REQ.USER.INFO",
		"$SYS.ACCOUNT." + orders.Status.PublicKey + ".CONNECT", "$JS.API.INFO", "$JS.API.STREAM.CREATE.x",
	} {
		_ = sys.Publish(subject, []byte("{}"))
		_ = sys.Flush()
		v.expect(t, "publish", subject)
	}
	for _, subject := range []string{">", "orders.>", "$SYS.ACCOUNT.>", "$SYS.SERVER.>", "$SYS.REQ.CLAIMS.UPDATE",
		"$SYS.REQ.SERVER.PING", "$JS.API.>"} {
		sub, err := sys.SubscribeSync(subject)
		_ = sys.Flush()
		v.expect(t, "subscribe", subject)
		if err == nil {
			_ = sub.Unsubscribe()
		}
	}
	if msg, err := appSub.NextMsg(500 * time.Millisecond); err == nil {
		t.Errorf("an application received %s from the system account", msg.Subject)
	}
	expectOwnMessage(t, app, appSub, "orders.control")
	if sys.IsClosed() {
		t.Error("the server closed the resolver's connection")
	}
}

// TestThreatCredsHolder proves what the holder of one user's creds can do on a real server: act
// as that user, in that account only. A publish does not reach another account's subscribers,
// and once the NatsUser is edited (re-issued), the copied old creds are disconnected and
// refused while the new ones work. (Deletion: TestResolverDeletedUserIsDisconnectedEverywhere;
// permissions and limits inside the account: TestWalkthrough.)
func TestThreatCredsHolder(t *testing.T) {
	e := newResolverEnv(t, 1, nil)
	e.startResolver()
	e.createAccount("orders")
	e.createAccount("billing")
	e.waitFullyPushed("orders")
	e.waitFullyPushed("billing")
	stolen := e.createUser("api", "orders")
	other, _ := resolverConnectUser(t, e.servers[0], e.createUser("ledger", "billing"))
	otherSub, err := other.SubscribeSync(">")
	if err != nil {
		t.Fatal(err)
	}
	_ = other.Flush()

	nc, closed := resolverConnectUser(t, e.servers[0], stolen)
	for _, subject := range []string{"billing.invoices", "ledger.x", "$SYS.REQ.SERVER.PING"} {
		if err := nc.Publish(subject, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	_ = nc.Flush()
	if msg, err := otherSub.NextMsg(500 * time.Millisecond); err == nil {
		t.Errorf("a publish with orders creds reached the billing account on %s", msg.Subject)
	}
	expectOwnMessage(t, other, otherSub, "billing.control")
	if reply, err := nc.Request("$SYS.REQ.SERVER.PING", nil, 500*time.Millisecond); err == nil {
		t.Errorf("orders creds reached the system account: %s", reply.Data)
	}

	before := e.account("orders").Status.ClaimsHash
	patch := []byte(`{"spec":{"tags":["reissued"]}}`)
	if _, err := suite.NatsClient(t).NatsauthV1alpha1().NatsUsers(e.ns).Patch(e.ctx, "api", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	suite.WaitFor(t, e.ctx, "the account revokes the old JWT", func() bool { return e.account("orders").Status.ClaimsHash != before })
	select {
	case <-closed:
	case <-time.After(15 * time.Second):
		t.Fatal("the client with the old creds is still connected 15s after the re-issue")
	}
	if c, err := testbed.ConnectCreds(e.servers[0].ClientURL(), stolen); err == nil {
		c.Close()
		t.Error("the old creds connect after the re-issue")
	}
	suite.WaitUserReady(t, e.ns, "api")
	fresh := suite.GetSecret(t, e.ns, "api").Data[naming.UserCreds]
	if c, err := testbed.ConnectCreds(e.servers[0].ClientURL(), fresh); err != nil {
		t.Errorf("the re-issued creds do not connect: %v", err)
	} else {
		c.Close()
	}
}

// expectOwnMessage is the control of a "nothing arrived" check: the subscription does receive
// what its own account publishes on subject.
func expectOwnMessage(t *testing.T, nc *nats.Conn, sub *nats.Subscription, subject string) {
	t.Helper()
	if err := nc.Publish(subject, []byte("control")); err != nil {
		t.Fatal(err)
	}
	msg, err := sub.NextMsg(5 * time.Second)
	if err != nil || msg.Subject != subject {
		t.Fatalf("control: the subscription did not receive its own account's %s: %v", subject, err)
	}
}
