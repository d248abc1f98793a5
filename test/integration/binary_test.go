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
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/test/testbed"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// controllerProcess is a running controller binary with its log.
type controllerProcess struct {
	cmd             *exec.Cmd
	log             *suite.SyncBuffer
	metrics, probes string
}

// startControllerProcess runs the built binary as users do, with leader election in leaseNS.
func startControllerProcess(t *testing.T, leaseNS string, extra ...string) *controllerProcess {
	t.Helper()
	p := &controllerProcess{log: &suite.SyncBuffer{}, metrics: suite.FreeAddr(t), probes: suite.FreeAddr(t)}
	args := append([]string{"--kubeconfig", controlPlane.Kubeconfig(), "--leader-elect",
		"--leader-election-namespace", leaseNS, "--metrics-bind-address", p.metrics,
		"--health-probe-bind-address", p.probes, "--workers", "2", "-v", "5"}, extra...)
	p.cmd = exec.Command(testbed.BuildBinary(t, "./cmd/controller"), args...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.stop(t) })
	return p
}

func (p *controllerProcess) stop(t *testing.T) {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
		t.Errorf("controller did not stop within 20s of SIGTERM")
	}
}

// seedPattern matches an nkey seed of any kind.
var seedPattern = regexp.MustCompile(`S[OAUNCX][A-Z2-7]{56}`)

// TestControllerBinary runs two replicas of the real binary with leader election: exactly one
// leads and reconciles, both serve health probes, the leader's /metrics has the workqueue and
// sync metrics, and neither log nor any event carries a seed or a user JWT.
func TestControllerBinary(t *testing.T) {
	ns := controlPlane.NewNamespace(t)
	a := startControllerProcess(t, ns)
	b := startControllerProcess(t, ns)
	ctx := suite.Context(t)

	suite.WaitFor(t, ctx, "both replicas are healthy and ready", func() bool {
		for _, p := range []*controllerProcess{a, b} {
			if c, _ := suite.HTTPGet("http://" + p.probes + "/healthz"); c != 200 {
				return false
			}
			if c, _ := suite.HTTPGet("http://" + p.probes + "/readyz"); c != 200 {
				return false
			}
		}
		return true
	})
	lease, err := controlPlane.KubeClient().CoordinationV1().Leases(ns).Get(ctx, "nats-auth-controller", metav1.GetOptions{})
	if err != nil || lease.Spec.HolderIdentity == nil {
		t.Fatalf("leader lease: %v", err)
	}

	suite.CreateOperator(t, ns, "bin", nil)
	user := suite.WaitUserReady(t, ns, naming.ResolverUser("bin"))

	// Exactly one replica reconciled: only the leader logged a sync.
	leaders := 0
	for _, p := range []*controllerProcess{a, b} {
		if strings.Contains(p.log.String(), "Started leading") {
			leaders++
		}
	}
	if leaders != 1 {
		t.Errorf("%d replicas lead, want 1", leaders)
	}
	var m string
	suite.WaitFor(t, ctx, "metrics of the leader", func() bool {
		for _, p := range []*controllerProcess{a, b} {
			if c, body := suite.HTTPGet("http://" + p.metrics + "/metrics"); c == 200 && strings.Contains(body, "natsauth_syncs_total") &&
				strings.Contains(body, "natsauth_jwts_issued_total") {
				m = body
				return true
			}
		}
		return false
	})
	for _, want := range []string{`workqueue_adds_total{name="operator-controller"}`, `workqueue_depth{name="user-controller"}`,
		`natsauth_syncs_total{controller="account-controller",result="success"}`, `natsauth_jwts_issued_total{kind="user"}`} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// No secret material in logs or events.
	creds := suite.GetSecret(t, ns, user.Status.SecretName)
	userJWT := string(creds.Data[naming.UserJWT])
	evs, err := controlPlane.KubeClient().CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var events strings.Builder
	for _, e := range evs.Items {
		events.WriteString(e.Message + "\n")
	}
	for name, text := range map[string]string{"replica a log": a.log.String(), "replica b log": b.log.String(), "events": events.String()} {
		if seedPattern.MatchString(text) {
			t.Errorf("%s contains a seed", name)
		}
		if userJWT != "" && strings.Contains(text, userJWT) {
			t.Errorf("%s contains a user JWT", name)
		}
		if strings.Contains(text, "BEGIN USER NKEY SEED") {
			t.Errorf("%s contains a creds file", name)
		}
	}
}

// TestControllerBinaryFlags checks that invalid flags fail fast with a clear message.
func TestControllerBinaryFlags(t *testing.T) {
	out, err := exec.Command(testbed.BuildBinary(t, "./cmd/controller"), "--workers", "0", "--kubeconfig", controlPlane.Kubeconfig()).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "--workers must be at least 1") {
		t.Fatalf("--workers 0: err %v, output:\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err = exec.CommandContext(ctx, testbed.BuildBinary(t, "./cmd/controller"), "--kubeconfig", "/nonexistent/kubeconfig").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "kubeconfig") {
		t.Fatalf("missing kubeconfig: err %v, output:\n%s", err, out)
	}
}
