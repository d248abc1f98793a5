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
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats.go"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/natsjwt"
	"github.com/natsauth/nats-auth-operator/test/testbed"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// reloadingClient is an application connected with a creds file it re-reads on every
// (re)connect, as one that mounts its creds Secret does.
type reloadingClient struct {
	nc         *nats.Conn
	file       string
	reconnects atomic.Int32
}

// connectReloading connects to s with creds written to a private file.
func connectReloading(t *testing.T, s *testbed.NatsServer, creds []byte) *reloadingClient {
	t.Helper()
	c := &reloadingClient{file: filepath.Join(t.TempDir(), "user.creds")}
	c.write(t, creds)
	nc, err := nats.Connect(s.ClientURL(), nats.UserCredentials(c.file), nats.Timeout(5*time.Second),
		nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond),
		nats.ReconnectHandler(func(*nats.Conn) { c.reconnects.Add(1) }))
	if err != nil {
		t.Fatalf("connect to %s: %v", s.Name(), err)
	}
	t.Cleanup(nc.Close)
	c.nc = nc
	return c
}

// write replaces the creds file, as the kubelet updates a mounted Secret.
func (c *reloadingClient) write(t *testing.T, creds []byte) {
	t.Helper()
	if err := os.WriteFile(c.file, creds, 0o600); err != nil {
		t.Fatal(err)
	}
}

// roundTrip reports whether the client can publish and receive a message of its own.
func (c *reloadingClient) roundTrip() bool {
	sub, err := c.nc.SubscribeSync(nats.NewInbox())
	if err != nil {
		return false
	}
	defer func() { _ = sub.Unsubscribe() }()
	if err := c.nc.Publish(sub.Subject, []byte("ping")); err != nil {
		return false
	}
	_, err = sub.NextMsg(2 * time.Second)
	return err == nil
}

// connects reports whether creds connect to s.
func connects(s *testbed.NatsServer, creds []byte) bool {
	nc, err := testbed.ConnectCreds(s.ClientURL(), creds)
	if err != nil {
		return false
	}
	nc.Close()
	return true
}

// signerOf is the issuer of the user JWT in creds.
func signerOf(t *testing.T, creds []byte) string {
	t.Helper()
	token, _, err := natsjwt.ParseCreds(creds)
	if err != nil {
		t.Fatal(err)
	}
	uc, err := jwt.DecodeUserClaims(token)
	if err != nil {
		t.Fatal(err)
	}
	return uc.Issuer
}

// setRotation sets the default key's rotation of account name.
func (e *resolverEnv) setRotation(name string, rot *natsv1alpha1.SigningKeyRotation) {
	e.t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		acc := e.account(name)
		acc.Spec.SigningKeyRotation = rot
		_, err := suite.NatsClient(e.t).NatsauthV1alpha1().NatsAccounts(e.ns).Update(e.ctx, acc, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		e.t.Fatalf("update account %s: %v", name, err)
	}
}

// defaultKey is the default signing key's status entry of account name.
func (e *resolverEnv) defaultKey(name string) natsv1alpha1.SigningKeyStatus {
	e.t.Helper()
	for _, sk := range e.account(name).Status.SigningKeys {
		if sk.Name == naming.DefaultSigningKey {
			return sk
		}
	}
	return natsv1alpha1.SigningKeyStatus{}
}

// waitPhase waits until the default key of account name is at generation gen in phase.
func (e *resolverEnv) waitPhase(name string, gen int32, phase natsv1alpha1.SigningKeyPhase) natsv1alpha1.SigningKeyStatus {
	e.t.Helper()
	var st natsv1alpha1.SigningKeyStatus
	e.waitFor("signing key default of "+name+" is "+string(phase), func() bool {
		st = e.defaultKey(name)
		return st.Generation == gen && st.Phase == phase
	})
	return st
}

// waitCredsSignedBy waits until user's creds Secret holds a JWT signed by pub and returns them.
func (e *resolverEnv) waitCredsSignedBy(user, pub string) []byte {
	e.t.Helper()
	var creds []byte
	e.waitFor("creds of "+user+" are signed by "+pub, func() bool {
		creds = suite.GetSecret(e.t, e.ns, user).Data[naming.UserCreds]
		return signerOf(e.t, creds) == pub
	})
	return creds
}

// normalEvents lists the reasons of the Normal events about object name.
func (e *resolverEnv) normalEvents(name string) map[string]bool {
	e.t.Helper()
	list, err := controlPlane.KubeClient().CoreV1().Events(e.ns).List(e.ctx, metav1.ListOptions{})
	if err != nil {
		e.t.Fatalf("list events: %v", err)
	}
	out := map[string]bool{}
	for _, ev := range list.Items {
		if ev.InvolvedObject.Name == name && ev.Type == corev1.EventTypeNormal {
			out[ev.Reason] = true
		}
	}
	return out
}
