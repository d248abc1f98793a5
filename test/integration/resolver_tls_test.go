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
	"crypto/tls"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	resolverapp "github.com/natsauth/nats-auth-operator/cmd/resolver/app"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/test/manifests"
	"github.com/natsauth/nats-auth-operator/test/testbed"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestResolverTLS runs the resolver against a three-server cluster whose client port requires TLS
// and verifies every client's certificate (`tls { ..., verify: true }`), with a CA, server and
// client certificates made for the test. The resolver's flags are the ones the tls component of
// manifests/examples/resolver passes, pointed at files laid out as in its kubernetes.io/tls
// Secret. With the CA and the client certificate it pushes to all three servers and a user
// connects over TLS; without the client certificate, with another CA or with a server name the
// certificates do not carry it never connects, /readyz says why and the account stays unpushed;
// over a tls:// URL with the server name override it connects and pushes it.
func TestResolverTLS(t *testing.T) {
	ca := testbed.NewTestCA(t, "nats CA")
	e := newTLSResolverEnv(t, ca)
	secretDir := tlsSecretDir(t, ca, ca.ClientCert(t, "nats-auth-resolver"))
	mtls := tlsComponentArgs(t, secretDir)
	user := ca.ClientCert(t, "api")

	r := e.startResolver(withArgs(t, mtls...))
	e.createAccount("orders")
	orders := e.waitFullyPushed("orders")
	if msg := resolverPushedMessage(orders); msg != "acknowledged by 3 of 3 servers" {
		t.Errorf("Pushed message %q", msg)
	}
	e.waitStored(orders.Status.PublicKey, orders.Status.JWT, e.servers...)
	if v := connTLSVersion(t, e.servers[0], resolverapp.Component); v != "1.2" && v != "1.3" {
		t.Errorf("the resolver's connection has TLS version %q", v)
	}
	creds := e.createUser("api", "orders")
	for _, s := range e.servers {
		nc, err := testbed.ConnectCreds(s.ClientURL(), creds, nats.RootCAs(ca.CAFile), nats.ClientCert(user.CertFile, user.KeyFile))
		if err != nil {
			t.Fatalf("user over TLS to %s: %v", s.Name(), err)
		}
		if st, err := nc.TLSConnectionState(); err != nil || st.Version < tls.VersionTLS12 || nc.Flush() != nil {
			t.Errorf("user connection to %s: TLS %x, %v", s.Name(), st.Version, err)
		}
		nc.Close()
	}
	// The servers do demand the certificate: the failures below are the resolver's TLS settings.
	if nc, err := testbed.ConnectCreds(e.servers[0].ClientURL(), creds, nats.RootCAs(ca.CAFile)); err == nil {
		nc.Close()
		t.Fatal("a user without a client certificate connected")
	}
	r.Stop()

	e.createAccount("billing")
	other := testbed.NewTestCA(t, "another CA")
	for i, tc := range []struct {
		name, want string
		args       []string
	}{
		// The client sees the server's alert or only the closed connection, depending on timing;
		// the server's log says which certificate was missing.
		{"without the client certificate", "tls", slices.DeleteFunc(slices.Clone(mtls), func(a string) bool {
			return strings.HasPrefix(a, "--nats-tls-cert=") || strings.HasPrefix(a, "--nats-tls-key=")
		})},
		{"with another CA", "certificate signed by unknown authority", append(slices.Clone(mtls), "--nats-tls-ca="+other.CAFile)},
		{"with a name the certificates lack", "not other.invalid", append(slices.Clone(mtls), "--nats-tls-server-name=other.invalid")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.startResolver(withArgs(t, tc.args...))
			defer r.Stop()
			e.waitFor("/readyz reports "+tc.want, func() bool {
				code, body := suite.HTTPGet(r.ReadyzURL)
				return code == http.StatusServiceUnavailable && strings.Contains(body, "not connected to NATS: ") && strings.Contains(body, tc.want)
			})
			if i == 0 {
				e.waitFor("a server logs the missing client certificate", func() bool {
					return slices.ContainsFunc(e.servers, func(s *testbed.NatsServer) bool {
						return s.LogContains("client didn't provide a certificate")
					})
				})
				// Only a resolver that never connected wrote this condition.
				e.waitPushed("billing", metav1.ConditionFalse, "PushFailed", func(a *natsv1alpha1.NatsAccount) bool {
					return resolverPushedMessage(a) == "not connected to NATS"
				})
			}
		})
	}
	billing := e.account("billing")
	for _, s := range e.servers {
		if resolverStoredJWT(s, billing.Status.PublicKey) != "" {
			t.Errorf("%s stores billing, which no resolver could push", s.Name())
		}
	}

	url := strings.Replace(e.servers[0].ClientURL(), "nats://", "tls://", 1)
	e.startResolver(withArgs(t, append(slices.Clone(mtls), "--nats-tls-server-name="+testbed.TLSServerDNSName)...),
		func(o *resolverapp.Options) { o.NatsURL = url })
	billing = e.waitFullyPushed("billing")
	e.waitStored(billing.Status.PublicKey, billing.Status.JWT, e.servers...)
}

// newTLSResolverEnv is newResolverEnv with the client port of every server behind TLS with
// client verification, the server certificates issued by ca.
func newTLSResolverEnv(t *testing.T, ca *testbed.TestCA) *resolverEnv {
	t.Helper()
	stop := suite.StartControllers(t)
	e := &resolverEnv{t: t, ctx: suite.Context(t), ns: controlPlane.NewNamespace(t), stopControllers: stop}
	e.op = suite.CreateOperator(t, e.ns, "main", func(s *natsv1alpha1.NatsOperatorSpec) {
		s.Resolver.Interval = &metav1.Duration{Duration: time.Hour}
	})
	auth := string(suite.GetSecret(t, e.ns, e.op.Status.ServerConfigSecret).Data[naming.AuthConf])
	e.servers = testbed.StartNatsCluster(t, 3, testbed.NatsOptions{ConfigText: suite.ResolverPerServerJWTDir(t, auth),
		ExtraConfig: testbed.NatsTLSConfig(ca.ServerCert(t, "nats"), ca.CAFile)})
	e.credsFile = filepath.Join(t.TempDir(), "resolver.creds")
	creds := suite.GetSecret(t, e.ns, naming.ResolverCredsSecret("main")).Data[naming.UserCreds]
	if err := os.WriteFile(e.credsFile, creds, 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}

// tlsSecretDir lays out the files as the resolver's TLS Secret mounts them: ca.crt, tls.crt and
// tls.key, the keys cert-manager writes.
func tlsSecretDir(t *testing.T, ca *testbed.TestCA, client testbed.TLSPair) string {
	t.Helper()
	dir := t.TempDir()
	for src, key := range map[string]string{ca.CAFile: "ca.crt", client.CertFile: "tls.crt", client.KeyFile: "tls.key"} {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, key), data, 0o400); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// tlsComponentArgs renders manifests/examples/resolver with its tls component and returns the
// --nats-tls-* args of the resolver Deployment, its mount path of the TLS Secret replaced by dir.
// It checks that the Secret volume projects the keys tlsSecretDir writes.
func tlsComponentArgs(t *testing.T, dir string) []string {
	t.Helper()
	tmp := t.TempDir()
	base := manifests.Dir(t, "examples/resolver")
	rel := func(p string) string {
		r, err := filepath.Rel(tmp, p)
		if err != nil {
			t.Fatal(err)
		}
		return filepath.ToSlash(r)
	}
	k := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- " + rel(base) +
		"\ncomponents:\n- " + rel(filepath.Join(base, "tls")) + "\n"
	if err := os.WriteFile(filepath.Join(tmp, "kustomization.yaml"), []byte(k), 0o600); err != nil {
		t.Fatal(err)
	}
	var dep appsv1.Deployment
	manifests.Convert(t, manifests.Find(t, manifests.Kustomize(t, tmp), "Deployment", "nats-auth-resolver"), &dep)
	mountPath := ""
	for _, m := range dep.Spec.Template.Spec.Containers[0].VolumeMounts {
		if m.Name == "nats-tls" {
			mountPath = m.MountPath
		}
	}
	var keys []string
	for _, v := range dep.Spec.Template.Spec.Volumes {
		if v.Name == "nats-tls" && v.Secret != nil {
			for _, it := range v.Secret.Items {
				keys = append(keys, it.Key+"="+it.Path)
			}
		}
	}
	if mountPath == "" || !slices.Equal(keys, []string{"ca.crt=ca.crt", "tls.crt=tls.crt", "tls.key=tls.key"}) {
		t.Fatalf("the tls component mounts %v at %q", keys, mountPath)
	}
	var args []string
	for _, a := range dep.Spec.Template.Spec.Containers[0].Args {
		if strings.HasPrefix(a, "--nats-tls-") {
			args = append(args, strings.ReplaceAll(a, mountPath, dir))
		}
	}
	if len(args) != 3 {
		t.Fatalf("the tls component passes %q, want --nats-tls-ca, --nats-tls-cert and --nats-tls-key", args)
	}
	return args
}

// withArgs parses args with the resolver binary's own flags into its options.
func withArgs(t *testing.T, args ...string) func(*resolverapp.Options) {
	return func(o *resolverapp.Options) {
		fs := flag.NewFlagSet("resolver", flag.ContinueOnError)
		o.AddFlags(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatalf("resolver args %q: %v", args, err)
		}
	}
}

// connTLSVersion returns the TLS version of the client connection named name on s, from /connz.
func connTLSVersion(t *testing.T, s *testbed.NatsServer, name string) string {
	t.Helper()
	code, body := suite.HTTPGet(s.MonitorURL() + "/connz")
	var cz struct {
		Connections []struct {
			Name       string `json:"name"`
			TLSVersion string `json:"tls_version"`
		} `json:"connections"`
	}
	if code != http.StatusOK || json.Unmarshal([]byte(body), &cz) != nil {
		t.Fatalf("GET /connz of %s: %d %s", s.Name(), code, body)
	}
	for _, c := range cz.Connections {
		if c.Name == name {
			return c.TLSVersion
		}
	}
	t.Fatalf("%s has no connection named %s", s.Name(), name)
	return ""
}
