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

// Command soak is the chaos soak behind `make soak`: the whole system on real processes (etcd,
// kube-apiserver, a 3-server nats-server cluster with full resolvers, two controller and two
// resolver replicas with leader election) under a workload that keeps creating, editing and
// deleting accounts and users while faults are injected at random times. When the faults stop and
// the system settled, invariants are checked; any violation makes it exit non-zero.
//
// It lives under test/ because it starts its processes with test/testbed, which the binaries must
// not link.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/natsauth/nats-auth-operator/test/testbed"
)

func main() {
	root, err := testbed.RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(2)
	}
	opts := defaultOptions(root)
	flag.DurationVar(&opts.Duration, "duration", opts.Duration, "How long the workload and the fault injector run.")
	flag.DurationVar(&opts.Settle, "settle", opts.Settle, "Bound on the wait, after the faults stopped, for every invariant to hold.")
	flag.Int64Var(&opts.Seed, "seed", opts.Seed, "Random seed of the workload and the faults; 0 picks one (printed, so a run can be repeated).")
	flag.DurationVar(&opts.FaultMinGap, "fault-min-gap", opts.FaultMinGap, "Shortest pause between two faults.")
	flag.DurationVar(&opts.FaultMaxGap, "fault-max-gap", opts.FaultMaxGap, "Longest pause between two faults.")
	flag.DurationVar(&opts.OpInterval, "op-interval", opts.OpInterval, "Mean pause between two workload operations.")
	flag.DurationVar(&opts.FuzzTime, "fuzztime", -1,
		"Fuzzing time per fuzz target of the repository, run after the checks (-1: 20s when --duration is at least 5m, else none; 0: none).")
	flag.StringVar(&opts.StateDir, "state-dir", opts.StateDir, "Directory for the logs of every process; kept after the run.")
	flag.StringVar(&opts.ControllerBin, "controller", opts.ControllerBin, "Controller binary.")
	flag.StringVar(&opts.ResolverBin, "resolver", opts.ResolverBin, "Resolver binary.")
	flag.Parse()
	if opts.FuzzTime < 0 {
		opts.FuzzTime = 0
		if opts.Duration >= 5*time.Minute {
			opts.FuzzTime = 20 * time.Second
		}
	}

	// Ctrl-C reaches the whole foreground process group; the children must only see the orderly
	// stops of the teardown (and the faults the soak injects).
	testbed.IsolateProcessGroups()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := run(ctx, opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "\nsoak: FAILED: %v\n", err)
		os.Exit(1)
	}
	if len(res.Violations) > 0 {
		fmt.Fprintf(os.Stderr, "\nsoak: FAILED: %d violations (logs in %s)\n", len(res.Violations), opts.StateDir)
		os.Exit(1)
	}
}

// defaultOptions are what `make soak` runs: binaries in ./bin, logs in ./bin/soak, 10 minutes.
func defaultOptions(root string) options {
	bin := filepath.Join(root, "bin")
	return options{
		RepoRoot:      root,
		StateDir:      filepath.Join(bin, "soak"),
		ControllerBin: filepath.Join(bin, "controller"),
		ResolverBin:   filepath.Join(bin, "resolver"),
		Duration:      10 * time.Minute,
		Settle:        4 * time.Minute,
		FaultMinGap:   5 * time.Second,
		FaultMaxGap:   20 * time.Second,
		OpInterval:    500 * time.Millisecond,
		Out:           os.Stdout,
	}
}
