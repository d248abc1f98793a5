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

package testbed

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// buildTimeout bounds one `go build`; a cold build of a binary takes about a minute on a loaded
// two-core machine.
const buildTimeout = 10 * time.Minute

// built is one package's build of this process: done once, shared by every later caller.
type built struct {
	once sync.Once
	path string
	err  error
}

var (
	buildMu  sync.Mutex
	builds   = map[string]*built{}
	buildDir string
)

// BuildBinary builds the main package pkg (relative to the repository root, such as
// "./cmd/controller") with plain `go build` (GOFLAGS from the environment apply), once per test
// process, and returns the executable's path. The binaries are built from the current source
// because a stale ./bin would prove nothing. A TestMain of a package using it calls
// RemoveBuiltBinaries after m.Run.
func BuildBinary(t testing.TB, pkg string) string {
	t.Helper()
	buildMu.Lock()
	b := builds[pkg]
	if b == nil {
		b = &built{}
		builds[pkg] = b
	}
	buildMu.Unlock()
	b.once.Do(func() {
		began := time.Now()
		b.path, b.err = goBuild(pkg)
		if b.err == nil {
			t.Logf("built %s in %s", pkg, time.Since(began).Round(time.Millisecond))
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// goBuild runs `go build` of pkg into the process's build directory.
func goBuild(pkg string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	dir, err := processBuildDir()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, path.Base(pkg))
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", pkg, err, msg)
	}
	return out, nil
}

// processBuildDir returns the temp directory holding this process's builds, creating it once.
func processBuildDir() (string, error) {
	buildMu.Lock()
	defer buildMu.Unlock()
	if buildDir != "" {
		return buildDir, nil
	}
	dir, err := os.MkdirTemp("", "testbed-build-")
	if err != nil {
		return "", err
	}
	buildDir = dir
	return dir, nil
}

// RemoveBuiltBinaries deletes what BuildBinary built in this process; TestMain calls it after
// m.Run, when no test runs the binaries any more.
func RemoveBuiltBinaries() {
	buildMu.Lock()
	defer buildMu.Unlock()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	buildDir, builds = "", map[string]*built{}
}

// RunTests runs m and then RemoveBuiltBinaries: the TestMain of a package that needs nothing
// else is `os.Exit(testbed.RunTests(m))`.
func RunTests(m *testing.M) int {
	defer RemoveBuiltBinaries()
	return m.Run()
}
