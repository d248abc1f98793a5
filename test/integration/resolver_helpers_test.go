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
	"fmt"
	"k8s.io/klog/v2/ktesting"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/cmd/controller/app"
	resolverapp "github.com/natsauth/nats-auth-operator/cmd/resolver/app"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/test/testbed"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// resolverEnv is an operator whose nats-servers run from its rendered auth.conf, with the
// resolver's creds written to a file.
type resolverEnv struct {
	t         *testing.T
	ctx       context.Context
	ns        string
	op        *natsv1alpha1.NatsOperator
	servers   []*testbed.NatsServer
	credsFile string
	// patience bounds the waits for the controllers and the resolver; 0 means suite.WaitFor's 30s.
	patience time.Duration
	// stopControllers stops the controllers newResolverEnv started (suite.StartControllers).
	stopControllers func()
	// controllerLogs is what those controllers logged.
	controllerLogs ktesting.Buffer
}

// waitFor is suite.WaitFor bounded by e.patience.
func (e *resolverEnv) waitFor(what string, cond func() bool) {
	e.t.Helper()
	if e.patience == 0 {
		suite.WaitFor(e.t, e.ctx, what, cond)
		return
	}
	suite.WaitForWithin(e.t, e.ctx, e.patience, what, cond)
}

// newResolverEnv starts the controllers (their options adjusted by controller), creates operator
// "main" (mutated by mut) and starts a cluster of n nats-servers configured from its
// server-config Secret. The full resolvers' own sync interval is set long, so that only the
// resolver binary repairs servers here.
func newResolverEnv(t *testing.T, n int, mut func(*natsv1alpha1.NatsOperatorSpec), controller ...func(*app.Options)) *resolverEnv {
	t.Helper()
	stop, logs := suite.StartControllersWithLogs(t, controller...)
	e := &resolverEnv{t: t, ctx: suite.Context(t), ns: controlPlane.NewNamespace(t), stopControllers: stop, controllerLogs: logs}
	e.op = suite.CreateOperator(t, e.ns, "main", func(s *natsv1alpha1.NatsOperatorSpec) {
		if mut != nil {
			mut(s)
		}
		if s.Resolver.Type == "" || s.Resolver.Type == natsv1alpha1.ResolverFull {
			s.Resolver.Interval = &metav1.Duration{Duration: time.Hour}
		}
	})
	auth := string(suite.GetSecret(t, e.ns, e.op.Status.ServerConfigSecret).Data[naming.AuthConf])
	e.servers = testbed.StartNatsCluster(t, n, testbed.NatsOptions{ConfigText: suite.ResolverPerServerJWTDir(t, auth)})
	e.credsFile = filepath.Join(t.TempDir(), "resolver.creds")
	creds := suite.GetSecret(t, e.ns, naming.ResolverCredsSecret("main")).Data[naming.UserCreds]
	if err := os.WriteFile(e.credsFile, creds, 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}

// startResolver runs the resolver against the first server.
func (e *resolverEnv) startResolver(mutate ...func(*resolverapp.Options)) *suite.Resolver {
	return suite.StartResolver(e.t, e.ns, "main", e.servers[0].ClientURL(), e.credsFile, mutate...)
}

// createAccount creates a NatsAccount of the operator.
func (e *resolverEnv) createAccount(name string) {
	e.t.Helper()
	acc := &natsv1alpha1.NatsAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: e.ns},
		Spec: natsv1alpha1.NatsAccountSpec{OperatorRef: natsv1alpha1.LocalObjectReference{Name: "main"}}}
	if _, err := suite.NatsClient(e.t).NatsauthV1alpha1().NatsAccounts(e.ns).Create(e.ctx, acc, metav1.CreateOptions{}); err != nil {
		e.t.Fatalf("create account %s: %v", name, err)
	}
}

// createUser creates a NatsUser of account and returns its creds once it is Ready.
func (e *resolverEnv) createUser(name, account string) []byte {
	e.t.Helper()
	u := &natsv1alpha1.NatsUser{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: e.ns},
		Spec: natsv1alpha1.NatsUserSpec{AccountRef: natsv1alpha1.NatsAccountReference{Name: account}}}
	if _, err := suite.NatsClient(e.t).NatsauthV1alpha1().NatsUsers(e.ns).Create(e.ctx, u, metav1.CreateOptions{}); err != nil {
		e.t.Fatalf("create user %s: %v", name, err)
	}
	suite.WaitUserReady(e.t, e.ns, name)
	return suite.GetSecret(e.t, e.ns, name).Data[naming.UserCreds]
}

// account reads a NatsAccount.
func (e *resolverEnv) account(name string) *natsv1alpha1.NatsAccount {
	e.t.Helper()
	acc, err := suite.NatsClient(e.t).NatsauthV1alpha1().NatsAccounts(e.ns).Get(e.ctx, name, metav1.GetOptions{})
	if err != nil {
		e.t.Fatalf("get account %s: %v", name, err)
	}
	return acc
}

// setConnLimit changes an account's spec so that the controller re-signs its JWT, and returns
// the account once its status carries a claimsHash other than before.
func (e *resolverEnv) setConnLimit(name string, conn int64) *natsv1alpha1.NatsAccount {
	e.t.Helper()
	return e.reissue(name, func(acc *natsv1alpha1.NatsAccount) { acc.Spec.Limits = &natsv1alpha1.AccountLimits{Conn: &conn} })
}

// reissue applies change to an account's spec and returns the account once the controller
// re-issued it (a claimsHash other than before, Ready for the new generation).
func (e *resolverEnv) reissue(name string, change func(*natsv1alpha1.NatsAccount)) *natsv1alpha1.NatsAccount {
	e.t.Helper()
	before := e.account(name).Status.ClaimsHash
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		acc := e.account(name)
		change(acc)
		_, err := suite.NatsClient(e.t).NatsauthV1alpha1().NatsAccounts(e.ns).Update(e.ctx, acc, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		e.t.Fatalf("update account %s: %v", name, err)
	}
	var acc *natsv1alpha1.NatsAccount
	e.waitFor("account "+name+" is re-issued", func() bool {
		acc = e.account(name)
		return acc.Status.ClaimsHash != before && suite.IsReady(acc.Status.Conditions, acc.Generation)
	})
	return acc
}

// waitPushed waits until account's Pushed condition has status and reason, and returns it.
func (e *resolverEnv) waitPushed(name string, status metav1.ConditionStatus, reason string, cond func(*natsv1alpha1.NatsAccount) bool) *natsv1alpha1.NatsAccount {
	e.t.Helper()
	var acc *natsv1alpha1.NatsAccount
	e.waitFor(fmt.Sprintf("account %s is Pushed=%s (%s)", name, status, reason), func() bool {
		acc = e.account(name)
		c := meta.FindStatusCondition(acc.Status.Conditions, natsv1alpha1.ConditionPushed)
		return c != nil && c.Status == status && c.Reason == reason && (cond == nil || cond(acc))
	})
	return acc
}

// waitFullyPushed waits until every server acknowledged the account's current JWT.
func (e *resolverEnv) waitFullyPushed(name string) *natsv1alpha1.NatsAccount {
	e.t.Helper()
	return e.waitPushed(name, metav1.ConditionTrue, "Pushed", func(a *natsv1alpha1.NatsAccount) bool {
		return a.Status.ClaimsHash != "" && a.Status.PushedClaimsHash == a.Status.ClaimsHash
	})
}

// resolverPushedMessage returns the Pushed condition's message.
func resolverPushedMessage(acc *natsv1alpha1.NatsAccount) string {
	if c := meta.FindStatusCondition(acc.Status.Conditions, natsv1alpha1.ConditionPushed); c != nil {
		return c.Message
	}
	return ""
}

// resolverStoredJWT returns the JWT a full server keeps for account, or "" when it has none.
func resolverStoredJWT(s *testbed.NatsServer, account string) string {
	b, err := os.ReadFile(filepath.Join(s.JWTDir(), account+".jwt"))
	if err != nil {
		return ""
	}
	return string(b)
}

// waitStored waits until every given server stores exactly token for account.
func (e *resolverEnv) waitStored(account, token string, servers ...*testbed.NatsServer) {
	e.t.Helper()
	for _, s := range servers {
		e.waitFor("nats-server "+s.Name()+" stores the current JWT of "+account, func() bool {
			return resolverStoredJWT(s, account) == token
		})
	}
}

// resolverConnectUser connects with creds to s; closed is closed when the server drops the client.
func resolverConnectUser(t *testing.T, s *testbed.NatsServer, creds []byte) (nc *nats.Conn, closed <-chan struct{}) {
	t.Helper()
	ch := make(chan struct{})
	nc, err := testbed.ConnectCreds(s.ClientURL(), creds, nats.ClosedHandler(func(*nats.Conn) { close(ch) }))
	if err != nil {
		t.Fatalf("user connect to %s: %v", s.Name(), err)
	}
	t.Cleanup(nc.Close)
	return nc, ch
}
