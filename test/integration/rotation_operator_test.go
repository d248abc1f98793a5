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
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/util/retry"
	"path/filepath"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/controllers/operator"
	"github.com/natsauth/nats-auth-operator/natsjwt"
	"github.com/natsauth/nats-auth-operator/resolver"
	"github.com/natsauth/nats-auth-operator/resolver/natssys"
	"github.com/natsauth/nats-auth-operator/test/testbed"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// startRotationCluster starts three servers, the resolver and an account "orders" pushed to
// all of them, with a user "api" whose creds file a client on each server reads, and waits
// until the resolver has seen every server run the current operator JWT.
func startRotationCluster(t *testing.T) (*resolverEnv, []byte, []*reloadingClient, *suite.Resolver) {
	e := newResolverEnv(t, 3, nil)
	e.patience = time.Minute
	res := e.startResolver()
	e.createAccount("orders")
	e.waitFullyPushed("orders")
	creds := e.createUser("api", "orders")
	clients := make([]*reloadingClient, len(e.servers))
	for i, s := range e.servers {
		clients[i] = connectOwnServer(t, s, creds)
	}
	e.waitServersRolled(true)
	return e, creds, clients, res
}

// TestOperatorRotationScheduled rotates the operator signing key of a three-server cluster in
// the documented order, with a client of an account on each server reading its creds from a
// file: the new key is added to the operator JWT and the account stays signed by the old key
// until every server runs that JWT (ServersRolled); then the account is re-signed by the new
// key. With the resolver stopped during the roll (the test records serversClaimsHash itself)
// nothing pushes the re-signed JWTs, and the rotation waits in Rotating and says so; once the
// resolver runs again the phase moves to Retiring only after it recorded that every server
// acknowledged the re-signed JWT of every account (checked on the accounts as they were at
// that very write), and after the grace period the old key
// leaves the operator JWT and the servers are rolled again. The clients keep working with one
// reconnect per restart of their server; afterwards an account JWT signed by the old key is
// refused by every server and one signed by the new key is accepted.
func TestOperatorRotationScheduled(t *testing.T) {
	e, creds, clients, res := startRotationCluster(t)
	oldPub := e.operator().Status.SigningKeys[0]
	oldSeed := suite.GetSecret(t, e.ns, naming.OperatorKeysSecret("main")).Data[naming.OperatorSigningSeed]

	e.setOperatorRotation(&natsv1alpha1.SigningKeyRotation{Generation: 1, GracePeriod: &metav1.Duration{Duration: 3 * time.Second}})
	st := e.waitOperatorKey(func(st *natsv1alpha1.OperatorSigningKeyStatus) bool {
		return st.Phase == natsv1alpha1.SigningKeyRotating && st.PublicKey != ""
	})
	newPub := st.PublicKey
	if got := e.configSigningKeys(); !slices.Equal(got, sorted(oldPub, newPub)) {
		t.Fatalf("server config trusts %v, want both keys", got)
	}
	e.waitServersRolled(false)
	if iss := accountIssuer(t, e.account("orders")); iss != oldPub || e.operatorKey().ServersRolledAt != nil {
		t.Fatalf("before the roll the account is signed by %s, want the old key %s", iss, oldPub)
	}

	res.Stop()
	e.rollServers(clients)
	e.markServersRolled()
	e.waitFor("the rotation waits for the resolver to push the re-signed JWTs", func() bool {
		op := e.operator()
		return op.Status.SigningKey.ServersRolledAt != nil && strings.Contains(readyOperatorMessage(op), "waits for the resolver to push 2 re-signed account JWTs")
	})
	if st, iss := e.operatorKey(), accountIssuer(t, e.account("orders")); st.Phase != natsv1alpha1.SigningKeyRotating || iss != newPub {
		t.Fatalf("re-signed, not pushed: phase %s, orders signed by %s; want Rotating and the new key", st.Phase, iss)
	}
	if got := e.configSigningKeys(); !slices.Equal(got, sorted(oldPub, newPub)) {
		t.Fatalf("server config trusts %v before the re-signed JWTs were pushed, want both keys", got)
	}
	retiring := e.watchOperator()
	e.startResolver()
	e.expectPushedWhenRetiring(retiring, newPub)
	e.waitFor("orders is re-signed by the new key and pushed", func() bool {
		acc := e.account("orders")
		return accountIssuer(t, acc) == newPub && resolverStoredJWT(e.servers[2], acc.Status.PublicKey) == acc.Status.JWT
	})
	e.waitOperatorKey(func(st *natsv1alpha1.OperatorSigningKeyStatus) bool { return st.Phase == natsv1alpha1.SigningKeyActive })
	if got := e.configSigningKeys(); !slices.Equal(got, []string{newPub}) {
		t.Fatalf("server config trusts %v after the grace period, want only the new key", got)
	}
	e.waitServersRolled(false)
	e.rollServers(clients)
	e.waitServersRolled(true)
	e.waitFullyPushed("orders")

	for i, c := range clients {
		e.waitFor("the client on "+e.servers[i].Name()+" works", c.roundTrip)
		n := c.reconnects.Load()
		t.Logf("client on %s: %d reconnect(s) over two restarts of its server", e.servers[i].Name(), n)
		if n > 2 {
			t.Errorf("the client on %s reconnected %d times over two restarts of its server, want at most one each", e.servers[i].Name(), n)
		}
	}
	for _, s := range e.servers {
		if !connects(s, creds) {
			t.Errorf("the user's creds do not connect to %s after the rotation", s.Name())
		}
	}
	e.expectAccountUsable(oldSeed, false)
	e.expectAccountUsable(suite.GetSecret(t, e.ns, naming.OperatorKeysSecret("main")).Data[naming.OperatorSigningSeedAt(1)], true)
	events := e.normalEvents("main")
	for _, r := range []string{operator.EventRotationStarted, operator.EventServersRolled, operator.EventAccountsResigned, operator.EventOldKeyRetired} {
		if !events[r] {
			t.Errorf("no Normal %s event on the operator; have %v", r, events)
		}
	}
}

// TestOperatorRotationEmergency: an emergency rotation drops the old key from the operator JWT
// at once and re-signs every account with the new key before any server was restarted. A
// server not yet restarted stores the pushed JWT but cannot load it (its issuer is not
// trusted there), so it keeps serving the account as loaded and its clients keep working;
// restarted with the new config, every server runs the re-signed account, its clients
// reconnect, and a user of an account signed by the old key is refused everywhere.
func TestOperatorRotationEmergency(t *testing.T) {
	e, creds, clients, _ := startRotationCluster(t)
	oldSeed := suite.GetSecret(t, e.ns, naming.OperatorKeysSecret("main")).Data[naming.OperatorSigningSeed]

	e.setOperatorRotation(&natsv1alpha1.SigningKeyRotation{Generation: 1, Mode: natsv1alpha1.RotationEmergency})
	st := e.waitOperatorKey(func(st *natsv1alpha1.OperatorSigningKeyStatus) bool {
		return st.Generation == 1 && st.Phase == natsv1alpha1.SigningKeyActive && st.PublicKey != ""
	})
	if got := e.configSigningKeys(); !slices.Equal(got, []string{st.PublicKey}) {
		t.Fatalf("server config trusts %v, want only the new key", got)
	}
	e.waitFor("orders is re-signed by the new key", func() bool { return accountIssuer(t, e.account("orders")) == st.PublicKey })
	// Servers still on the old operator JWT store the pushed JWT but cannot load it: they keep
	// serving orders as they loaded it, so its connected clients keep working until the restart.
	e.waitFullyPushed("orders")
	for i, c := range clients {
		if !c.roundTrip() {
			t.Errorf("the client on %s stopped working before its server was restarted", e.servers[i].Name())
		}
	}

	e.rollServers(clients)
	e.waitServersRolled(true)
	e.waitFullyPushed("orders")
	for _, s := range e.servers {
		e.waitFor("the user connects to "+s.Name(), func() bool { return connects(s, creds) })
	}
	e.expectAccountUsable(oldSeed, false)
	e.expectAccountUsable(suite.GetSecret(t, e.ns, naming.OperatorKeysSecret("main")).Data[naming.OperatorSigningSeedAt(1)], true)
	events := e.normalEvents("main")
	if !events[operator.EventRotationStarted] || !events[operator.EventOldKeyRetired] {
		t.Errorf("want Normal RotationStarted and OldKeyRetired on the operator; have %v", events)
	}
}

// markServersRolled records, as the resolver would after asking every server, that the servers
// run the operator's current JWT: the test restarted each of them with it.
func (e *resolverEnv) markServersRolled() {
	e.t.Helper()
	patch, err := json.Marshal(map[string]any{"status": map[string]string{"serversClaimsHash": e.operator().Status.ClaimsHash}})
	if err != nil {
		e.t.Fatal(err)
	}
	_, err = suite.NatsClient(e.t).NatsauthV1alpha1().NatsOperators(e.ns).Patch(e.ctx, "main", types.MergePatchType, patch,
		metav1.PatchOptions{FieldManager: "integration-test"}, "status")
	if err != nil {
		e.t.Fatalf("record serversClaimsHash: %v", err)
	}
}

// readyOperatorMessage is the message of the operator's Ready condition.
func readyOperatorMessage(op *natsv1alpha1.NatsOperator) string {
	if c := meta.FindStatusCondition(op.Status.Conditions, natsv1alpha1.ConditionReady); c != nil {
		return c.Message
	}
	return ""
}

// watchOperator watches NatsOperator main from its current resourceVersion.
func (e *resolverEnv) watchOperator() watch.Interface {
	e.t.Helper()
	ops := suite.NatsClient(e.t).NatsauthV1alpha1().NatsOperators(e.ns)
	w, err := ops.Watch(e.ctx, metav1.ListOptions{FieldSelector: "metadata.name=main", ResourceVersion: e.operator().ResourceVersion})
	if err != nil {
		e.t.Fatalf("watch operator: %v", err)
	}
	e.t.Cleanup(w.Stop)
	return w
}

// expectPushedWhenRetiring waits on w for the write that moved the operator signing key to
// Retiring and checks the accounts as they were at that write's resourceVersion (a list at
// exactly that etcd revision): every account of the operator has a JWT signed by newPub that
// the resolver recorded as acknowledged by every server (pushedIssuer, Pushed=True).
func (e *resolverEnv) expectPushedWhenRetiring(w watch.Interface, newPub string) {
	e.t.Helper()
	timeout := time.After(2 * time.Minute)
	var rv string
	for rv == "" {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				e.t.Fatal("the operator watch ended before the signing key was Retiring")
			}
			op, isOp := ev.Object.(*natsv1alpha1.NatsOperator)
			if isOp && op.Status.SigningKey != nil && op.Status.SigningKey.Phase == natsv1alpha1.SigningKeyRetiring {
				rv = op.ResourceVersion
			}
		case <-timeout:
			e.t.Fatal("the operator signing key did not reach Retiring")
		}
	}
	list, err := suite.NatsClient(e.t).NatsauthV1alpha1().NatsAccounts(e.ns).List(e.ctx,
		metav1.ListOptions{ResourceVersion: rv, ResourceVersionMatch: metav1.ResourceVersionMatchExact})
	if err != nil {
		e.t.Fatalf("list accounts at the Retiring write (resourceVersion %s): %v", rv, err)
	}
	n := 0
	for _, a := range list.Items {
		if a.Spec.OperatorRef.Name != "main" || a.Status.JWT == "" {
			continue
		}
		n++
		pushed := meta.IsStatusConditionTrue(a.Status.Conditions, natsv1alpha1.ConditionPushed)
		if accountIssuer(e.t, &a) != newPub || a.Status.PushedIssuer != newPub || !pushed || a.Status.PushedClaimsHash != a.Status.ClaimsHash {
			e.t.Errorf("when the operator moved to Retiring, account %s: issuer %s, pushedIssuer %q, Pushed=%t; want all of the new key %s, pushed",
				a.Name, accountIssuer(e.t, &a), a.Status.PushedIssuer, pushed, newPub)
		}
	}
	if n < 2 {
		e.t.Errorf("%d accounts at the Retiring write, want orders and the system account", n)
	}
}

// operator reads NatsOperator main.
func (e *resolverEnv) operator() *natsv1alpha1.NatsOperator {
	e.t.Helper()
	op, err := suite.NatsClient(e.t).NatsauthV1alpha1().NatsOperators(e.ns).Get(e.ctx, "main", metav1.GetOptions{})
	if err != nil {
		e.t.Fatalf("get operator: %v", err)
	}
	return op
}

// operatorKey is the operator's signing-key status, empty before a rotation was declared.
func (e *resolverEnv) operatorKey() natsv1alpha1.OperatorSigningKeyStatus {
	e.t.Helper()
	if st := e.operator().Status.SigningKey; st != nil {
		return *st
	}
	return natsv1alpha1.OperatorSigningKeyStatus{}
}

// waitOperatorKey waits until the operator's signing-key status satisfies cond.
func (e *resolverEnv) waitOperatorKey(cond func(*natsv1alpha1.OperatorSigningKeyStatus) bool) natsv1alpha1.OperatorSigningKeyStatus {
	e.t.Helper()
	var st natsv1alpha1.OperatorSigningKeyStatus
	e.waitFor("the operator signing key reaches the wanted phase", func() bool {
		st = e.operatorKey()
		return cond(&st)
	})
	return st
}

// setOperatorRotation sets spec.signingKeyRotation of operator main.
func (e *resolverEnv) setOperatorRotation(rot *natsv1alpha1.SigningKeyRotation) {
	e.t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		op := e.operator()
		op.Spec.SigningKeyRotation = rot
		_, err := suite.NatsClient(e.t).NatsauthV1alpha1().NatsOperators(e.ns).Update(e.ctx, op, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		e.t.Fatalf("update operator: %v", err)
	}
}

// waitServersRolled waits until the resolver's ServersRolled condition is rolled (True) or
// not, for the operator's current JWT.
func (e *resolverEnv) waitServersRolled(rolled bool) {
	e.t.Helper()
	want := metav1.ConditionFalse
	if rolled {
		want = metav1.ConditionTrue
	}
	e.waitFor("ServersRolled is "+string(want), func() bool {
		op := e.operator()
		c := meta.FindStatusCondition(op.Status.Conditions, resolver.ConditionServersRolled)
		return c != nil && c.Status == want && (op.Status.ServersClaimsHash == op.Status.ClaimsHash) == rolled
	})
}

// configSigningKeys are the signing keys of the operator JWT in the server-config Secret, sorted.
func (e *resolverEnv) configSigningKeys() []string {
	e.t.Helper()
	token := suite.GetSecret(e.t, e.ns, naming.ServerConfigSecret("main")).Data[naming.OperatorJWT]
	claims, err := jwt.DecodeOperatorClaims(string(token))
	if err != nil {
		e.t.Fatal(err)
	}
	return sorted(claims.SigningKeys...)
}

// rollServers restarts each server in turn with the current auth.conf of the server-config
// Secret, as a StatefulSet rolls its pods when the checksum annotation changes, waiting for the
// cluster's routes and for the client of that server (if any) to work again before the next.
func (e *resolverEnv) rollServers(clients []*reloadingClient) {
	e.t.Helper()
	auth := string(suite.GetSecret(e.t, e.ns, naming.ServerConfigSecret("main")).Data[naming.AuthConf])
	text := suite.ResolverPerServerJWTDir(e.t, auth)
	for i, s := range e.servers {
		s.RestartWithConfigText(e.t, text)
		ctx, cancel := context.WithTimeout(e.ctx, 30*time.Second)
		err := testbed.WaitForRoutes(ctx, e.servers, len(e.servers)-1)
		cancel()
		if err != nil {
			e.t.Fatal(err)
		}
		if clients != nil {
			e.waitFor("the client on "+s.Name()+" works after its restart", clients[i].roundTrip)
		}
	}
}

// expectAccountUsable signs a new account with the operator signing seed, pushes it to every
// server with the resolver's creds (servers store any decodable account JWT) and reports
// whether a user of that account connects to every server (usable) or to none.
func (e *resolverEnv) expectAccountUsable(seed []byte, usable bool) {
	e.t.Helper()
	signer, err := natsjwt.ParseSeed(seed, natsjwt.KindOperator)
	if err != nil {
		e.t.Fatal(err)
	}
	defer signer.Wipe()
	account, pub := newKeyPair(e.t, nkeys.CreateAccount)
	token, err := jwt.NewAccountClaims(pub).Encode(signer)
	if err != nil {
		e.t.Fatal(err)
	}
	nc, err := nats.Connect(e.servers[0].ClientURL(), nats.UserCredentials(e.credsFile))
	if err != nil {
		e.t.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
	defer cancel()
	if _, err := natssys.New(nc).Update(ctx, token, len(e.servers)); err != nil {
		e.t.Fatalf("push: %v", err)
	}
	user, userPub := newKeyPair(e.t, nkeys.CreateUser)
	userJWT, err := jwt.NewUserClaims(userPub).Encode(account)
	if err != nil {
		e.t.Fatal(err)
	}
	userSeed, _ := user.Seed()
	creds, err := jwt.FormatUserConfig(userJWT, userSeed)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, s := range e.servers {
		if got := connects(s, creds); got != usable {
			e.t.Errorf("a user of an account signed by operator key %s connects to %s: %v, want %v", mustPublic(e.t, signer), s.Name(), got, usable)
		}
	}
}

func newKeyPair(t *testing.T, create func() (nkeys.KeyPair, error)) (nkeys.KeyPair, string) {
	t.Helper()
	kp, err := create()
	if err != nil {
		t.Fatal(err)
	}
	return kp, mustPublic(t, kp)
}

func mustPublic(t *testing.T, kp nkeys.KeyPair) string {
	t.Helper()
	pub, err := kp.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// connectOwnServer connects to s only (no discovered servers), with creds in a file it re-reads
// on every reconnect, so its reconnects count the restarts of s.
func connectOwnServer(t *testing.T, s *testbed.NatsServer, creds []byte) *reloadingClient {
	t.Helper()
	c := &reloadingClient{file: filepath.Join(t.TempDir(), "user.creds")}
	c.write(t, creds)
	nc, err := nats.Connect(s.ClientURL(), nats.UserCredentials(c.file), nats.Timeout(5*time.Second), nats.IgnoreDiscoveredServers(),
		nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond),
		nats.ReconnectHandler(func(*nats.Conn) { c.reconnects.Add(1) }))
	if err != nil {
		t.Fatalf("connect to %s: %v", s.Name(), err)
	}
	t.Cleanup(nc.Close)
	c.nc = nc
	return c
}

// accountIssuer is the issuer of acc's status.jwt.
func accountIssuer(t *testing.T, acc *natsv1alpha1.NatsAccount) string {
	t.Helper()
	claims, err := jwt.DecodeAccountClaims(acc.Status.JWT)
	if err != nil {
		return ""
	}
	return claims.Issuer
}

func sorted(keys ...string) []string {
	out := slices.Clone(keys)
	slices.Sort(out)
	return out
}
