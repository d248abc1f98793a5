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
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestFormatScaling(t *testing.T) {
	run := func(users int, converge time.Duration) result {
		return result{Workload: "W1", Users: users, Converge: converge, Floor: converge / 2}
	}
	linear := formatScaling([]result{run(1000, 10*time.Second), run(2000, 21*time.Second), run(10000, 110*time.Second)})
	if !strings.Contains(linear, "x1.10") || !strings.Contains(linear, "PASS") {
		t.Errorf("linear series: %q", linear)
	}
	worse := formatScaling([]result{run(1000, 10*time.Second), run(10000, 200*time.Second)})
	if !strings.Contains(worse, "x2.00") || !strings.Contains(worse, "FAIL") {
		t.Errorf("superlinear series: %q", worse)
	}
	if single := formatScaling([]result{run(1000, time.Second)}); single != "" {
		t.Errorf("one size is no series: %q", single)
	}
}

// Every entry of the full run names a known workload, with a valid size where it has one.
func TestFullRunNamesWorkloads(t *testing.T) {
	for _, e := range fullRun {
		name, size, _ := strings.Cut(e, ":")
		if _, ok := workloads[name]; !ok && name != natsWorkload {
			t.Errorf("%s: unknown workload", e)
		}
		if size != "" {
			if n, err := parseCount(size); err != nil || n < 1 {
				t.Errorf("%s: bad size", e)
			}
		}
	}
}

// --record appends to the day's run log under the runs directory, with a heading once per file,
// and never to BENCHMARKS.md.
func TestRecordAppendsToTheDaysRunLog(t *testing.T) {
	opts := options{RunsDir: filepath.Join(t.TempDir(), "runs"), Command: "make bench", Note: "test"}
	day := time.Date(2026, 12, 4, 1, 2, 0, 0, time.UTC)
	rows := []result{{Workload: "W1", Users: 10, Accounts: 1, Converge: time.Second, Floor: time.Second}}
	var path string
	for i, at := range []time.Time{day, day.Add(time.Hour)} {
		p, err := record(opts, rows, []string{"section " + strconv.Itoa(i)}, time.Minute, at)
		if err != nil {
			t.Fatal(err)
		}
		path = p
	}
	if want := filepath.Join(opts.RunsDir, "2026-12-04.md"); path != want {
		t.Fatalf("recorded in %s, want %s", path, want)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, want := range []string{"## 2026-12-04 01:02 UTC", "## 2026-12-04 02:02 UTC", "section 0", "section 1", "Command: `make bench`"} {
		if !strings.Contains(text, want) {
			t.Errorf("run log lacks %q:\n%s", want, text)
		}
	}
	if n := strings.Count(text, "# Benchmark runs of 2026-12-04\n"); n != 1 || !strings.HasPrefix(text, "# Benchmark runs") {
		t.Errorf("heading %d times:\n%s", n, text)
	}
}
