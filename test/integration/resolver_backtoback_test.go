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
	"sync"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestResolverBackToBackDeletions: five NatsUsers of one account, each with a client on every
// server of a three-server cluster, are deleted 200 ms apart. No account sync waits for a later
// second (the account controller logs no requeue of that account for one): each deletion is signed at once with an iat
// after the previous JWT's, so every client is disconnected within a second of its deletion, and
// the servers end up storing the same JWT, the account's latest.
func TestResolverBackToBackDeletions(t *testing.T) {
	const users, spacing = 5, 200 * time.Millisecond
	e := newResolverEnv(t, 3, nil)
	e.startResolver()
	e.createAccount("orders")
	e.waitFullyPushed("orders")
	names := make([]string, users)
	closed := make([][]<-chan struct{}, users)
	for i := range names {
		names[i] = fmt.Sprintf("user-%d", i)
		creds := e.createUser(names[i], "orders")
		for _, s := range e.servers {
			_, ch := resolverConnectUser(t, s, creds)
			closed[i] = append(closed[i], ch)
		}
	}
	first := decodeAccountJWT(t, e.waitFullyPushed("orders").Status.JWT)
	// A sync that waits for a later second says so in its requeue reason ("... next second's
	// JWT"); the controllers see every namespace, so only this account's lines count.
	batched := func() int {
		n := 0
		for _, line := range strings.Split(e.controllerLogs.String(), "\n") {
			if strings.Contains(line, `key="`+e.ns+`/orders"`) && strings.Contains(line, "next second's JWT") {
				n++
			}
		}
		return n
	}
	batchedBefore := batched()

	took := make([]time.Duration, users)
	var wg sync.WaitGroup
	start := time.Now()
	for i, name := range names {
		time.Sleep(time.Until(start.Add(time.Duration(i) * spacing)))
		began := time.Now()
		if err := suite.NatsClient(t).NatsauthV1alpha1().NatsUsers(e.ns).Delete(e.ctx, name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			deadline := time.After(15 * time.Second)
			for _, ch := range closed[i] {
				select {
				case <-ch:
				case <-deadline:
				}
			}
			took[i] = time.Since(began)
		})
	}
	wg.Wait()
	t.Logf("NatsUser deleted → its clients on %d servers disconnected, deletions %s apart: %v", len(e.servers), spacing, took)
	for i, d := range took {
		if d > time.Second {
			t.Errorf("the clients of %s were disconnected %s after its deletion, want under a second", names[i], d)
		}
	}
	if got := batched() - batchedBefore; got != 0 {
		t.Errorf("account syncs waited for a later second %d times during the deletions, want 0", got)
	}

	acc := e.waitPushed("orders", metav1.ConditionTrue, "Pushed", func(a *natsv1alpha1.NatsAccount) bool {
		return a.Status.PushedClaimsHash == a.Status.ClaimsHash && len(decodeAccountJWT(t, a.Status.JWT).Revocations) == users
	})
	e.waitStored(acc.Status.PublicKey, acc.Status.JWT, e.servers...)
	if last := decodeAccountJWT(t, acc.Status.JWT); last.IssuedAt <= first.IssuedAt {
		t.Errorf("the latest JWT's iat %d is not after the first's %d", last.IssuedAt, first.IssuedAt)
	}
}

// decodeAccountJWT decodes an account JWT from status.
func decodeAccountJWT(t *testing.T, token string) *jwt.AccountClaims {
	t.Helper()
	c, err := jwt.DecodeAccountClaims(token)
	if err != nil {
		t.Fatalf("account JWT: %v", err)
	}
	return c
}
