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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// TestMain removes the binaries the tests built.
func TestMain(m *testing.M) { os.Exit(testbed.RunTests(m)) }

// TestSoakSmoke runs the chaos soak for about two minutes, as CI's smoke run: the same harness
// as `make soak`, with every fault kind injected at least once, and no violation allowed. The
// binaries are built from the current source, since a stale ./bin would prove nothing.
func TestSoakSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd, kube-apiserver, three nats-servers and four replicas for minutes")
	}
	root, err := testbed.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	opts := defaultOptions(root)
	opts.StateDir = t.TempDir()
	opts.ControllerBin = testbed.BuildBinary(t, "./cmd/controller")
	opts.ResolverBin = testbed.BuildBinary(t, "./cmd/resolver")
	opts.Duration = 2 * time.Minute
	// Six fault kinds in two minutes, each followed by a pause.
	opts.FaultMinGap, opts.FaultMaxGap = 3*time.Second, 8*time.Second
	opts.Settle = 4 * time.Minute
	opts.FuzzTime = 0 // CI runs the fuzz seeds as ordinary tests
	out := &lockedBuffer{}
	opts.Out = out
	res, err := run(t.Context(), opts)
	t.Logf("soak output:\n%s", out.String())
	if err != nil {
		t.Fatalf("the soak could not run: %v", err)
	}
	for _, kind := range faultKinds {
		if res.Faults[kind] == 0 {
			t.Errorf("fault %q was never injected", kind)
		}
	}
	for _, v := range res.Violations {
		t.Errorf("violation: %s", v)
	}
	if len(res.Violations) > 0 {
		t.Logf("logs of every process: %s (kept until the test ends)", opts.StateDir)
		t.Logf("repeat with: make soak SOAK_ARGS='--duration 2m --seed %d'", res.Seed)
	}
	if total := sum(res.Ops); total < 50 {
		t.Errorf("only %d workload operations ran", total)
	}
	if !strings.Contains(out.String(), "stopped everything") {
		t.Errorf("the soak did not stop what it started")
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// lockedBuffer collects the soak's output, which several goroutines write.
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
