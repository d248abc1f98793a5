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

package testbed

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"
)

// apiStartAttempts bounds retries when a port chosen as free is taken before the process binds.
const apiStartAttempts = 5

// ControlPlaneOptions configures StartControlPlane.
type ControlPlaneOptions struct {
	// CRDDir, when set, is a directory whose *.yaml CustomResourceDefinitions are installed
	// (and waited for) before the control plane is returned.
	CRDDir string
	// ExtraAPIServerFlags are appended to the kube-apiserver command line; for a flag given
	// twice, the later value wins.
	ExtraAPIServerFlags []string
	// ServiceAccountAdmission keeps the ServiceAccount admission plugin, which is disabled by
	// default because it waits for controllers that only a real cluster runs (test/node does).
	// A list flag given twice appends, so ExtraAPIServerFlags cannot re-enable it.
	ServiceAccountAdmission bool
	// Logf receives progress and timing lines; StartControlPlane defaults it to t.Logf.
	Logf func(format string, args ...any)
}

// ControlPlane is an etcd plus a kube-apiserver on 127.0.0.1, with an admin token in group
// system:masters and RBAC authorization, so tests can also prove least privilege through
// impersonation. There are no controllers (no kube-controller-manager): namespaces are never
// finalized and nothing garbage-collects.
type ControlPlane struct {
	dir     string
	ownsDir bool // true when started from TestMain: Stop removes dir
	saAdm   bool // ControlPlaneOptions.ServiceAccountAdmission
	logf    func(format string, args ...any)

	etcd       *process
	etcdURL    string
	apiserver  *process
	apiPort    int
	token      string
	cfg        *rest.Config
	kubeconfig string
	stopOnce   sync.Once
}

// StartControlPlane starts etcd and kube-apiserver for one test (or subtest tree) and stops
// them in t.Cleanup. For one control plane per package, use StartControlPlaneMain in TestMain.
func StartControlPlane(t testing.TB, opts ControlPlaneOptions) *ControlPlane {
	t.Helper()
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	cp, err := startControlPlane(t.TempDir(), false, opts)
	if err != nil {
		t.Fatalf("testbed: %v", err)
	}
	t.Cleanup(cp.Stop)
	return cp
}

// StartControlPlaneMain is StartControlPlane for TestMain, where there is no testing.T: it
// returns an error instead of failing, uses its own temp dir, and the caller must call Stop
// (which also removes the temp dir) before os.Exit.
func StartControlPlaneMain(opts ControlPlaneOptions) (*ControlPlane, error) {
	dir, err := os.MkdirTemp("", "testbed-controlplane-")
	if err != nil {
		return nil, err
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {} // TestMain has no test log; timings are optional
	}
	cp, err := startControlPlane(dir, true, opts)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return cp, nil
}

func startControlPlane(dir string, ownsDir bool, opts ControlPlaneOptions) (_ *ControlPlane, err error) {
	etcdBin, err := BinPath(EtcdBinary)
	if err != nil {
		return nil, err
	}
	apiBin, err := BinPath(KubeAPIServerBinary)
	if err != nil {
		return nil, err
	}
	cp := &ControlPlane{dir: dir, ownsDir: ownsDir, logf: opts.Logf, saAdm: opts.ServiceAccountAdmission}
	defer func() {
		if err != nil {
			cp.stopProcesses()
		}
	}()

	began := time.Now()
	if err := cp.startEtcd(etcdBin); err != nil {
		return nil, err
	}
	etcdReady := time.Now()
	cp.logf("testbed: etcd ready at %s in %s", cp.etcdURL, etcdReady.Sub(began).Round(time.Millisecond))

	if err := cp.writeAPIServerFiles(); err != nil {
		return nil, err
	}
	if err := cp.startAPIServer(apiBin, opts.ExtraAPIServerFlags); err != nil {
		return nil, err
	}
	cp.logf("testbed: kube-apiserver ready at %s in %s (logs in %s)", cp.cfg.Host, time.Since(etcdReady).Round(time.Millisecond), dir)

	if opts.CRDDir != "" {
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		defer cancel()
		crdBegan := time.Now()
		names, err := installCRDs(ctx, cp.cfg, opts.CRDDir)
		if err != nil {
			return nil, err
		}
		cp.logf("testbed: installed %d CRDs in %s", len(names), time.Since(crdBegan).Round(time.Millisecond))
	}
	return cp, nil
}

// startEtcd starts a single-member etcd on two fresh loopback ports.
func (cp *ControlPlane) startEtcd(bin string) error {
	cp.etcd = &process{name: "etcd", path: bin, dir: cp.dir, logPath: filepath.Join(cp.dir, "etcd.log")}
	client := &http.Client{Timeout: 2 * time.Second}
	var err error
	for attempt := 1; attempt <= apiStartAttempts; attempt++ {
		var ports []int
		if ports, err = freePorts(2); err != nil {
			return err
		}
		clientURL := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
		peerURL := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
		cp.etcdURL = clientURL
		cp.etcd.args = []string{
			"--name=testbed",
			"--data-dir=" + filepath.Join(cp.dir, "etcd-data"),
			"--listen-client-urls=" + clientURL,
			"--advertise-client-urls=" + clientURL,
			"--listen-peer-urls=" + peerURL,
			"--initial-advertise-peer-urls=" + peerURL,
			"--initial-cluster=testbed=" + peerURL,
			// Durability is pointless for a throwaway store and fsync dominates its latency.
			"--unsafe-no-fsync=true",
		}
		if err = cp.etcd.start(); err != nil {
			return err
		}
		err = waitReady(cp.etcd, func(ctx context.Context) error {
			return httpOK(ctx, client, clientURL+"/health", nil)
		})
		if !errors.Is(err, errBindConflict) {
			return err
		}
		// A half-initialised data dir would make the next attempt join the wrong peer URL.
		_ = os.RemoveAll(filepath.Join(cp.dir, "etcd-data"))
	}
	return err
}

// writeAPIServerFiles writes the service-account key pair and the token file.
func (cp *ControlPlane) writeAPIServerFiles() error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return err
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	if err := os.WriteFile(filepath.Join(cp.dir, "sa.key"), keyPEM, 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(cp.dir, "sa.pub"), pubPEM, 0o644); err != nil {
		return err
	}
	tok := make([]byte, 24)
	if _, err := rand.Read(tok); err != nil {
		return err
	}
	cp.token = hex.EncodeToString(tok)
	// Format: token,user,uid,"group1,group2".
	line := fmt.Sprintf("%s,testbed-admin,testbed-admin,\"system:masters\"\n", cp.token)
	return os.WriteFile(filepath.Join(cp.dir, "tokens.csv"), []byte(line), 0o600)
}

// startAPIServer starts kube-apiserver on a fresh port and builds the admin config.
func (cp *ControlPlane) startAPIServer(bin string, extra []string) error {
	cp.apiserver = &process{name: "kube-apiserver", path: bin, dir: cp.dir, logPath: filepath.Join(cp.dir, "kube-apiserver.log")}
	var err error
	for attempt := 1; attempt <= apiStartAttempts; attempt++ {
		if cp.apiPort, err = FreePort(); err != nil {
			return err
		}
		cp.apiserver.args = append(cp.apiServerArgs(), extra...)
		if err = cp.runAPIServer(); !errors.Is(err, errBindConflict) {
			break
		}
	}
	if err != nil {
		return err
	}
	return cp.buildClientConfig()
}

func (cp *ControlPlane) apiServerArgs() []string {
	args := []string{
		"--etcd-servers=" + cp.etcdURL,
		"--cert-dir=" + filepath.Join(cp.dir, "apiserver-certs"),
		fmt.Sprintf("--secure-port=%d", cp.apiPort),
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		// The default reconciler rejects a loopback advertise address.
		"--endpoint-reconciler-type=none",
		"--service-cluster-ip-range=10.0.0.0/24",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + filepath.Join(cp.dir, "sa.pub"),
		"--service-account-signing-key-file=" + filepath.Join(cp.dir, "sa.key"),
		"--token-auth-file=" + filepath.Join(cp.dir, "tokens.csv"),
		"--authorization-mode=RBAC",
		"--allow-privileged=true",
	}
	if !cp.saAdm {
		// The ServiceAccount admission plugin waits for token controllers that do not run here.
		args = append(args, "--disable-admission-plugins=ServiceAccount")
	}
	return args
}

// runAPIServer starts the process with its current args and waits for /readyz.
func (cp *ControlPlane) runAPIServer() error {
	if err := cp.apiserver.start(); err != nil {
		return err
	}
	// The serving certificate is self-signed and may not exist yet, so readiness skips
	// verification; the client config built afterwards verifies against it.
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // loopback readiness probe only
	}}
	defer client.CloseIdleConnections()
	url := fmt.Sprintf("https://127.0.0.1:%d/readyz", cp.apiPort)
	hdr := http.Header{"Authorization": {"Bearer " + cp.token}}
	return waitReady(cp.apiserver, func(ctx context.Context) error {
		return httpOK(ctx, client, url, hdr)
	})
}

// buildClientConfig creates the admin rest.Config and the kubeconfig file.
func (cp *ControlPlane) buildClientConfig() error {
	// With a host that is an IP, the generated certificate carries that IP as a SAN, and the
	// bundle file includes its self-signed CA: it is all a client needs to verify.
	ca, err := os.ReadFile(filepath.Join(cp.dir, "apiserver-certs", "apiserver.crt"))
	if err != nil {
		return fmt.Errorf("reading the apiserver's self-signed certificate: %w", err)
	}
	cp.cfg = &rest.Config{
		Host:            fmt.Sprintf("https://127.0.0.1:%d", cp.apiPort),
		BearerToken:     cp.token,
		TLSClientConfig: rest.TLSClientConfig{CAData: ca},
		// Tests create objects in bursts; client-side throttling would only slow them down.
		QPS:   500,
		Burst: 1000,
	}
	cp.kubeconfig = filepath.Join(cp.dir, "kubeconfig")
	return writeKubeconfig(cp.kubeconfig, cp.cfg)
}

// RestartAPIServer stops kube-apiserver and starts it again on the same port against the same
// etcd, so clients keep their config. It is meant for tests of how controllers ride out an
// apiserver outage.
func (cp *ControlPlane) RestartAPIServer(t testing.TB) {
	t.Helper()
	began := time.Now()
	cp.apiserver.stop()
	stopped := time.Now()
	err := cp.runAPIServer()
	// The port was ours a moment ago; a conflict can only be a short race, so retry in place.
	for errors.Is(err, errBindConflict) && time.Since(stopped) < 10*time.Second {
		time.Sleep(200 * time.Millisecond)
		err = cp.runAPIServer()
	}
	if err != nil {
		t.Fatalf("testbed: restarting kube-apiserver: %v", err)
	}
	t.Logf("testbed: kube-apiserver stopped in %s, ready again in %s",
		stopped.Sub(began).Round(time.Millisecond), time.Since(stopped).Round(time.Millisecond))
}

// Stop stops kube-apiserver and then etcd (the other order makes the apiserver ignore SIGTERM
// for most of a minute). It is idempotent; from TestMain it also removes the temp dir.
func (cp *ControlPlane) Stop() {
	cp.stopOnce.Do(func() {
		began := time.Now()
		cp.stopProcesses()
		cp.logf("testbed: control plane stopped in %s", time.Since(began).Round(time.Millisecond))
		if cp.ownsDir {
			_ = os.RemoveAll(cp.dir)
		}
	})
}

func (cp *ControlPlane) stopProcesses() {
	if cp.apiserver != nil {
		cp.apiserver.stop()
	}
	if cp.etcd != nil {
		cp.etcd.stop()
	}
}

// EtcdURL returns etcd's client URL, e.g. for tests that inspect stored objects.
func (cp *ControlPlane) EtcdURL() string { return cp.etcdURL }

// Pids returns the process ids of etcd and kube-apiserver (0 for one not running), for
// benchmarks that account the control plane's CPU.
func (cp *ControlPlane) Pids() (etcd, apiserver int) {
	return cp.etcd.pid(), cp.apiserver.pid()
}

// Dir returns the directory holding the control plane's data, certificates and logs.
func (cp *ControlPlane) Dir() string { return cp.dir }

// waitReady waits for p with the package's start timeout.
func waitReady(p *process, ready func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	err := p.waitReady(ctx, 50*time.Millisecond, ready)
	if err != nil {
		p.stop()
	}
	return err
}
