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

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// TestMain removes the binaries the tests built.
func TestMain(m *testing.M) { os.Exit(testbed.RunTests(m)) }

// TestDemo runs what `make demo DEMO_EXIT=1` runs, in-process, so CI proves the README's command
// works: the whole system comes up from the examples, the client sees ALLOW, DENY and REVOKED,
// and everything is stopped again. The binaries are built from the current source, since a
// stale ./bin would prove nothing.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd, kube-apiserver, nats-server and both binaries")
	}
	root, err := testbed.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	controller := testbed.BuildBinary(t, "./cmd/controller")
	resolver := testbed.BuildBinary(t, "./cmd/resolver")

	for _, tc := range []struct {
		name     string
		resolver string
		want     string
	}{
		{"resolver binary", resolver, "the resolver pushed the account JWT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := defaultOptions(root)
			opts.StateDir = t.TempDir()
			opts.ControllerBin, opts.ResolverBin = controller, tc.resolver
			opts.ExitAfterCheck = true
			// The binary's default: it bounds etcd's and kube-apiserver's start too, which a
			// loaded two-core machine can stretch well past the idle ten seconds.
			opts.Timeout = 3 * time.Minute
			out := &lockedBuffer{}
			opts.Out = out
			began := time.Now()
			err := run(t.Context(), opts)
			t.Logf("demo output:\n%s", out.String())
			if err != nil {
				t.Fatalf("demo failed after %s: %v", time.Since(began).Round(time.Millisecond), err)
			}
			t.Logf("demo passed and stopped in %s", time.Since(began).Round(time.Millisecond))
			for _, want := range []string{"ALLOW publish orders.api.hello", "DENY publish orders.events.created",
				"REVOKED: disconnected after", tc.want, "stopped in"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q", want)
				}
			}
			// The kubeconfig names a cluster that is gone; the logs stay for inspection.
			if _, err := os.Stat(filepath.Join(opts.StateDir, "kubeconfig")); !os.IsNotExist(err) {
				t.Errorf("kubeconfig left behind: %v", err)
			}
			if _, err := os.Stat(filepath.Join(opts.StateDir, "controller.log")); err != nil {
				t.Errorf("controller log: %v", err)
			}
		})
	}
}

// lockedBuffer collects the demo's output, which several goroutines write.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
