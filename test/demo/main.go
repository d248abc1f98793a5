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

// Command demo is the one-command local system behind `make demo`: etcd and kube-apiserver, the
// controller and resolver binaries, a real nats-server configured from the rendered auth.conf,
// the example objects, and a client that shows an allowed subject, a denied one and a
// revocation. Everything listens on 127.0.0.1 only and is stopped on SIGINT or SIGTERM.
//
// It lives under test/ because it starts its processes with test/testbed, which the binaries
// must not link.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// exitEnv makes the demo exit after its check, for scripts that cannot pass flags through make.
const exitEnv = "DEMO_EXIT"

func main() {
	root, err := testbed.RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(2)
	}
	opts := defaultOptions(root)
	flag.BoolVar(&opts.ExitAfterCheck, "exit-after-check", opts.ExitAfterCheck,
		"Exit 0 as soon as the client check passed (also $"+exitEnv+"=1), non-zero if any step fails.")
	flag.DurationVar(&opts.Timeout, "timeout", opts.Timeout, "Bound on everything up to and including the client check.")
	flag.StringVar(&opts.StateDir, "state-dir", opts.StateDir, "Directory for the kubeconfig, logs and the nats-server config.")
	flag.StringVar(&opts.ExamplesDir, "examples", opts.ExamplesDir,
		"Kustomization directory of the objects to apply; \"builtin\" (or a missing directory) uses the demo's own objects.")
	flag.StringVar(&opts.ControllerBin, "controller", opts.ControllerBin, "Controller binary.")
	flag.StringVar(&opts.ResolverBin, "resolver", opts.ResolverBin,
		"Resolver binary; when it does not exist the demo pushes account JWTs itself.")
	flag.Parse()
	if v := strings.ToLower(os.Getenv(exitEnv)); slices.Contains([]string{"1", "true", "yes"}, v) {
		opts.ExitAfterCheck = true
	}

	// Ctrl-C reaches the whole foreground process group; the children must only see the
	// orderly stops below (see IsolateProcessGroups).
	testbed.IsolateProcessGroups()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, opts); err != nil {
		fmt.Fprintf(os.Stderr, "\ndemo: FAILED: %v\n", err)
		os.Exit(1)
	}
}

// defaultOptions are the paths `make demo` fills: binaries in ./bin, state in ./bin/demo.
func defaultOptions(root string) options {
	bin := filepath.Join(root, "bin")
	return options{
		RepoRoot:      root,
		StateDir:      filepath.Join(bin, "demo"),
		ExamplesDir:   filepath.Join(root, "manifests", "examples"),
		ControllerBin: filepath.Join(bin, "controller"),
		ResolverBin:   filepath.Join(bin, "resolver"),
		Timeout:       3 * time.Minute,
		Out:           os.Stdout,
	}
}
