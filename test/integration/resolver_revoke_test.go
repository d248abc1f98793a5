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

	"github.com/natsauth/nats-auth-operator/test/testbed"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestResolverDeletedUserIsDisconnectedEverywhere connects one user to each of three servers
// and deletes the NatsUser: the controller revokes its key in the account JWT and the resolver,
// with no help from the test, pushes the JWT to every server, which closes all three clients
// within seconds. The creds are refused afterwards.
func TestResolverDeletedUserIsDisconnectedEverywhere(t *testing.T) {
	e := newResolverEnv(t, 3, nil)
	e.startResolver()
	e.createAccount("orders")
	e.waitFullyPushed("orders")
	creds := e.createUser("api", "orders")
	closed := make([]<-chan struct{}, len(e.servers))
	for i, s := range e.servers {
		_, closed[i] = resolverConnectUser(t, s, creds)
	}

	took := deleteUserUntilDisconnected(t, e, "api", closed)
	t.Logf("NatsUser deleted → last of %d clients disconnected in %s", len(closed), took.Round(time.Millisecond))
	for _, s := range e.servers {
		if nc, err := testbed.ConnectCreds(s.ClientURL(), creds); err == nil {
			nc.Close()
			t.Errorf("the deleted user's creds connect to %s again", s.Name())
		}
	}
	e.waitFullyPushed("orders")
}

// deleteUserUntilDisconnected deletes the NatsUser and returns how long it took until every
// channel in closed was closed; it fails the test after 15s.
func deleteUserUntilDisconnected(t *testing.T, e *resolverEnv, name string, closed []<-chan struct{}) time.Duration {
	t.Helper()
	began := time.Now()
	if err := suite.NatsClient(t).NatsauthV1alpha1().NatsUsers(e.ns).Delete(e.ctx, name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(15 * time.Second)
	for i, ch := range closed {
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("the client on %s is still connected 15s after the NatsUser was deleted", e.servers[i].Name())
		}
	}
	return time.Since(began)
}
