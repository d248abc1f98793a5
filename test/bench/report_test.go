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
