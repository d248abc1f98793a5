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

package testbed_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/natsauth/nats-auth-operator/test/testbed"
)

func TestBinPathMissing(t *testing.T) {
	t.Setenv(testbed.BinDirEnv, t.TempDir())
	_, err := testbed.BinPath(testbed.KubeAPIServerBinary)
	if err == nil || !strings.Contains(err.Error(), "hack/install-test-deps.sh") {
		t.Fatalf("want an error pointing at hack/install-test-deps.sh, got %v", err)
	}
}

func TestRepoRootAndBinPath(t *testing.T) {
	root, err := testbed.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("RepoRoot %s has no go.mod: %v", root, err)
	}
	// Fails (not skips) when the binary is missing: that is the package's contract.
	if _, err := testbed.BinPath(testbed.NatsServerBinary); err != nil {
		t.Fatal(err)
	}
}

func TestFreePortAndEventually(t *testing.T) {
	p, err := testbed.FreePort()
	if err != nil || p <= 0 {
		t.Fatalf("FreePort = %d, %v", p, err)
	}
	n := 0
	testbed.Eventually(t, 5*time.Second, time.Millisecond, func() (bool, error) {
		n++
		if n < 3 {
			return false, errors.New("not yet")
		}
		return true, nil
	}, "counter")
}
