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
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/cmd/controller/app"
	"github.com/natsauth/nats-auth-operator/resolver"
	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// TestResolverAccountJWTOverMaxPayload: on three servers with max_payload 4 KiB and the
// controller's MaxJWTSize set to match, an account JWT that grows (here through
// spec.description; revocations or exports grow it the same way) first turns JWTSizeNearLimit
// True while the servers still take it. Once it is larger than max_payload, nats.go refuses to
// publish it ("nats: maximum payload exceeded", so no server sees it): Pushed=False with reason
// JWTTooLarge names the size and the limit, a Warning event and pushes_total{result="failed"}
// record it, the resolver stays Ready,
// every server keeps the previous JWT, and the account's clients keep working (a connected one
// and a new connection); when it shrinks again the next push succeeds everywhere.
func TestResolverAccountJWTOverMaxPayload(t *testing.T) {
	const limit = 4096
	e := newCustomResolverEnv(t, func(opts testbed.NatsOptions) []*testbed.NatsServer {
		opts.ExtraConfig = fmt.Sprintf("max_payload: %d", limit)
		return testbed.StartNatsCluster(t, 3, opts)
	}, func(o *app.Options) { o.AccountMaxJWTSize = limit })
	r := e.startResolver()
	e.createAccount("orders")
	creds := e.createUser("api", "orders")
	base := e.waitFullyPushed("orders")
	pub := base.Status.PublicKey
	nc, closed := resolverConnectUser(t, e.servers[1], creds)
	if _, err := nc.Subscribe("orders.ping", func(m *nats.Msg) { _ = m.Respond([]byte("pong")) }); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}

	// Each description byte adds 4/3 bytes of base64 to the JWT.
	near := e.setDescription("orders", strings.Repeat("n", (3500-len(base.Status.JWT))*3/4))
	if size := len(near.Status.JWT); size < limit/4*3 || size >= limit {
		t.Fatalf("near JWT is %d bytes, want [%d, %d)", size, limit/4*3, limit)
	}
	if !meta.IsStatusConditionTrue(near.Status.Conditions, natsv1alpha1.ConditionJWTSizeNearLimit) {
		t.Fatalf("%d-byte JWT: conditions %+v, want JWTSizeNearLimit True", len(near.Status.JWT), near.Status.Conditions)
	}
	e.waitFullyPushed("orders")
	e.waitFor("every server stores the near-limit JWT", func() bool {
		return lookupEverywhere(t, e, pub) == strings.Repeat(near.Status.JWT, len(e.servers))
	})

	failed := r.Metric("natsauth_resolver_pushes_total", `result="failed"`)
	over := e.setDescription("orders", strings.Repeat("o", (limit+500-len(base.Status.JWT))*3/4))
	if len(over.Status.JWT) <= limit {
		t.Fatalf("over JWT is %d bytes, want more than %d", len(over.Status.JWT), limit)
	}
	got := e.waitPushed("orders", metav1.ConditionFalse, resolver.ReasonJWTTooLarge, func(a *natsv1alpha1.NatsAccount) bool {
		return a.Status.ClaimsHash == over.Status.ClaimsHash
	})
	msg := resolverPushedMessage(got)
	want := fmt.Sprintf("the account JWT is %d bytes, larger than the servers' max_payload of %d bytes, so it was not sent", len(over.Status.JWT), limit)
	if !strings.Contains(msg, want) {
		t.Errorf("Pushed message %q, want it to contain %q", msg, want)
	}
	e.waitFor("a Warning event says why", func() bool {
		return warningEvents(t, e.ctx, e.ns, "orders", resolver.ReasonJWTTooLarge) >= 1
	})
	if got.Status.PushedClaimsHash == got.Status.ClaimsHash {
		t.Errorf("pushedClaimsHash moved to the JWT no server took")
	}
	e.waitFor("the failed push is counted", func() bool { return r.Metric("natsauth_resolver_pushes_total", `result="failed"`) > failed })
	if got := lookupEverywhere(t, e, pub); got != strings.Repeat(near.Status.JWT, len(e.servers)) {
		t.Errorf("the servers no longer all store the previous JWT")
	}
	if !r.Ready() {
		t.Errorf("the resolver is not Ready after a failed push")
	}
	if _, err := nc.Request("orders.ping", nil, 5*time.Second); err != nil {
		t.Errorf("connected client: %v", err)
	}
	select {
	case <-closed:
		t.Errorf("the connected client was dropped")
	default:
	}
	fresh, err := testbed.ConnectCreds(e.servers[2].ClientURL(), creds)
	if err != nil {
		t.Errorf("new connection of the account's user: %v", err)
	} else {
		fresh.Close()
	}

	shrunk := e.setDescription("orders", "")
	e.waitPushed("orders", metav1.ConditionTrue, resolver.ReasonPushed, func(a *natsv1alpha1.NatsAccount) bool {
		return a.Status.ClaimsHash == shrunk.Status.ClaimsHash && a.Status.PushedClaimsHash == a.Status.ClaimsHash
	})
	e.waitFor("every server stores the shrunk JWT", func() bool {
		return lookupEverywhere(t, e, pub) == strings.Repeat(shrunk.Status.JWT, len(e.servers))
	})
	if meta.IsStatusConditionTrue(shrunk.Status.Conditions, natsv1alpha1.ConditionJWTSizeNearLimit) {
		t.Errorf("%d-byte JWT still JWTSizeNearLimit", len(shrunk.Status.JWT))
	}
}

// setDescription sets an account's spec.description and returns the account once it is
// re-issued.
func (e *resolverEnv) setDescription(name, description string) *natsv1alpha1.NatsAccount {
	e.t.Helper()
	return e.reissue(name, func(acc *natsv1alpha1.NatsAccount) { acc.Spec.Description = description })
}
