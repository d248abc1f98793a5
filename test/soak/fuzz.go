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
		tctx, cancel := context.WithTimeout(ctx, s.opts.FuzzTime+3*time.Minute)
		cmd := exec.CommandContext(tctx, "go", "test", t.pkg, "-run", "^$", "-fuzz", "^"+t.name+"$",
			"-fuzztime", s.opts.FuzzTime.String(), "-parallel", "1")
		cmd.Dir = s.opts.RepoRoot
		b, err := cmd.CombinedOutput()
		cancel()
		_, _ = out.Write(append([]byte("=== "+t.pkg+" "+t.name+"\n"), b...))
		s.stats.check(invFuzz, 1)
		if err != nil {
			s.stats.violation(invFuzz, "%s %s: %v (output in %s)", t.pkg, t.name, err, logPath)
			continue
		}
		s.stats.op("fuzz " + t.pkg + " " + t.name)
	}
}
