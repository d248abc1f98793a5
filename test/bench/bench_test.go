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
	"testing"
	"time"

	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// TestMain removes the binaries the tests built.
func TestMain(m *testing.M) { os.Exit(testbed.RunTests(m)) }

// TestBenchSmoke runs the smoke mode of `make bench`: W1, W4 (restart) and W5 (delete all)
// with 50 users, nats-servers and the resolver, and a 3 s quiet window, so CI keeps every phase
// of the harness working. It asserts no timings, only that the runs complete and print their
// figures: numbers on a shared CI machine are noise.
func TestBenchSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd, kube-apiserver, three nats-servers and the controller and resolver binaries")
	}
	root, controller, resolver := buildBinaries(t)
	var out bytes.Buffer
	opts := defaultOptions(root)
	opts.StateDir = t.TempDir()
	opts.ControllerBin, opts.ResolverBin = controller, resolver
	opts.Users = []int{50}
	opts.QuietWindow = 3 * time.Second
	opts.Timeout = 2 * time.Minute
	opts.Workloads = []string{"W1", "W4", "W5"}
	opts.Out = &out
	results, err := runAll(t.Context(), opts)
	t.Logf("output:\n%s", out.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 3 {
		t.Fatalf("want W1, W4 and W5 rows, got %+v", results)
	}
	for _, r := range results {
		if r.Users != 50 || r.Converge <= 0 || r.Floor <= 0 || !r.Quiet.PushesCounted {
			t.Errorf("%s: want 50 users, both durations and the pushes measured, got %+v", r.Workload, r)
		}
	}
	if results[1].Restart == nil || results[1].Restart.CaughtUp <= 0 {
		t.Errorf("W4 restart not measured: %+v", results[1].Restart)
	}
	if results[2].Delete == nil || results[2].Delete.Revocations < 50 || results[2].Delete.JWTBytes == 0 {
		t.Errorf("W5 deletion not measured, or the account does not revoke the 50 users: %+v", results[2].Delete)
	}
	for _, want := range []string{"| W1 | 50 | 10 |", "| W4 | 50 | 5 |", "| W5 | 50 | 1 |", "writes/user", "raw floor:",
		"W4 restart with 50 users in place: ready after", "W5 delete of 50 users: all gone after"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

// buildBinaries returns the repository root and the controller and resolver built from the
// current source, since a stale ./bin would prove nothing.
func buildBinaries(t *testing.T) (root, controller, resolver string) {
	t.Helper()
	root, err := testbed.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root, testbed.BuildBinary(t, "./cmd/controller"), testbed.BuildBinary(t, "./cmd/resolver")
}

// TestBenchNATSSmoke runs the NATS workload with 5 trials and a 3 s quiet window: the control
// plane, the controller and resolver binaries built from the current source, and a 3-server
// nats-server cluster. Like TestBenchSmoke it asserts no timings, only that every figure is
// measured and printed.
func TestBenchNATSSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd, kube-apiserver, three nats-servers and the controller and resolver binaries")
	}
	root, controller, resolver := buildBinaries(t)
	saved := natsTrials
	natsTrials = 5
	t.Cleanup(func() { natsTrials = saved })
	var out bytes.Buffer
	opts := defaultOptions(root)
	opts.StateDir = t.TempDir()
	opts.ControllerBin, opts.ResolverBin = controller, resolver
	opts.QuietWindow = 3 * time.Second
	opts.Timeout = 2 * time.Minute
	opts.Workloads = []string{natsWorkload}
	opts.Out = &out
	_, err := runAll(t.Context(), opts)
	t.Logf("output:\n%s", out.String())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| NatsUser deleted → its client disconnected on 3 of 3 servers | 5 | p50 ",
		"after the previous one finished (not back to back) | 5 | p50 ",
		"| account limit edited → new JWT stored by 3 of 3 servers | 5 | p50 ",
		"→ the resolver's JWT reply | 100 | p50 ",
		"| quiet: resolver pushes in 3s after convergence |",
		"0 trials timed out",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
}
