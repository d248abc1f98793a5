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

// Command bench is the benchmark harness behind `make bench`: for each workload it starts a
// fresh etcd and kube-apiserver (test/testbed), runs the controller binary with its production
// flags, creates the workload's objects with a fast client, and measures convergence time, the
// mutating API requests per user (from the apiserver's apiserver_request_total), the writes in
// a quiet window after convergence, the controller's peak RSS and CPU, and the raw floor: plain
// client-go replaying the controller's writes at the controller's QPS, in the same run, so that
// the ratio means something on a noisy machine. It prints a table with the targets of issue 6
// and, with --record, appends it to the day's run log in test/bench/runs (BENCHMARKS.md has the
// method and the current table).
//
// It lives under test/ because it starts its processes with test/testbed, which the binaries
// must not link.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// commandEnv carries the command line `make bench` was given, so --record can write down the
// command that reproduces the numbers rather than the path of a built binary.
const commandEnv = "BENCH_COMMAND"

func main() {
	root, err := testbed.RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	opts := defaultOptions(root)
	var workloads, users string
	flag.StringVar(&workloads, "workload", "W1", "Workloads to run, comma separated: W1..W5 (see BENCHMARKS.md), NATS (the resolver's latencies), or all (the full run of BENCHMARKS.md: W1 at 1k, 10k and 100k users, W3, W4, W5 and NATS; about an hour).")
	var controllerArgs string
	flag.StringVar(&controllerArgs, "controller-args", "", "Extra controller flags, space separated (e.g. \"--profiling -v=2\"); the metrics address then serves /debug/pprof.")
	var controllerEnv string
	flag.StringVar(&controllerEnv, "controller-env", "", "Extra controller environment, space separated KEY=VALUE (e.g. \"GOGC=100\").")
	flag.BoolVar(&opts.Precreate, "precreate", false, "Create the users before the controller starts and time convergence from its start (the controller alone against the floor).")
	flag.BoolVar(&opts.NoNATS, "no-nats", false, "Run W1..W5 without nats-servers and the resolver (pushes are not counted).")
	flag.StringVar(&users, "users", "", "Users per run, comma separated (e.g. 1000,2000,5000 for the scaling series); default: the workload's own count (W1: 1000).")
	flag.DurationVar(&opts.QuietWindow, "quiet-window", opts.QuietWindow, "How long to count writes after convergence (target: none).")
	flag.DurationVar(&opts.Timeout, "timeout", opts.Timeout, "Bound on the convergence of one run.")
	flag.BoolVar(&opts.Record, "record", false, "Append the table and the command to test/bench/runs/<UTC date>.md.")
	flag.StringVar(&opts.RecordPath, "record-file", opts.RecordPath, "The file --record appends to instead of the day's file in test/bench/runs.")
	flag.StringVar(&opts.StateDir, "state-dir", opts.StateDir, "Directory for the controller's log of each run (kept).")
	flag.StringVar(&opts.ControllerBin, "controller", opts.ControllerBin, "Controller binary.")
	flag.IntVar(&opts.Workers, "workers", 0, "Controller --workers, also used by the floor (default: the controller's default).")
	flag.IntVar(&opts.QPS, "qps", 0, "Controller --kube-api-qps, also used by the floor (default: the controller's default).")
	flag.IntVar(&opts.Burst, "burst", 0, "Controller --kube-api-burst, also used by the floor (default: the controller's default).")
	flag.StringVar(&opts.ResolverBin, "resolver", opts.ResolverBin, "Resolver binary.")
	flag.StringVar(&opts.HeapProfileDir, "heap-profile", "", "Directory for the controller's heap profile at the end of each run's quiet window (adds --profiling; read with go tool pprof).")
	flag.StringVar(&opts.Note, "note", "", "A note recorded with the table (for example what else the machine was running).")
	flag.Parse()
	opts.ControllerArgs = strings.Fields(controllerArgs)
	if opts.HeapProfileDir != "" && !slices.Contains(opts.ControllerArgs, "--profiling") {
		opts.ControllerArgs = append(opts.ControllerArgs, "--profiling")
	}
	opts.ControllerEnv = strings.Fields(controllerEnv)

	for _, w := range strings.Split(workloads, ",") {
		switch w = strings.ToUpper(strings.TrimSpace(w)); w {
		case "":
		case "ALL":
			opts.Workloads = append(opts.Workloads, fullRun...)
		default:
			opts.Workloads = append(opts.Workloads, w)
		}
	}
	for _, u := range strings.Split(users, ",") {
		if u = strings.TrimSpace(u); u == "" {
			continue
		}
		n, err := parseCount(u)
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "bench: --users %q: want positive counts such as 1000 or 2k\n", u)
			os.Exit(2)
		}
		opts.Users = append(opts.Users, n)
	}
	args := quoteArgs(os.Args[1:])
	switch mk := os.Getenv(commandEnv); {
	case mk != "" && args != "":
		opts.Command = mk + ` BENCH_ARGS="` + args + `"`
	case mk != "":
		opts.Command = mk
	default:
		opts.Command = strings.TrimSpace("go run ./test/bench " + args)
	}

	// Ctrl-C reaches the whole foreground process group; the children must only see the
	// orderly stops of the teardown (see testbed.IsolateProcessGroups).
	testbed.IsolateProcessGroups()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, err := runAll(ctx, opts); err != nil {
		fmt.Fprintf(os.Stderr, "\nbench: FAILED: %v\n", err)
		os.Exit(1)
	}
}

// quoteArgs joins args for a shell, single-quoting those that need it.
func quoteArgs(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t'\"$`\\;&|()<>*?!#~") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}

// parseCount reads 1000, 1k or 10K.
func parseCount(s string) (int, error) {
	mult := 1
	if strings.HasSuffix(strings.ToLower(s), "k") {
		mult, s = 1000, s[:len(s)-1]
	}
	n, err := strconv.Atoi(s)
	return n * mult, err
}

// defaultOptions are what `make bench` uses: binaries in ./bin, logs in ./bin/bench.
func defaultOptions(root string) options {
	bin := filepath.Join(root, "bin")
	return options{
		RepoRoot:      root,
		StateDir:      filepath.Join(bin, "bench"),
		ControllerBin: filepath.Join(bin, "controller"),
		ResolverBin:   filepath.Join(bin, "resolver"),
		RunsDir:       filepath.Join(root, "test", "bench", "runs"),
		QuietWindow:   60 * time.Second,
		Timeout:       10 * time.Minute,
		Out:           os.Stdout,
	}
}
