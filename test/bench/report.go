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

// formatTable renders the results as a Markdown table with PASS/FAIL per target.
func formatTable(results []result) string {
	var b strings.Builder
	b.WriteString("| workload | users | convergence s | floor s | ratio (≤ 1.3) | writes/user (≤ 3) | quiet writes (0) | RSS MiB | CPU s |\n")
	b.WriteString("|---|---:|---:|---:|---|---|---|---:|---:|\n")
	for _, r := range results {
		fmt.Fprintf(&b, "| %s | %d | %.2f | %.2f | %.2f %s | %.2f %s | %.0f in %s %s | %.0f | %.1f |\n",
			r.Workload, r.Users, r.Converge.Seconds(), r.Floor.Seconds(),
			r.ratio(), passFail(r.Floor > 0 && r.ratio() <= targetRatio),
			r.writesPerUser(), passFail(r.writesPerUser() <= targetWritesPerUser),
			r.QuietWrites, r.QuietWindow, passFail(r.QuietWrites == targetQuietWrites),
			float64(r.PeakRSSBytes)/(1<<20), r.CPUSeconds)
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
		fmt.Fprintf(&b, "  - quiet window %s: natsusers/secrets %.0f (%s); other %.0f (%s)\n", r.QuietWindow, r.QuietWrites, r.QuietDetail, r.QuietOther, r.QuietOtherDetail)
		fmt.Fprintf(&b, "  - controller CPU: %.1f s during convergence, %.1f s over its life; peak RSS %.0f MiB\n", r.CPUConverge, r.CPUSeconds, float64(r.PeakRSSBytes)/(1<<20))
		fmt.Fprintf(&b, "  - raw floor: %d writes (%s per user), %d errors, %.2f s\n", r.FloorWrites, r.FloorPlan, r.FloorErrors, r.Floor.Seconds())
		fmt.Fprintf(&b, "  - load average before/after: %s / %s\n", r.LoadBefore, r.LoadAfter)
	}
	return b.String()
}

// record appends the table, the details and the command to the record file.
func record(opts options, results []result, skipped, sections []string, took time.Duration) error {
	f, err := os.OpenFile(opts.RecordPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	host, _ := os.Hostname()
	var b strings.Builder
	fmt.Fprintf(&b, "\n## %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "Command: `%s` (took %s; %d CPUs, %s/%s, host %s)\n\n", opts.Command, took.Round(time.Second), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, host)
	if opts.Note != "" {
		fmt.Fprintf(&b, "Note: %s\n\n", opts.Note)
	}
	if len(results) > 0 {
		b.WriteString(formatTable(results))
		b.WriteString("\n")
		b.WriteString(formatDetails(results))
	}
	for _, s := range skipped {
		fmt.Fprintf(&b, "- %s\n", s)
	}
	for _, s := range sections {
		fmt.Fprintf(&b, "\n%s\n", s)
	}
	_, err = f.WriteString(b.String())
	if err != nil {
		return err
	}
	return f.Close()
}
