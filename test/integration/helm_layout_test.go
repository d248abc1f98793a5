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
	"os"
	"path/filepath"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/test/testbed"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestHelmChartLayout runs nats-server with the configuration layout that the official NATS helm
// chart produces from manifests/integrations/nats-helm/values.yaml: the chart's nats.conf in
// /etc/nats-config with its own bare "resolver { dir }" block, and the rendered auth.conf from the
// mounted Secret included last, by a path relative to the including file. It proves the rendered
// auth.conf composes with that layout: the server starts, uses the full resolver from auth.conf,
// takes a push from the resolver user, and lets a user in. helm itself is not available on these
// machines, so the chart's rendering is reproduced here, from the facts in NATS-FACTS.md §13.
func TestHelmChartLayout(t *testing.T) {
	suite.StartControllers(t)
	ns := controlPlane.NewNamespace(t)
	op := suite.CreateOperator(t, ns, "helm", nil)
	acc := readyAccount(t, ns, "app", "helm")
	ctx := suite.Context(t)
	if _, err := suite.NatsClient(t).NatsauthV1alpha1().NatsUsers(ns).Create(ctx, newUser(ns, "app-user", natsv1alpha1.NatsAccountReference{Name: "app"}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	user := suite.WaitUserReady(t, ns, "app-user")

	root := t.TempDir()
	cfgDir := filepath.Join(root, "etc", "nats-config")
	authDir := filepath.Join(root, "etc", "nats-auth")
	for _, d := range []string{cfgDir, authDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	secret := suite.GetSecret(t, ns, op.Status.ServerConfigSecret)
	if err := os.WriteFile(filepath.Join(authDir, naming.AuthConf), secret.Data[naming.AuthConf], 0o600); err != nil {
		t.Fatal(err)
	}
	// Two distinct ports: two FreePort calls may return the same one.
	ports, err := testbed.FreePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	// What the chart renders: its keys, its own resolver block (dir only), then the
	// "zzz$include" key from config.merge, sorted last.
	chartConf := fmt.Sprintf(`{
  "http_port": %d,
  "host": "127.0.0.1",
  "port": %d,
  "server_name": "nats-0",
  "resolver": {
    "dir": %q
  },
  include ../nats-auth/auth.conf
}
`, ports[0], ports[1], filepath.Join(root, "data", "chart-resolver"))
	confPath := filepath.Join(cfgDir, "nats.conf")
	if err := os.WriteFile(confPath, []byte(chartConf), 0o600); err != nil {
		t.Fatal(err)
	}
	bin, err := testbed.BinPath(testbed.NatsServerBinary)
	if err != nil {
		t.Fatal(err)
	}
	proc, err := testbed.StartProcess(testbed.ProcessOptions{Name: "nats-server", Path: bin, Args: []string{"-c", confPath},
		LogPath: filepath.Join(root, "nats-server.log")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proc.Stop)
	waitCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := proc.WaitHTTP(waitCtx, fmt.Sprintf("http://127.0.0.1:%d/healthz", ports[0])); err != nil {
		t.Fatalf("nats-server with the chart layout did not start: %v\n%s", err, proc.LogTail(30))
	}
	url := fmt.Sprintf("nats://127.0.0.1:%d", ports[1])

	sys, err := testbed.ConnectCreds(url, suite.GetSecret(t, ns, naming.ResolverCredsSecret("helm")).Data[naming.UserCreds])
	if err != nil {
		t.Fatalf("resolver user: %v", err)
	}
	defer sys.Close()
	// A push is stored by the full resolver of auth.conf, in auth.conf's dir, not the chart's.
	if err := testbed.PushAccount(sys, acc.Status.JWT, 1, 5*time.Second); err != nil {
		t.Fatalf("push: %v", err)
	}
	if _, err := os.Stat(filepath.Join(op.Spec.Resolver.Dir, acc.Status.PublicKey+".jwt")); err != nil {
		t.Errorf("the account was not stored in auth.conf's resolver dir: %v", err)
	}
	nc, err := testbed.ConnectCreds(url, suite.GetSecret(t, ns, user.Status.SecretName).Data[naming.UserCreds])
	if err != nil {
		t.Fatalf("user connect: %v", err)
	}
	nc.Close()
}
