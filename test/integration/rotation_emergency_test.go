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

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/account"
)

// TestRotationEmergencyRefusesOldCreds rotates the default key of an account with two users in
// emergency mode: the clients connected with the old creds are closed on all three servers, the
// old creds files are refused everywhere at once, and the re-issued creds connect everywhere.
func TestRotationEmergencyRefusesOldCreds(t *testing.T) {
	e := newResolverEnv(t, 3, nil)
	e.startResolver()
	e.createAccount("orders")
	e.waitFullyPushed("orders")
	users := []string{"api", "worker"}
	old := map[string][]byte{}
	var closed []<-chan struct{}
	for _, u := range users {
		old[u] = e.createUser(u, "orders")
		for _, s := range e.servers {
			_, ch := resolverConnectUser(t, s, old[u])
			closed = append(closed, ch)
		}
	}

	e.setRotation("orders", &natsv1alpha1.SigningKeyRotation{Generation: 1, Mode: natsv1alpha1.RotationEmergency})
	deadline := time.After(20 * time.Second)
	for i, ch := range closed {
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("client %d is still connected 20s after the emergency rotation", i)
		}
	}
	st := e.waitPhase("orders", 1, natsv1alpha1.SigningKeyActive)
	e.waitFullyPushed("orders")
	for _, u := range users {
		fresh := e.waitCredsSignedBy(u, st.PublicKey)
		for _, s := range e.servers {
			if connects(s, old[u]) {
				t.Errorf("the old creds of %s connect to %s after the emergency rotation", u, s.Name())
			}
			if !connects(s, fresh) {
				t.Errorf("the re-issued creds of %s do not connect to %s", u, s.Name())
			}
		}
	}
	events := e.normalEvents("orders")
	if !events[account.EventRotationStarted] || !events[account.EventOldKeyRetired] {
		t.Errorf("events %v, want RotationStarted and OldKeyRetired", events)
	}
}
