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

// Package testbed starts real etcd, kube-apiserver and nats-server processes for tests.
//
// Everything runs as a child process on 127.0.0.1 with ports chosen at run time, its own temp
// directory and its output captured to a log file whose tail is shown when a start fails. The
// binaries come from TESTBED_BIN_DIR, or <repo root>/bin as filled by hack/install-test-deps.sh.
// BuildBinary builds the repository's own binaries once per test process. The package is a normal
// package so that several test packages can share it; only tests import it (test/testbed/suite
// adds what the suites running the operator share).
package testbed

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// BinDirEnv names the environment variable that overrides the directory holding the binaries.
const BinDirEnv = "TESTBED_BIN_DIR"

// Binary names looked up by BinPath.
const (
	EtcdBinary          = "etcd"
	KubeAPIServerBinary = "kube-apiserver"
	NatsServerBinary    = "nats-server"
)

// startTimeout bounds how long any process may take to become ready; a healthy start takes a
// few seconds, so a minute only triggers when something is really wrong.
const startTimeout = 60 * time.Second

var (
	repoRootOnce sync.Once
	repoRoot     string
	errRepoRoot  error
)

// RepoRoot returns the directory holding go.mod, found by walking up from the working directory.
// `go test` runs each package in its own directory, so this finds the module root from any test.
func RepoRoot() (string, error) {
	repoRootOnce.Do(func() {
		dir, err := os.Getwd()
		if err != nil {
			errRepoRoot = err
			return
		}
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				repoRoot = dir
				return
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				errRepoRoot = errors.New("testbed: no go.mod found above the working directory")
				return
			}
			dir = parent
		}
	})
	return repoRoot, errRepoRoot
}

// BinPath returns the path of an executable test binary such as "etcd". The error explains how
// to install it, because a missing binary must fail a test loudly rather than skip it.
func BinPath(name string) (string, error) {
	dir := os.Getenv(BinDirEnv)
	if dir == "" {
		root, err := RepoRoot()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(root, "bin")
	}
	p := filepath.Join(dir, name)
	fi, err := os.Stat(p) // Stat follows the symlinks the install script creates.
	if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		return "", fmt.Errorf("testbed: binary %q not found or not executable at %s: run hack/install-test-deps.sh (or set %s)", name, p, BinDirEnv)
	}
	return p, nil
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago. Another process can take
// it before it is used, so starters retry with new ports when a bind fails.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// freePorts returns n distinct free ports; holding all listeners until the end keeps the kernel
// from handing out the same port twice.
func freePorts(n int) ([]int, error) {
	ls := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// Eventually polls cond every interval until it returns true, and fails the test with msg and
// the last error if that does not happen within timeout. An error from cond does not stop the
// polling: while things start up, transient errors are expected. It must be called from the
// test's goroutine, like t.Fatal.
func Eventually(t testing.TB, timeout, interval time.Duration, cond func() (bool, error), msg string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := poll(ctx, interval, cond); err != nil {
		t.Fatalf("%s: %v", msg, err)
	}
}

// poll is Eventually without a testing.TB, for code that also runs from TestMain. It returns
// the last error of cond (or a timeout) once ctx is done.
func poll(ctx context.Context, interval time.Duration, cond func() (bool, error)) error {
	var last error
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		ok, err := cond()
		if ok && err == nil {
			return nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("condition not met before timeout, last error: %w", last)
			}
			return errors.New("condition not met before timeout")
		case <-tick.C:
		}
	}
}
