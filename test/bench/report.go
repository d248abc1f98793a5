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
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Targets of issue 6 that this harness checks.
const (
	targetRatio         = 1.3
	targetWritesPerUser = 3.0
	targetQuietWrites   = 0
)

func passFail(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

// Targets of W3, W4 and W5.
const (
	targetRSSMiB       = 150
	targetRSSOverW2    = 0.10
	targetRestartReady = 10 * time.Second
)

// formatResults renders the main table, the tables of the workloads' own phases and the details.
func formatResults(results []result) string {
	var b strings.Builder
	b.WriteString(formatTable(results))
	b.WriteString(formatPhases(results))
	b.WriteString(formatScaling(results))
	b.WriteString("\n")
	b.WriteString(formatDetails(results))
	return b.String()
}

// formatTable renders the results as a Markdown table with PASS/FAIL per target.
func formatTable(results []result) string {
	var b strings.Builder
	b.WriteString("| workload | users | accounts | convergence s | floor s | ratio (≤ 1.3) | writes/user (≤ 3) | quiet writes, pushes (0) | RSS MiB | CPU s |\n")
	b.WriteString("|---|---:|---:|---:|---:|---|---|---|---:|---:|\n")
	for _, r := range results {
		pushes := "-"
		if r.Quiet.PushesCounted {
			pushes = fmt.Sprintf("%.0f", r.Quiet.Pushes)
		}
		name := r.Workload
		if r.Precreated {
			name += " (precreated)"
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %.2f | %.2f | %.2f %s | %.2f %s | %.0f, %s in %s %s | %.0f | %.1f |\n",
			name, r.Users, r.Accounts, r.Converge.Seconds(), r.Floor.Seconds(),
			r.ratio(), passFail(r.Floor > 0 && r.ratio() <= targetRatio),
			r.writesPerUser(), passFail(r.writesPerUser() <= targetWritesPerUser),
			r.Quiet.Writes, pushes, r.Quiet.Window, passFail(r.Quiet.Writes == targetQuietWrites && r.Quiet.Pushes == 0),
			mib(r.PeakRSSBytes), r.CPUSeconds)
	}
	return b.String()
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// formatPhases renders the W3, W4 and W5 targets of the results that ran those phases.
func formatPhases(results []result) string {
	var b strings.Builder
	// W4 is W2 followed by a restart; its peak RSS before the restart is W2's.
	var w2 *result
	for i := range results {
		if results[i].Workload == "W2" || (results[i].Workload == "W4" && w2 == nil) {
			w2 = &results[i]
		}
	}
	for _, r := range results {
		switch {
		case r.Unrelated != nil:
			fmt.Fprintf(&b, "\n%s: %d unrelated Secrets in %d namespaces (created in %s before the controller started): controller RSS %.0f MiB (≤ %d) %s",
				r.Workload, r.Unrelated.Secrets, r.Unrelated.Namespaces, r.Unrelated.Took.Round(time.Second), mib(r.PeakRSSBytes), targetRSSMiB,
				passFail(mib(r.PeakRSSBytes) <= targetRSSMiB))
			if w2 != nil && w2.Users == r.Users {
				over := float64(r.PeakRSSBytes)/float64(w2.PeakRSSBytes) - 1
				fmt.Fprintf(&b, "; vs %s's %.0f MiB (W2 in place): %+.1f%% (≤ +%.0f%%) %s", w2.Workload, mib(w2.PeakRSSBytes), over*100, targetRSSOverW2*100, passFail(over <= targetRSSOverW2))
			} else {
				b.WriteString("; no W2 run of the same size in this invocation to compare with")
			}
			b.WriteString("\n")
		case r.Restart != nil:
			x := r.Restart
			fmt.Fprintf(&b, "\n%s restart with %d users in place: ready after %.2f s, every user synced after %.2f s (≤ %s) %s; in %s: %.0f writes, %.0f pushes, %.0f JWTs signed, %d objects changed (all 0) %s; RSS %.0f MiB\n",
				r.Workload, r.Users, x.Ready.Seconds(), x.CaughtUp.Seconds(), targetRestartReady, passFail(x.CaughtUp <= targetRestartReady),
				x.Window, x.Writes, x.Pushes, x.Signed, x.Changed, passFail(x.Writes == 0 && x.Pushes == 0 && x.Signed == 0 && x.Changed == 0),
				mib(x.PeakRSSBytes))
		case r.Delete != nil:
			x := r.Delete
			pushed := "not measured (--no-nats)"
			if r.Quiet.PushesCounted {
				pushed = fmt.Sprintf("%.0f pushes, %.0f not acknowledged by every server; final JWT on every server: %v %s",
					x.Pushes, x.PushFailures, x.Pushed, passFail(x.PushFailures == 0 && x.Pushed))
			}
			fmt.Fprintf(&b, "\n%s delete of %d users: all gone after %.2f s, %.2f writes/user (%s); account JWT %d bytes with %d revocations (< %d) %s; %s\n",
				r.Workload, x.Users, x.Took.Seconds(), x.Writes/float64(x.Users), x.WritesDetail, x.JWTBytes, x.Revocations, maxPayload,
				passFail(x.JWTBytes < maxPayload), pushed)
		}
	}
	return b.String()
}

// targetLinear bounds how much slower per user the largest run of a series may converge than
// its smallest: time that grows linearly with the users keeps the seconds per user flat.
const targetLinear = 1.25

// formatScaling renders, for each workload run at several sizes, the convergence time per
// thousand users at each size and whether it stays flat (linear growth).
func formatScaling(results []result) string {
	var b strings.Builder
	bySize := map[string][]result{}
	var order []string
	for _, r := range results {
		if r.Precreated {
			continue
		}
		if bySize[r.Workload] == nil {
			order = append(order, r.Workload)
		}
		bySize[r.Workload] = append(bySize[r.Workload], r)
	}
	for _, w := range order {
		series := bySize[w]
		if len(series) < 2 {
			continue
		}
		perK := func(r result) float64 { return r.Converge.Seconds() / float64(r.Users) * 1000 }
		smallest, largest := series[0], series[0]
		var parts []string
		for _, r := range series {
			parts = append(parts, fmt.Sprintf("%d: %.2f s (%.2f s/1k, floor %.2f s/1k)", r.Users, r.Converge.Seconds(), perK(r), r.Floor.Seconds()/float64(r.Users)*1000))
			if r.Users < smallest.Users {
				smallest = r
			}
			if r.Users > largest.Users {
				largest = r
			}
		}
		growth := perK(largest) / perK(smallest)
		fmt.Fprintf(&b, "\n%s scaling: %s; seconds per user at %d vs %d: x%.2f (≤ x%.2f, linear) %s\n",
			w, strings.Join(parts, ", "), largest.Users, smallest.Users, growth, targetLinear, passFail(growth <= targetLinear))
	}
	return b.String()
}

// formatDetails lists, per run, what the figures are made of.
func formatDetails(results []result) string {
	var b strings.Builder
	for _, r := range results {
		fmt.Fprintf(&b, "%s, %d users in %d accounts:\n", r.Workload, r.Users, r.Accounts)
		fmt.Fprintf(&b, "  - controller writes to natsusers/secrets until convergence: %.0f (%s)\n", r.Writes, r.WritesDetail)
		fmt.Fprintf(&b, "  - other writes in that interval (not held to the target): %.0f (%s)\n", r.OtherWrites, r.OtherWritesDetail)
		fmt.Fprintf(&b, "  - quiet window %s: natsusers/natsaccounts/secrets %.0f (%s); other %.0f (%s)\n", r.Quiet.Window, r.Quiet.Writes, r.Quiet.Detail, r.Quiet.Other, r.Quiet.OtherDetail)
		fmt.Fprintf(&b, "  - controller CPU: %.1f s during convergence, %.1f s over its life; peak RSS %.0f MiB\n", r.CPUConverge, r.CPUSeconds, mib(r.PeakRSSBytes))
		creates := "creates not timed"
		if r.FloorWithCreates {
			creates = "timed with the same creates running"
		}
		fmt.Fprintf(&b, "  - raw floor: %d writes (%s per user), %d errors, %.2f s, %s\n", r.FloorWrites, r.FloorPlan, r.FloorErrors, r.Floor.Seconds(), creates)
		if r.APITime != "" {
			fmt.Fprintf(&b, "  - apiserver time per write to natsusers/secrets (benchmark creates included): convergence %s; floor %s\n", r.APITime, r.FloorAPITime)
		}
		if r.ControlPlaneCPU != "" {
			fmt.Fprintf(&b, "  - control plane CPU per mutating request (creates and other writes included): convergence %s; floor %s\n", r.ControlPlaneCPU, r.FloorControlPlaneCPU)
		}
		fmt.Fprintf(&b, "  - load average before/after: %s / %s\n", r.LoadBefore, r.LoadAfter)
	}
	return b.String()
}

// record appends the table, the details and the command to the run log of the day (or
// --record-file) and returns its path. BENCHMARKS.md keeps the method and the current table;
// the logs of every run go to test/bench/runs, one file per UTC date.
func record(opts options, results []result, sections []string, took time.Duration, now time.Time) (string, error) {
	path := opts.RecordPath
	if path == "" {
		path = filepath.Join(opts.RunsDir, now.UTC().Format(time.DateOnly)+".md")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return path, err
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return path, err
	}
	defer f.Close()
	var b strings.Builder
	if fi, err := f.Stat(); err == nil && fi.Size() == 0 && opts.RecordPath == "" {
		fmt.Fprintf(&b, "# Benchmark runs of %s\n\nRecorded by `make bench BENCH_ARGS=\"... --record\"`; the method is in [BENCHMARKS.md](../../../BENCHMARKS.md).\n",
			now.UTC().Format(time.DateOnly))
	}
	host, _ := os.Hostname()
	fmt.Fprintf(&b, "\n## %s\n\n", now.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "Command: `%s` (took %s; %d CPUs, %s/%s, host %s)\n\n", opts.Command, took.Round(time.Second), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, host)
	if opts.Note != "" {
		fmt.Fprintf(&b, "Note: %s\n\n", opts.Note)
	}
	if len(results) > 0 {
		b.WriteString(formatResults(results))
	}
	for _, s := range sections {
		fmt.Fprintf(&b, "\n%s\n", s)
	}
	if _, err := f.WriteString(b.String()); err != nil {
		return path, err
	}
	return path, f.Close()
}
