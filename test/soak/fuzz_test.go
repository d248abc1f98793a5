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

import "testing"

// TestFuzzStarved: a fuzz run that only hit a deadline is no violation; a crash, a hung input, a
// failing seed or a build failure is.
func TestFuzzStarved(t *testing.T) {
	for _, tc := range []struct {
		name     string
		out      string
		timedOut bool
		want     bool
	}{
		{"coordinator deadline (go.dev/issue/75804)", "fuzz: elapsed: 21s, execs: 16229 (0/sec)\n--- FAIL: FuzzParseUpdateReply (20.31s)\n    context deadline exceeded\nFAIL\nexit status 1\nFAIL\tpkg\t21.0s\n", false, true},
		{"killed at our deadline while building", "", true, true},
		{"crash", "--- FAIL: FuzzX (1.20s)\n    --- FAIL: FuzzX (0.00s)\n        testing.go:1: panic: boom\n    Failing input written to testdata/fuzz/FuzzX/abc\nFAIL\n", false, false},
		{"hung input", "--- FAIL: FuzzX (12.00s)\n    fuzzing process hung or terminated unexpectedly: exit status 2\n    Failing input written to testdata/fuzz/FuzzX/abc\nFAIL\n", false, false},
		{"failing seed", "--- FAIL: FuzzX (0.00s)\n    --- FAIL: FuzzX/seed#0 (0.00s)\n        x_test.go:9: wrong\nFAIL\n", false, false},
		{"failing seed, then our deadline", "--- FAIL: FuzzX (0.00s)\n    --- FAIL: FuzzX/seed#0 (0.00s)\n        x_test.go:9: wrong\n", true, false},
		{"build failure", "# pkg\n./x.go:1:1: syntax error\nFAIL\tpkg [build failed]\n", false, false},
	} {
		if got := fuzzStarved([]byte(tc.out), tc.timedOut); got != tc.want {
			t.Errorf("%s: fuzzStarved = %t, want %t", tc.name, got, tc.want)
		}
	}
}
