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

package node

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// M is what Main needs of *testing.M.
type M interface{ Run() int }

// current is the cluster the child started for its tests; see Current.
var current *Cluster

// Current returns the package's cluster (nil outside the child).
func Current() *Cluster { return current }

// Main is TestMain for node tests. Without the gate it only runs the tests (which skip). As the
// supervisor it prepares the host, runs the test binary again inside the network namespace and
// cleans up after it; as that child it starts the cluster, runs the tests and stops it.
func Main(m M) int {
	if SkipReason() != "" {
		return m.Run()
	}
	if inChild() {
		return childMain(m)
	}
	code, err := supervise()
	if err != nil {
		fmt.Fprintf(os.Stderr, "node: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

func childMain(m M) int {
	c, err := Start(Options{Dir: os.Getenv(envDir), NodeIP: os.Getenv(envNodeIP), Netns: os.Getenv(envNetns)})
	if err != nil {
		fmt.Fprintf(os.Stderr, "node: starting the cluster: %v\n", err)
		return 1
	}
	current = c
	code := m.Run()
	c.Stop()
	return code
}

// supervise creates the namespace, runs the child in it and always cleans up.
func supervise() (code int, err error) {
	host, err := saveHost()
	if err != nil {
		return 1, err
	}
	began := time.Now()
	n, err := createNetns()
	if err == nil {
		defer func() {
			if cerr := cleanup(host, n); cerr != nil && err == nil {
				err = cerr
			}
			logf("node: cleaned up in %s (the whole run took %s)", time.Since(began).Round(time.Millisecond), time.Since(began).Round(time.Second))
		}()
		code, err = runChild(n)
	} else {
		_ = host.restore()
	}
	return code, err
}

// runChild re-executes this test binary with its flags inside the namespace.
func runChild(n *netns) (int, error) {
	if err := ensureImage(); err != nil {
		return 1, err
	}
	args := append([]string{"--net=" + n.path(), "--", os.Args[0]}, os.Args[1:]...)
	cmd := exec.Command("nsenter", args...)
	cmd.Stdout, cmd.Stderr, cmd.Stdin = os.Stdout, os.Stderr, nil
	// The child's temp files (testbed's control plane dir among them) go below the run's dir.
	tmp := filepath.Join(n.dir, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return 1, err
	}
	cmd.Env = append(os.Environ(), envNetns+"="+n.name, envDir+"="+n.dir, envNodeIP+"="+n.nodeIP, "TMPDIR="+tmp)
	if err := cmd.Start(); err != nil {
		return 1, err
	}
	// Pass Ctrl-C and go test's signals on, so the child stops its cluster itself.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGQUIT)
	defer signal.Stop(sigs)
	go func() {
		for s := range sigs {
			_ = cmd.Process.Signal(s)
		}
	}()
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), nil
	}
	return 0, err
}

// ensureImage builds the project's image with `make image` (in the host's network namespace,
// where the Go module proxy is reachable) unless ImageTarEnv names one.
func ensureImage() error {
	if os.Getenv(ImageTarEnv) != "" && os.Getenv(VersionEnv) != "" {
		return nil
	}
	root, err := testbed.RepoRoot()
	if err != nil {
		return err
	}
	out, err := exec.Command(filepath.Join(root, "hack/version.sh")).Output()
	if err != nil {
		return fmt.Errorf("hack/version.sh: %w", err)
	}
	version := strings.TrimSpace(string(out))
	began := time.Now()
	cmd := exec.Command("make", "-C", root, "image", "VERSION="+version)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("make image: %w\n%s", err, b)
	}
	logf("node: make image VERSION=%s in %s", version, time.Since(began).Round(time.Millisecond))
	os.Setenv(VersionEnv, version)
	os.Setenv(ImageTarEnv, filepath.Join(root, "bin/image", "nats-auth-operator-"+version+".tar"))
	return nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[%s] "+format+"\n", append([]any{time.Now().Format("15:04:05.000")}, args...)...)
}
