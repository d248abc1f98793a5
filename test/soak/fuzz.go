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
	"bufio"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

const invFuzz = "the repository's fuzz targets find no failure"

var fuzzFunc = regexp.MustCompile(`^func (Fuzz\w+)\(\w+ \*testing\.F\)`)

// fuzzSlack is how long a fuzz run may take beyond its fuzz time: building and the seed corpus.
const fuzzSlack = 3 * time.Minute

// fuzzStarved reports whether a failed fuzz run shows nothing but a symptom of CPU starvation:
// killed at our deadline, or Go's coordinator reporting its own -fuzztime deadline as a failure
// ("context deadline exceeded", go.dev/issue/75804, unfixed in Go 1.26), and no failing input
// written, no panic and no other failure. A crash or a hung input always writes a failing input.
func fuzzStarved(out []byte, timedOut bool) bool {
	text := string(out)
	if strings.Contains(text, "Failing input written to") || strings.Contains(text, "panic:") {
		return false
	}
	lines := strings.Split(text, "\n")
	deadline := false
	for i, l := range lines {
		if !strings.HasPrefix(strings.TrimSpace(l), "--- FAIL:") {
			continue
		}
		if i+1 == len(lines) || strings.TrimSpace(lines[i+1]) != context.DeadlineExceeded.Error() {
			return false
		}
		deadline = true
	}
	return timedOut || deadline
}

// fuzzTarget is one native Go fuzz target.
type fuzzTarget struct{ pkg, name string }

// fuzzTargets finds every Fuzz function in the module's test files.
func fuzzTargets(root string) ([]fuzzTarget, error) {
	var targets []fuzzTarget
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "bin" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && p != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if m := fuzzFunc.FindStringSubmatch(sc.Text()); m != nil {
				rel, _ := filepath.Rel(root, filepath.Dir(p))
				targets = append(targets, fuzzTarget{pkg: "./" + filepath.ToSlash(rel), name: m[1]})
			}
		}
		return sc.Err()
	})
	slices.SortFunc(targets, func(a, b fuzzTarget) int { return strings.Compare(a.pkg+a.name, b.pkg+b.name) })
	return targets, err
}

// fuzz runs each fuzz target for opts.FuzzTime after the checks, when nothing else competes for
// the two cores (in parallel with the soak, fuzzing would starve the leases it is testing). One
// fuzz worker each. A failure is a violation; go test keeps the failing input in the package's
// testdata/fuzz, where it becomes a regression test.
func (s *soak) fuzz(ctx context.Context) {
	targets, err := fuzzTargets(s.opts.RepoRoot)
	if err != nil {
		s.stats.violation(invFuzz, "finding the fuzz targets: %v", err)
		return
	}
	s.logf("fuzzing %d targets for %s each", len(targets), s.opts.FuzzTime)
	logPath := filepath.Join(s.opts.StateDir, "fuzz.txt")
	out, err := os.Create(logPath)
	if err != nil {
		s.stats.violation(invFuzz, "%v", err)
		return
	}
	defer out.Close()
	for _, t := range targets {
		if ctx.Err() != nil {
			return
		}
		tctx, cancel := context.WithTimeout(ctx, s.opts.FuzzTime+fuzzSlack)
		cmd := exec.CommandContext(tctx, "go", "test", t.pkg, "-run", "^$", "-fuzz", "^"+t.name+"$",
			"-fuzztime", s.opts.FuzzTime.String(), "-parallel", "1")
		cmd.Dir = s.opts.RepoRoot
		b, err := cmd.CombinedOutput()
		timedOut := errors.Is(tctx.Err(), context.DeadlineExceeded)
		cancel()
		_, _ = out.Write(append([]byte("=== "+t.pkg+" "+t.name+"\n"), b...))
		if ctx.Err() != nil {
			return
		}
		s.stats.check(invFuzz, 1)
		// A starved machine is no finding: log it, and count only crashes and failures.
		if err != nil && fuzzStarved(b, timedOut) {
			s.logf("fuzz %s %s: deadline under CPU contention, no failing input, not a violation: %v (output in %s)",
				t.pkg, t.name, err, logPath)
			s.stats.op("fuzz runs starved (no failing input)")
			continue
		}
		if err != nil {
			s.stats.violation(invFuzz, "%s %s: %v (output in %s)", t.pkg, t.name, err, logPath)
			continue
		}
		s.stats.op("fuzz " + t.pkg + " " + t.name)
	}
}
