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
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestResolverPushesToEveryServer proves the resolver alone makes a new account usable on every
// server of a three-server cluster: the servers store the JWT the controller issued (no lookup
// or manual push involved), the Pushed condition says 3 of 3, the controller's Ready condition
// survives next to it, a converged account is left alone, and /metrics serves the resolver's
// metrics and none of the controller's.
func TestResolverPushesToEveryServer(t *testing.T) {
	e := newResolverEnv(t, 3, nil)
	r := e.startResolver()
	e.createAccount("orders")
	acc := e.waitFullyPushed("orders")
	if msg := resolverPushedMessage(acc); msg != "acknowledged by 3 of 3 servers" {
		t.Errorf("Pushed message %q", msg)
	}
	if !suite.IsReady(acc.Status.Conditions, acc.Generation) {
		t.Errorf("the controller's Ready condition was lost: %+v", acc.Status.Conditions)
	}
	// Before any user connects, so lookups cannot have filled the stores.
	e.waitStored(acc.Status.PublicKey, acc.Status.JWT, e.servers...)
	sys := e.waitFullyPushed(naming.SystemAccount("main"))
	e.waitStored(sys.Status.PublicKey, sys.Status.JWT, e.servers...)

	creds := e.createUser("api", "orders")
	for _, s := range e.servers {
		nc, _ := resolverConnectUser(t, s, creds)
		if err := nc.Flush(); err != nil {
			t.Errorf("flush on %s: %v", s.Name(), err)
		}
		nc.Close()
	}

	t.Run("the resolver owns only its fields", func(t *testing.T) {
		checkResolverManagedFields(t, e.account("orders"))
	})
	t.Run("only the resolver's metrics", func(t *testing.T) {
		code, body := suite.HTTPGet(r.MetricsURL)
		// No workqueue_* here: client-go takes one provider per process, and in this test the
		// controller, started first in the same process, registered it.
		if code != 200 || !strings.Contains(body, "natsauth_resolver_pushes_total") || !strings.Contains(body, `natsauth_syncs_total{controller="resolver"`) {
			t.Fatalf("/metrics answered %d without the resolver or sync metrics", code)
		}
		// The controller's signing metrics would always be 0 here.
		for _, unwanted := range []string{"natsauth_jwts_issued_total", "natsauth_revocations_total"} {
			if strings.Contains(body, unwanted) {
				t.Errorf("the resolver's /metrics serves %s", unwanted)
			}
		}
	})
	t.Run("a converged account is not written again", func(t *testing.T) {
		// The drift check runs every second; three of them must not touch the account.
		rv := e.account("orders").ResourceVersion
		consistently(t, e.ctx, "the account's resourceVersion", 3500*time.Millisecond, func() bool {
			return e.account("orders").ResourceVersion == rv
		})
	})
}

// checkResolverManagedFields expects the resolver's field manager to own the Pushed condition,
// pushedClaimsHash and pushedIssuer through an apply on the status subresource, and nothing else.
func checkResolverManagedFields(t *testing.T, acc *natsv1alpha1.NatsAccount) {
	t.Helper()
	var found bool
	for _, mf := range acc.ManagedFields {
		if mf.Manager != "nats-auth-resolver" {
			continue
		}
		found = true
		fields := string(mf.FieldsV1.Raw)
		if mf.Operation != metav1.ManagedFieldsOperationApply || mf.Subresource != "status" {
			t.Errorf("resolver fields written by %s on %q", mf.Operation, mf.Subresource)
		}
		for _, want := range []string{`"f:pushedClaimsHash"`, `"f:pushedIssuer"`, `"k:{\"type\":\"Pushed\"}"`} {
			if !strings.Contains(fields, want) {
				t.Errorf("resolver does not own %s: %s", want, fields)
			}
		}
		for _, unwanted := range []string{`"k:{\"type\":\"Ready\"}"`, `"f:jwt"`, `"f:claimsHash"`, `"f:spec"`} {
			if strings.Contains(fields, unwanted) {
				t.Errorf("resolver owns %s: %s", unwanted, fields)
			}
		}
	}
	if !found {
		t.Errorf("no managed fields of nats-auth-resolver: %+v", acc.ManagedFields)
	}
}

// TestResolverReportsAndRepairsAStoppedServer stops one of three servers: a changed account is
// then reported as pushed to 2 of 3 servers, naming the stopped one. The server comes back with
// an empty JWT directory; drift repair gives it both the changed account and one that never
// changed (nothing but the drift check pushes that one), and users connect to it again.
func TestResolverReportsAndRepairsAStoppedServer(t *testing.T) {
	e := newResolverEnv(t, 3, nil)
	r := e.startResolver()
	e.createAccount("orders")
	e.createAccount("billing")
	e.waitFullyPushed("orders")
	billing := e.waitFullyPushed("billing")
	creds := e.createUser("api", "orders")

	stopped := e.servers[2]
	stopped.Stop()
	before := e.account("orders").Status.ClaimsHash
	changed := e.setConnLimit("orders", 10)
	partial := e.waitPushed("orders", metav1.ConditionFalse, "PartiallyPushed", nil)
	if msg, want := resolverPushedMessage(partial), "2 of 3 servers; missing: "+stopped.Name(); msg != want {
		t.Errorf("Pushed message %q, want %q", msg, want)
	}
	if partial.Status.PushedClaimsHash != before {
		t.Errorf("pushedClaimsHash moved to %q on a partial push, want the old %q", partial.Status.PushedClaimsHash, before)
	}
	e.waitStored(changed.Status.PublicKey, changed.Status.JWT, e.servers[:2]...)

	if err := stopped.WipeJWTDir(); err != nil {
		t.Fatal(err)
	}
	stopped.Restart(t)
	began := time.Now()
	e.waitStored(billing.Status.PublicKey, billing.Status.JWT, stopped)
	e.waitStored(changed.Status.PublicKey, changed.Status.JWT, stopped)
	t.Logf("the restarted server had both accounts again %s after its restart", time.Since(began).Round(time.Millisecond))
	if msg := resolverPushedMessage(e.waitFullyPushed("orders")); msg != "acknowledged by 3 of 3 servers" {
		t.Errorf("Pushed message after the repair %q", msg)
	}
	suite.WaitFor(t, e.ctx, "drift repairs are counted", func() bool {
		return r.Metric("natsauth_resolver_drift_repairs_total") > 0
	})
	nc, _ := resolverConnectUser(t, stopped, creds)
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if c := meta.FindStatusCondition(e.account("billing").Status.Conditions, natsv1alpha1.ConditionPushed); c == nil || c.Status != metav1.ConditionTrue {
		t.Errorf("billing Pushed %+v", c)
	}
}
