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
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/test/testbed"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// apiOutage is how long the apiserver is unreachable: longer than the Lease duration (15s) and
// the renew deadline (10s) of both binaries' leader election, so a leader cannot keep its Lease.
const apiOutage = 20 * time.Second

// apiProxy forwards TCP connections to the apiserver and can cut them: while cut, the port
// refuses connections and every open connection (watches included) is closed, which is what
// clients see of a stopped kube-apiserver. The shared apiserver keeps running for other tests.
type apiProxy struct {
	t      *testing.T
	addr   string
	target string

	mu    sync.Mutex
	l     net.Listener
	conns map[net.Conn]bool
}

func startAPIProxy(t *testing.T, target string) *apiProxy {
	t.Helper()
	p := &apiProxy{t: t, target: target, conns: map[net.Conn]bool{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = l.Addr().String()
	p.serve(l)
	t.Cleanup(p.cut)
	return p
}

func (p *apiProxy) serve(l net.Listener) {
	p.mu.Lock()
	p.l = l
	p.mu.Unlock()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
}

func (p *apiProxy) forward(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = c.Close()
		return
	}
	p.mu.Lock()
	if p.l == nil { // cut meanwhile
		p.mu.Unlock()
		_, _ = c.Close(), up.Close()
		return
	}
	p.conns[c], p.conns[up] = true, true
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) { _, _ = io.Copy(dst, src); done <- struct{}{} }
	go pipe(up, c)
	go pipe(c, up)
	<-done
	_, _ = c.Close(), up.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

// cut closes the listener and every connection.
func (p *apiProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.l != nil {
		_ = p.l.Close()
		p.l = nil
	}
	for c := range p.conns {
		_ = c.Close()
	}
	clear(p.conns)
}

// restore listens on the same address again.
func (p *apiProxy) restore() {
	p.t.Helper()
	var l net.Listener
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
		var err error
		l, err = net.Listen("tcp", p.addr)
		return err == nil, nil
	})
	if err != nil {
		p.t.Fatalf("re-listen on %s: %v", p.addr, err)
	}
	p.serve(l)
}

// kubeconfig writes a kubeconfig with the admin credentials that reaches the apiserver through
// the proxy (the serving certificate is for 127.0.0.1, like the proxy's address).
func (p *apiProxy) kubeconfig() string {
	p.t.Helper()
	cfg := controlPlane.Config()
	kc := clientcmdapi.NewConfig()
	kc.Clusters["proxy"] = &clientcmdapi.Cluster{Server: "https://" + p.addr, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["admin"] = &clientcmdapi.AuthInfo{Token: cfg.BearerToken}
	kc.Contexts["proxy"] = &clientcmdapi.Context{Cluster: "proxy", AuthInfo: "admin"}
	kc.CurrentContext = "proxy"
	path := filepath.Join(p.t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		p.t.Fatal(err)
	}
	return path
}

// supervised runs a binary the way a kubelet runs a container with restartPolicy Always: when
// it exits it is started again after a pause, and every exit is recorded.
type supervised struct {
	t               *testing.T
	name            string
	bin             string
	args            []string
	metrics, probes string
	log             *suite.SyncBuffer

	mu      sync.Mutex
	cmd     *exec.Cmd
	exits   []string
	stopped bool
	done    chan struct{}
}

func supervise(t *testing.T, name, bin string, args ...string) *supervised {
	t.Helper()
	s := &supervised{t: t, name: name, bin: bin, log: &suite.SyncBuffer{}, metrics: suite.FreeAddr(t), probes: suite.FreeAddr(t), done: make(chan struct{})}
	s.args = append(args, "--metrics-bind-address", s.metrics, "--health-probe-bind-address", s.probes, "-v", "2")
	go s.loop()
	t.Cleanup(s.stop)
	return s
}

func (s *supervised) loop() {
	defer close(s.done)
	for {
		s.mu.Lock()
		if s.stopped {
			s.mu.Unlock()
			return
		}
		cmd := exec.Command(s.bin, s.args...)
		cmd.Stdout, cmd.Stderr = s.log, s.log
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		err := cmd.Start()
		s.cmd = cmd
		s.mu.Unlock()
		if err == nil {
			err = cmd.Wait()
		}
		s.mu.Lock()
		if s.stopped {
			s.mu.Unlock()
			return
		}
		s.exits = append(s.exits, fmt.Sprintf("%s: %v", time.Now().Format("15:04:05.000"), err))
		fmt.Fprintf(s.log, "---- %s exited (%v); restarting in 1s ----\n", s.name, err)
		s.mu.Unlock()
		time.Sleep(time.Second)
	}
}

// exitCount returns how often the binary exited.
func (s *supervised) exitCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.exits)
}

func (s *supervised) exitList() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.exits...)
}

func (s *supervised) stop() {
	s.mu.Lock()
	s.stopped = true
	cmd := s.cmd
	s.mu.Unlock()
	if cmd != nil && cmd.Process != nil {
		_ = cmd.Process.Signal(syscall.SIGTERM)
	}
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		if cmd != nil && cmd.Process != nil {
			_ = cmd.Process.Kill()
		}
		s.t.Errorf("%s did not stop within 20s of SIGTERM", s.name)
	}
}

func (s *supervised) probe(path string) int {
	code, _ := suite.HTTPGet("http://" + s.probes + path)
	return code
}

// TestUnavailableAPIServer runs the controller and the resolver binaries against an apiserver
// that becomes unreachable, and proves that neither crash-loops and both recover:
//   - with leader election, as deployed, for longer than the Lease: a leader that cannot renew
//     its Lease exits once, on purpose (it must stop working before another replica may start),
//     and its restart waits for the apiserver without exiting again, /healthz answering;
//   - without leader election: neither binary exits at all.
//
// When the apiserver returns both work again: an account changed afterwards is re-signed by the
// controller and pushed to the nats-server by the resolver, and a new user gets its creds.
func TestUnavailableAPIServer(t *testing.T) {
	t.Run("leader-election", func(t *testing.T) { testAPIServerOutage(t, true, apiOutage) })
	t.Run("no-leader-election", func(t *testing.T) { testAPIServerOutage(t, false, 12*time.Second) })
}

func testAPIServerOutage(t *testing.T, leaderElect bool, outage time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	ns := controlPlane.NewNamespace(t)
	proxy := startAPIProxy(t, strings.TrimPrefix(controlPlane.Config().Host, "https://"))
	kubeconfig := proxy.kubeconfig()
	leader := []string{"--kubeconfig", kubeconfig}
	if leaderElect {
		leader = append(leader, "--leader-elect", "--leader-election-namespace", ns)
	}
	ctrl := supervise(t, "controller", testbed.BuildBinary(t, "./cmd/controller"), append(leader, "--workers", "2")...)

	e := &resolverEnv{t: t, ctx: ctx, ns: ns}
	e.op = suite.CreateOperator(t, ns, "main", nil)
	auth := string(suite.GetSecret(t, ns, e.op.Status.ServerConfigSecret).Data[naming.AuthConf])
	e.servers = testbed.StartNatsCluster(t, 1, testbed.NatsOptions{ConfigText: suite.ResolverPerServerJWTDir(t, auth)})
	e.credsFile = filepath.Join(t.TempDir(), "resolver.creds")
	if err := os.WriteFile(e.credsFile, suite.GetSecret(t, ns, naming.ResolverCredsSecret("main")).Data[naming.UserCreds], 0o600); err != nil {
		t.Fatal(err)
	}
	res := supervise(t, "resolver", testbed.BuildBinary(t, "./cmd/resolver"), append(leader, "--operator", ns+"/main", "--nats-url", e.servers[0].ClientURL(),
		"--creds", e.credsFile, "--push-timeout", "2s", "--drift-interval", "5s")...)
	e.createAccount("orders")
	e.waitFullyPushed("orders")
	both := []*supervised{ctrl, res}
	suite.WaitFor(t, ctx, "both binaries are ready", func() bool { return ctrl.probe("/readyz") == 200 && res.probe("/readyz") == 200 })

	proxy.cut()
	began := time.Now()
	t.Logf("apiserver unreachable for %s", outage)
	allowedExits := 0
	if leaderElect {
		allowedExits = 1 // the lost Lease
	}
	exitsAt := map[*supervised]int{}
	for time.Since(began) < outage {
		time.Sleep(500 * time.Millisecond)
		for _, p := range both {
			if n := p.exitCount(); n > allowedExits {
				t.Fatalf("%s is crash-looping while the apiserver is down: exits %v\n%s", p.name, p.exitList(), tail(p.log.String(), 40))
			}
		}
	}
	if leaderElect {
		// Keep the apiserver away until each leader has lost its Lease, exited and been restarted:
		// on a slow machine that can take longer than the outage, and an exit after the restore
		// would be misread as one caused by the apiserver's return.
		settled := func() bool {
			for _, p := range both {
				if p.exitCount() < 1 || p.probe("/healthz") != 200 {
					return false
				}
			}
			return true
		}
		deadline := time.Now().Add(time.Minute)
		for !settled() && time.Now().Before(deadline) {
			time.Sleep(500 * time.Millisecond)
			for _, p := range both {
				if n := p.exitCount(); n > allowedExits {
					t.Fatalf("%s is crash-looping while the apiserver is down: exits %v\n%s", p.name, p.exitList(), tail(p.log.String(), 40))
				}
			}
		}
		for _, p := range both {
			if p.exitCount() < 1 {
				t.Errorf("%s kept running %s after the apiserver went away: a leader that cannot renew its Lease must exit\n%s",
					p.name, time.Since(began).Round(time.Second), tail(p.log.String(), 40))
			}
		}
	}
	for _, p := range both {
		exitsAt[p] = p.exitCount()
		t.Logf("%s during the outage: exits %v, /healthz %d, /readyz %d", p.name, p.exitList(), p.probe("/healthz"), p.probe("/readyz"))
		if code := p.probe("/healthz"); code != 200 {
			t.Errorf("%s /healthz = %d at the end of the outage: a liveness probe would kill it", p.name, code)
		}
		if exitsAt[p] == 1 && !strings.Contains(p.log.String(), "lost the") {
			t.Errorf("%s exited for another reason than its lost Lease:\n%s", p.name, tail(p.log.String(), 40))
		}
	}

	proxy.restore()
	restored := time.Now()
	suite.WaitFor(t, ctx, "both binaries are ready again", func() bool { return ctrl.probe("/readyz") == 200 && res.probe("/readyz") == 200 })
	t.Logf("both ready %s after the apiserver returned", time.Since(restored).Round(time.Millisecond))
	if leaderElect {
		// A restarted replica takes the dead leader's Lease only a Lease duration (15s) after it
		// first reads it, which it can do only now: wait for that here, bounded by ctx, rather
		// than inside the 30s waits below, which are for the work itself.
		err := wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(context.Context) (bool, error) {
			for _, name := range []string{"nats-auth-controller", "nats-auth-resolver"} {
				l, err := controlPlane.KubeClient().CoordinationV1().Leases(ns).Get(ctx, name, metav1.GetOptions{})
				if err != nil || l.Spec.RenewTime == nil || !l.Spec.RenewTime.After(restored) {
					return false, nil
				}
			}
			return ctrl.probe("/readyz") == 200 && res.probe("/readyz") == 200, nil
		})
		if err != nil {
			t.Fatalf("waiting for both Leases to be renewed after the apiserver returned: %v", err)
		}
		t.Logf("both Leases held again %s after the apiserver returned", time.Since(restored).Round(time.Millisecond))
	}
	// Informers that failed during the outage re-list on their own jittered backoff (up to 30s
	// in client-go), which the first change must wait for on top of the work.
	e.patience = 2 * time.Minute
	changed := e.setConnLimit("orders", 9)
	e.waitStored(changed.Status.PublicKey, changed.Status.JWT, e.servers...)
	e.waitFullyPushed("orders")
	e.createUser("api", "orders")
	t.Logf("account change pushed and user issued %s after the apiserver returned", time.Since(restored).Round(time.Millisecond))
	for _, p := range both {
		if n := p.exitCount(); n != exitsAt[p] {
			t.Errorf("%s exited after the apiserver returned: %v\n%s", p.name, p.exitList(), tail(p.log.String(), 80))
		}
		if strings.Contains(p.log.String(), "panic") {
			t.Errorf("%s panicked:\n%s", p.name, tail(p.log.String(), 60))
		}
	}
	for _, lease := range []string{"nats-auth-controller", "nats-auth-resolver"} {
		if !leaderElect {
			break
		}
		l, err := controlPlane.KubeClient().CoordinationV1().Leases(ns).Get(ctx, lease, metav1.GetOptions{})
		if err != nil || l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity == "" {
			t.Errorf("Lease %s has no holder after the outage: %v", lease, err)
		}
	}
	if u, err := suite.NatsClient(t).NatsauthV1alpha1().NatsUsers(ns).Get(ctx, "api", metav1.GetOptions{}); err != nil ||
		!suite.IsReady(u.Status.Conditions, u.Generation) {
		t.Errorf("user api after the outage: %v", err)
	}
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
