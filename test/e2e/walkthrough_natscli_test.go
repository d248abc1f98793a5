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

package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/natsauth/nats-auth-operator/test/manifests"
	"github.com/natsauth/nats-auth-operator/test/testbed"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// readmeIntegrationsHeading is the README section whose walkthroughs these tests run.
const readmeIntegrationsHeading = "## With the official NATS helm chart, NACK and the nats CLI"

// natsCLIWalkthrough is the README's nats CLI walkthrough, line by line, as the README shows it.
var natsCLIWalkthrough = []string{
	`(umask 077; kubectl get secret -n apps api -o jsonpath='{.data.user\.creds}' | base64 -d > api.creds)`,
	`nats --server nats://nats.nats.svc:4222 --creds api.creds sub 'orders.api.>' --count 1 &`,
	`nats --server nats://nats.nats.svc:4222 --creds api.creds pub orders.api.hello hi`,
	`nats --server nats://nats.nats.svc:4222 --creds api.creds pub orders.events.created hi`,
}

// TestWalkthroughNatsCLI runs the README's nats CLI walkthrough with the real nats CLI (built by
// hack/install-test-deps.sh) against a real nats-server in operator mode configured from the
// rendered server-config Secret, with the creds of the example NatsUser apps/api read from its
// generated Secret by kubectl. Only the server URL and the kubeconfig differ from the README.
// It proves: the Secret's user.creds works as the CLI's --creds file; an allowed subject is
// published and delivered to the CLI's subscriber; a subject the NatsUser does not allow is
// refused by the server and the CLI exits non-zero with the permissions violation.
func TestWalkthroughNatsCLI(t *testing.T) {
	natsBin := toolBinary(t, "nats")
	section := readmeSection(t, readmeIntegrationsHeading)
	block := readmeBlock(t, section, "TestWalkthroughNatsCLI")
	if got, want := strings.Join(block, "\n"), strings.Join(natsCLIWalkthrough, "\n"); got != want {
		t.Fatalf("the README's nats CLI walkthrough is not what this test runs:\n--- README\n%s\n--- test\n%s", got, want)
	}
	sys := startWalkthroughSystem(t)
	sh := newWalkthroughShell(t, map[string]string{readmeNatsURL: sys.nats.ClientURL()},
		filepath.Dir(natsBin), filepath.Dir(manifests.KubectlBinary(t)))

	if out, err := sh.run(natsCLIWalkthrough[0]); err != nil {
		t.Fatalf("reading the creds Secret: %v\n%s", err, out)
	}
	fi, err := os.Stat(filepath.Join(sh.dir, "api.creds"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("api.creds has mode %v, want a private file", fi.Mode())
	}

	sub := sh.start(natsCLIWalkthrough[1])
	sub.waitOutput(t, "Subscribing on orders.api.>")
	waitServerSubscription(t, sys.nats, "orders.api.>")

	out, err := sh.run(natsCLIWalkthrough[2])
	if err != nil || !strings.Contains(out, `Published 2 bytes to "orders.api.hello"`) {
		t.Fatalf("allowed publish: %v\n%s", err, out)
	}
	if err := sub.wait(10 * time.Second); err != nil {
		t.Fatalf("the subscriber: %v\n%s", err, sub.output())
	}
	if got := sub.output(); !strings.Contains(got, `Received on "orders.api.hello"`) || !strings.Contains(got, "hi") {
		t.Fatalf("the subscriber did not receive the allowed message:\n%s", got)
	}

	out, err = sh.run(natsCLIWalkthrough[3])
	if err == nil {
		t.Fatalf("the denied publish succeeded:\n%s", out)
	}
	if !strings.Contains(out, `Permissions Violation for Publish to "orders.events.created"`) {
		t.Fatalf("the denied publish failed without the server's permissions violation: %v\n%s", err, out)
	}
}

// walkthroughShell runs README command lines with bash in a private working directory, with
// the test's kubeconfig and ./bin first on PATH, after replacing the README's addresses.
type walkthroughShell struct {
	t       *testing.T
	bash    string
	dir     string
	env     []string
	replace map[string]string
}

func newWalkthroughShell(t *testing.T, replace map[string]string, pathDirs ...string) *walkthroughShell {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatalf("the walkthroughs are bash: %v", err)
	}
	path := strings.Join(append(pathDirs, os.Getenv("PATH")), string(os.PathListSeparator))
	env := append(os.Environ(), "KUBECONFIG="+controlPlane.Kubeconfig(), "PATH="+path,
		// The nats CLI reads contexts from $XDG_CONFIG_HOME; keep a developer's out of the test.
		"XDG_CONFIG_HOME="+t.TempDir(), "HOME="+t.TempDir())
	return &walkthroughShell{t: t, bash: bash, dir: t.TempDir(), env: env, replace: replace}
}

func (s *walkthroughShell) command(ctx context.Context, line string) *exec.Cmd {
	for from, to := range s.replace {
		line = strings.ReplaceAll(line, from, to)
	}
	cmd := exec.CommandContext(ctx, s.bash, "-o", "pipefail", "-c", line)
	cmd.Dir, cmd.Env = s.dir, s.env
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// run runs one line to completion (at most a minute) and returns its combined output.
func (s *walkthroughShell) run(line string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := s.command(ctx, line).CombinedOutput()
	return string(out), err
}

// start runs a line that ends in & (a command the README leaves running) in the background. It
// is killed when the test ends.
func (s *walkthroughShell) start(line string) *backgroundCommand {
	s.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	b := &backgroundCommand{done: make(chan struct{})}
	cmd := s.command(ctx, strings.TrimSuffix(strings.TrimSpace(line), "&"))
	cmd.Stdout, cmd.Stderr = &b.buf, &b.buf
	if err := cmd.Start(); err != nil {
		cancel()
		s.t.Fatalf("start %q: %v", line, err)
	}
	go func() { b.err = cmd.Wait(); close(b.done) }()
	s.t.Cleanup(func() { cancel(); <-b.done })
	return b
}

// backgroundCommand is a command started by walkthroughShell.start.
type backgroundCommand struct {
	buf  suite.SyncBuffer
	done chan struct{}
	err  error
}

func (b *backgroundCommand) output() string { return b.buf.String() }

// waitOutput waits up to 30s until the output contains s.
func (b *backgroundCommand) waitOutput(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(b.output(), s) {
		select {
		case <-b.done:
			t.Fatalf("the command exited (%v) before printing %q:\n%s", b.err, s, b.output())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q within 30s:\n%s", s, b.output())
		}
	}
}

// wait waits for the command to exit and returns its error.
func (b *backgroundCommand) wait(d time.Duration) error {
	select {
	case <-b.done:
		return b.err
	case <-time.After(d):
		return context.DeadlineExceeded
	}
}

// waitServerSubscription waits until the server has a subscription on subject: the nats CLI
// prints "Subscribing on" before it subscribes, so a publish right after could come too early.
func waitServerSubscription(t *testing.T, s *testbed.NatsServer, subject string) {
	t.Helper()
	suite.WaitFor(t, suite.Context(t), "nats-server "+s.Name()+" has a subscription on "+subject, func() bool {
		code, body := suite.HTTPGet(s.MonitorURL() + "/connz?subs=1")
		var connz struct {
			Connections []struct {
				Subs []string `json:"subscriptions_list"`
			} `json:"connections"`
		}
		if code != 200 || json.Unmarshal([]byte(body), &connz) != nil {
			return false
		}
		for _, c := range connz.Connections {
			for _, sub := range c.Subs {
				if sub == subject {
					return true
				}
			}
		}
		return false
	})
}
