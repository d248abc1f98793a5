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
	"github.com/natsauth/nats-auth-operator/cmd/controller/app"
	"github.com/natsauth/nats-auth-operator/controllers/account"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// rotationGrace is the grace period the controllers of the rotation tests use.
const rotationGrace = 6 * time.Second

// TestRotationScheduledKeepsClientsConnected rotates the default signing key of an account
// whose user has a client on each of three servers, reading its creds from a file. During the
// overlap both the old and the re-issued creds connect everywhere; the clients, given the new
// file, survive the retirement of the old key with at most one reconnect; afterwards the old
// creds are refused on every server and the key's seed is gone from the Secret.
func TestRotationScheduledKeepsClientsConnected(t *testing.T) {
	e := newResolverEnv(t, 3, nil, func(o *app.Options) { o.AccountRotationGracePeriod = rotationGrace })
	e.startResolver()
	e.createAccount("orders")
	e.waitFullyPushed("orders")
	oldCreds := e.createUser("api", "orders")
	oldKey := e.defaultKey("orders").PublicKey
	clients := make([]*reloadingClient, len(e.servers))
	for i, s := range e.servers {
		clients[i] = connectReloading(t, s, oldCreds)
	}

	e.setRotation("orders", &natsv1alpha1.SigningKeyRotation{Generation: 1})
	newCreds := e.waitCredsSignedBy("api", e.waitPhaseAtLeastRotating("orders").PublicKey)
	st := e.waitPhase("orders", 1, natsv1alpha1.SigningKeyRetiring)
	if st.PreviousPublicKey != oldKey {
		t.Fatalf("previous key %s, want %s", st.PreviousPublicKey, oldKey)
	}
	for _, s := range e.servers {
		if !connects(s, oldCreds) || !connects(s, newCreds) {
			t.Errorf("during the overlap both creds must connect to %s (old %v, new %v)", s.Name(), connects(s, oldCreds), connects(s, newCreds))
		}
	}
	for i, c := range clients {
		if !c.roundTrip() {
			t.Errorf("the client on %s stopped working during the overlap", e.servers[i].Name())
		}
		c.write(t, newCreds)
	}

	e.waitPhase("orders", 1, natsv1alpha1.SigningKeyActive)
	e.waitFullyPushed("orders")
	for i, c := range clients {
		e.waitFor("the client on "+e.servers[i].Name()+" works again", c.roundTrip)
		n := c.reconnects.Load()
		t.Logf("client on %s: %d reconnect(s)", e.servers[i].Name(), n)
		if n > 1 {
			t.Errorf("the client on %s reconnected %d times, want at most 1", e.servers[i].Name(), n)
		}
	}
	for _, s := range e.servers {
		if connects(s, oldCreds) {
			t.Errorf("the old creds still connect to %s after the old key was retired", s.Name())
		}
		if !connects(s, newCreds) {
			t.Errorf("the new creds do not connect to %s", s.Name())
		}
	}
	keys := suite.GetSecret(t, e.ns, naming.AccountKeysSecret("orders")).Data
	if _, ok := keys[naming.AccountSigningSeed(naming.DefaultSigningKey)]; ok || keys[naming.AccountSigningSeedAt(naming.DefaultSigningKey, 1)] == nil {
		t.Error("want the retired seed removed from the key Secret and generation 1 kept")
	}
	events := e.normalEvents("orders")
	for _, r := range []string{account.EventRotationStarted, account.EventUsersReissued, account.EventOldKeyRetired} {
		if !events[r] {
			t.Errorf("no Normal %s event; have %v", r, events)
		}
	}
}

// waitPhaseAtLeastRotating waits until the default key of account name reached generation 1.
func (e *resolverEnv) waitPhaseAtLeastRotating(name string) natsv1alpha1.SigningKeyStatus {
	e.t.Helper()
	var st natsv1alpha1.SigningKeyStatus
	e.waitFor("signing key default of "+name+" is at generation 1", func() bool {
		st = e.defaultKey(name)
		return st.Generation == 1 && st.PublicKey != ""
	})
	return st
}
