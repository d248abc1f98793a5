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

package node

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// doomedUser is deleted while Pods hold connections with its creds.
const doomedUser = `apiVersion: natsauth.io/v1alpha1
kind: NatsUser
metadata:
  name: doomed
  namespace: apps
spec:
  accountRef: {namespace: nats, name: orders}
  permissions:
    sub: {allow: ["orders.api.>"]}
`

// deletedUserDisconnected connects one long-lived subscriber Pod with the mounted creds of a new
// NatsUser to each server, deletes the NatsUser, and expects every server to close its
// connection ('User Authentication Revoked') and to refuse the same creds afterwards.
func deletedUserDisconnected(t *testing.T, c *Cluster, ips []string) {
	applyStdin(t, c, doomedUser)
	kubectl(t, c, 2*time.Minute, "wait", "--for=condition=Ready", "--timeout=110s", "-n", "apps", "nu/doomed")
	pub := jsonpath(t, c, "apps", "nu/doomed", "{.status.publicKey}")
	creds := secretCreds(t, c, "apps", "doomed")
	for i, ip := range ips {
		startSub(t, c, "apps", fmt.Sprintf("sub-doomed-%d", i), ips, "nats://"+ip+":4222", "doomed", "orders.api.>")
	}
	for i, ip := range ips {
		eventually(t, time.Minute, fmt.Sprintf("nats-%d serving a connection of apps/doomed", i), func() (bool, string) {
			n, err := userConns(ip, pub)
			return err == nil && n > 0, fmt.Sprintf("%d connections (%v)", n, err)
		})
	}
	kubectl(t, c, time.Minute, "delete", "-n", "apps", "nu/doomed", "--wait=false")
	for i, ip := range ips {
		pod := fmt.Sprintf("sub-doomed-%d", i)
		// nats.go reports the server's -ERR 'User Authentication Revoked' as this error.
		waitLog(t, c, "apps", pod, "authentication revoked")
		eventually(t, time.Minute, fmt.Sprintf("nats-%d serving no connection of apps/doomed", i), func() (bool, string) {
			n, err := userConns(ip, pub)
			return err == nil && n == 0, fmt.Sprintf("%d connections (%v)", n, err)
		})
	}
	refusedOnEveryServer(t, ips, creds)
	t.Logf("NatsUser apps/doomed deleted: each of the %d servers closed its Pod's connection (authentication revoked) and refuses its creds", len(ips))
}

// userConns counts a server's connections authenticated as the user key pub (/connz?auth=true).
func userConns(ip, pub string) (int, error) {
	cl := http.Client{Timeout: 5 * time.Second}
	resp, err := cl.Get("http://" + ip + ":8222/connz?auth=true&limit=4096")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var cz struct {
		Conns []struct {
			AuthorizedUser string `json:"authorized_user"`
		} `json:"connections"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&cz); err != nil {
		return 0, err
	}
	n := 0
	for _, c := range cz.Conns {
		if c.AuthorizedUser == pub {
			n++
		}
	}
	return n, nil
}

// refusedOnEveryServer connects with creds to each server on its own (from the node, as the
// kubelet's probes reach Pods) and expects 'Authorization Violation' from each.
func refusedOnEveryServer(t *testing.T, ips []string, creds []byte) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "user.creds")
	if err := os.WriteFile(f, creds, 0o600); err != nil {
		t.Fatal(err)
	}
	for i, ip := range ips {
		nc, err := nats.Connect("nats://"+ip+":4222", nats.UserCredentials(f), nats.IgnoreDiscoveredServers(),
			nats.NoReconnect(), nats.Timeout(10*time.Second))
		if err == nil {
			nc.Close()
			t.Fatalf("nats-%d (%s) accepted creds it must refuse", i, ip)
		}
		if !strings.Contains(strings.ToLower(err.Error()), "authorization violation") {
			t.Fatalf("nats-%d (%s): %v, want an authorization violation", i, ip, err)
		}
	}
}

// secretCreds returns the user.creds of a creds Secret.
func secretCreds(t *testing.T, c *Cluster, ns, name string) []byte {
	t.Helper()
	s, err := c.Client.CoreV1().Secrets(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Data["user.creds"]) == 0 {
		t.Fatalf("Secret %s/%s has no user.creds", ns, name)
	}
	return s.Data["user.creds"]
}
