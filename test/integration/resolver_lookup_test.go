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
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
)

// TestResolverAnswersLookupsForCacheServers runs the operator's servers as cache resolvers,
// which acknowledge a push of an account they have not loaded without storing it and never
// answer lookups themselves. So the resolver's lookup responder is the only source of the
// account, and a user connecting to either server proves it answered (NATS-FACTS §10.3; with
// several full servers a lookup can be concluded "not found" before the answer arrives, which
// is why full servers are served by push instead).
func TestResolverAnswersLookupsForCacheServers(t *testing.T) {
	e := newResolverEnv(t, 2, func(s *natsv1alpha1.NatsOperatorSpec) {
		s.Resolver.Type = natsv1alpha1.ResolverCache
		// Room for a loaded machine: the server waits this long for the resolver's answer.
		s.Resolver.Timeout = &metav1.Duration{Duration: 5 * time.Second}
	})
	r := e.startResolver()
	e.createAccount("orders")
	acc := e.waitFullyPushed("orders")
	if msg := resolverPushedMessage(acc); msg != "acknowledged by 2 of 2 servers" {
		t.Errorf("Pushed message %q", msg)
	}
	for _, s := range e.servers {
		if resolverStoredJWT(s, acc.Status.PublicKey) != "" {
			t.Fatalf("cache server %s stored an account no client used; the test cannot prove a lookup", s.Name())
		}
	}
	creds := e.createUser("api", "orders")
	for _, s := range e.servers {
		nc, _ := resolverConnectUser(t, s, creds)
		if err := nc.Flush(); err != nil {
			t.Fatalf("flush on %s: %v", s.Name(), err)
		}
		// The cache server keeps what it looked up.
		e.waitStored(acc.Status.PublicKey, acc.Status.JWT, s)
	}
	if hits := r.Metric("natsauth_resolver_lookups_total", `result="hit"`); hits < float64(len(e.servers)) {
		t.Errorf("lookup hits %v, want at least %d", hits, len(e.servers))
	}
}
