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
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// stats counts what the run did and collects violations. Violation messages never carry
// secrets: they name objects, servers and public keys.
type stats struct {
	mu         sync.Mutex
	ops        map[string]int
	faults     map[string]int
	checked    map[string]int
	exits      map[string]int
	violations []string
	seen       map[string]bool // violation messages already recorded (the settle loop repeats checks)
}

func newStats() *stats {
	return &stats{ops: map[string]int{}, faults: map[string]int{}, checked: map[string]int{},
		exits: map[string]int{}, seen: map[string]bool{}}
}

func (st *stats) op(kind string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.ops[kind]++
}

func (st *stats) fault(kind string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.faults[kind]++
}

// exit records a replica that exited without being killed by the injector.
func (st *stats) exit(name string, err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.exits[fmt.Sprintf("%s (%v)", name, err)]++
}

// check counts n checks of one invariant.
func (st *stats) check(invariant string, n int) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.checked[invariant] += n
}

// violation records a broken invariant once.
func (st *stats) violation(invariant, format string, args ...any) {
	msg := invariant + ": " + fmt.Sprintf(format, args...)
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.seen[msg] {
		return
	}
	st.seen[msg] = true
	st.violations = append(st.violations, msg)
}

func (st *stats) result() *result {
	st.mu.Lock()
	defer st.mu.Unlock()
	return &result{Ops: maps.Clone(st.ops), Faults: maps.Clone(st.faults), Checked: maps.Clone(st.checked),
		Violations: slices.Clone(st.violations)}
}

// report prints the figures: operations, faults by kind, invariants checked, violations.
func (s *soak) report(res *result) {
	var b strings.Builder
	total := func(m map[string]int) int {
		n := 0
		for _, v := range m {
			n += v
		}
		return n
	}
	section := func(title string, m map[string]int) {
		fmt.Fprintf(&b, "%s: %d\n", title, total(m))
		for _, k := range slices.Sorted(maps.Keys(m)) {
			fmt.Fprintf(&b, "  %-44s %6d\n", k, m[k])
		}
	}
	fmt.Fprintf(&b, "\n=== soak report: seed %d, %s of workload and faults, %s in all ===\n",
		s.opts.Seed, s.opts.Duration, time.Since(s.began).Round(time.Second))
	section("operations", res.Ops)
	section("faults injected", res.Faults)
	s.stats.mu.Lock()
	exits := maps.Clone(s.stats.exits)
	s.stats.mu.Unlock()
	section("replica exits not caused by the injector (restarted)", exits)
	section("invariant checks", res.Checked)
	fmt.Fprintf(&b, "violations: %d\n", len(res.Violations))
	for _, v := range res.Violations {
		fmt.Fprintf(&b, "  - %s\n", v)
	}
	s.outMu.Lock()
	defer s.outMu.Unlock()
	fmt.Fprint(s.opts.Out, b.String())
}
