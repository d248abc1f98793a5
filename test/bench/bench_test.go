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
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// TestBenchSmoke runs the smoke mode of `make bench` (W1 with 50 users and a 5 s quiet window)
// in-process, so CI keeps the harness working. It asserts no timings, only that the run
// completes and prints its figures: numbers on a shared CI machine are noise.
func TestBenchSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd, kube-apiserver and the controller binary")
	}
	root, err := testbed.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command builds the controller under test: %v", err)
	}
	// Built from the current source, since a stale ./bin would prove nothing.
	controller := filepath.Join(t.TempDir(), "controller")
	began := time.Now()
	cmd := exec.CommandContext(t.Context(), goTool, "build", "-o", controller, "./cmd/controller")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/controller: %v\n%s", err, out)
	}
	t.Logf("built the controller in %s", time.Since(began).Round(time.Millisecond))

	var out bytes.Buffer
	opts := defaultOptions(root)
	opts.StateDir = t.TempDir()
	opts.ControllerBin = controller
	opts.Users = []int{50}
	opts.QuietWindow = 5 * time.Second
	opts.Timeout = 2 * time.Minute
	opts.Workloads = []string{"W1", "W2"}
	opts.Out = &out
	results, err := runAll(t.Context(), opts)
	t.Logf("output:\n%s", out.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || results[0].Users != 50 || results[0].Converge <= 0 || results[0].Floor <= 0 {
		t.Fatalf("want one W1 row with 50 users and both durations measured, got %+v", results)
	}
	for _, want := range []string{"| W1 | 50 |", "writes/user", "raw floor:", "W2 (", "not implemented yet"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

// TestBenchNATSSmoke runs the NATS workload with 5 trials and a 3 s quiet window: the control
// plane, the controller and resolver binaries built from the current source, and a 3-server
// nats-server cluster. Like TestBenchSmoke it asserts no timings, only that every figure is
// measured and printed.
func TestBenchNATSSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd, kube-apiserver, three nats-servers and the controller and resolver binaries")
	}
	root, err := testbed.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command builds the binaries under test: %v", err)
	}
	bins := t.TempDir()
	began := time.Now()
	for _, name := range []string{"controller", "resolver"} {
		cmd := exec.CommandContext(t.Context(), goTool, "build", "-o", filepath.Join(bins, name), "./cmd/"+name)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build ./cmd/%s: %v\n%s", name, err, out)
		}
	}
	t.Logf("built the controller and the resolver in %s", time.Since(began).Round(time.Millisecond))

	saved := natsTrials
	natsTrials = 5
	t.Cleanup(func() { natsTrials = saved })
	var out bytes.Buffer
	opts := defaultOptions(root)
	opts.StateDir = t.TempDir()
	opts.ControllerBin = filepath.Join(bins, "controller")
	opts.ResolverBin = filepath.Join(bins, "resolver")
	opts.QuietWindow = 3 * time.Second
	opts.Timeout = 2 * time.Minute
	opts.Workloads = []string{natsWorkload}
	opts.Out = &out
	_, err = runAll(t.Context(), opts)
	t.Logf("output:\n%s", out.String())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| NatsUser deleted → its client disconnected on 3 of 3 servers | 5 | p50 ",
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
