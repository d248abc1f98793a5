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
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"k8s.io/client-go/kubernetes"

	natsclientset "github.com/natsauth/nats-auth-operator/generated/clientset/versioned"
	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// options configure run; main fills them from flags, the test from its temp dirs.
type options struct {
	RepoRoot      string
	StateDir      string // kubeconfig, logs, nats-server config: kept after exit for inspection
	ExamplesDir   string
	ControllerBin string
	ResolverBin   string // may not exist: then the demo pushes account JWTs itself
	// ExitAfterCheck returns right after the client check instead of waiting for ctx to end.
	ExitAfterCheck bool
	// Timeout bounds everything up to and including the check, so a hang fails instead of
	// leaving a half-started system behind.
	Timeout time.Duration
	Out     io.Writer
}

// demo is what one run started: the summary prints it, teardown stops it.
type demo struct {
	opts  options
	began time.Time
	tmp   string // secrets and data that must not outlive the run: creds, JWT store, JetStream

	cp         *testbed.ControlPlane
	kubeconfig string
	kube       kubernetes.Interface
	natsauth   natsclientset.Interface

	controller, resolver           *testbed.Process
	controllerPorts, resolverPorts []int
	nats                           *testbed.NatsServer
	operatorNS, operatorName       string
	resolverCreds                  string
	userCreds                      []string // creds files of the users still alive, for the summary

	cleanups []func()
}

// run starts the system, runs the check, and then either returns (ExitAfterCheck) or keeps
// everything running until ctx ends. Everything it started is stopped before it returns.
func run(ctx context.Context, opts options) error {
	d := &demo{opts: opts, began: time.Now()}
	defer d.teardown()
	bounded, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	err := d.setup(bounded)
	if err == nil {
		err = d.check(bounded)
	}
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted: %w", err)
		}
		if bounded.Err() != nil {
			return fmt.Errorf("not done within --timeout %s: %w (logs in %s)", opts.Timeout, err, opts.StateDir)
		}
		return fmt.Errorf("%w (logs in %s)", err, opts.StateDir)
	}
	d.summary()
	if opts.ExitAfterCheck {
		d.logf("check passed in %s; exiting as asked (--exit-after-check / $%s)", d.elapsed(), exitEnv)
		return nil
	}
	return d.wait(ctx)
}

// setup runs steps 1 to 4: control plane, controller, objects, nats-server, resolver.
func (d *demo) setup(ctx context.Context) error {
	if err := d.prepareDirs(); err != nil {
		return err
	}
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"control plane", d.startControlPlane},
		{"controller", d.startController},
		{"example objects", d.applyExamples},
		{"nats-server", d.startNatsServer},
		{"resolver", d.startResolver},
	}
	for _, s := range steps {
		if err := s.fn(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return nil
}

// prepareDirs creates the state dir, removing only what an earlier run left there (never the
// whole directory: --state-dir may name one that holds other things), and the temp dir.
func (d *demo) prepareDirs() error {
	if err := os.MkdirAll(d.opts.StateDir, 0o755); err != nil {
		return err
	}
	for _, name := range []string{"kubeconfig", "controller.log", "resolver.log", "nats-server"} {
		if err := os.RemoveAll(filepath.Join(d.opts.StateDir, name)); err != nil {
			return err
		}
	}
	tmp, err := os.MkdirTemp("", "nats-auth-demo-")
	if err != nil {
		return err
	}
	d.tmp = tmp
	d.onStop(func() { _ = os.RemoveAll(tmp) })
	return nil
}

// startControlPlane starts etcd and kube-apiserver with the CRDs and writes the kubeconfig to the
// stable path users export.
func (d *demo) startControlPlane(context.Context) error {
	d.logf("starting etcd and kube-apiserver on 127.0.0.1, installing the CRDs from manifests/crds")
	cp, err := testbed.StartControlPlaneMain(testbed.ControlPlaneOptions{
		CRDDir: filepath.Join(d.opts.RepoRoot, "manifests", "crds"),
		Logf:   func(format string, args ...any) { d.logf("  "+format, args...) },
	})
	if err != nil {
		return err
	}
	d.cp = cp
	d.onStop(cp.Stop)
	kc, err := os.ReadFile(cp.Kubeconfig())
	if err != nil {
		return err
	}
	d.kubeconfig = filepath.Join(d.opts.StateDir, "kubeconfig")
	if err := os.WriteFile(d.kubeconfig, kc, 0o600); err != nil {
		return err
	}
	// The kubeconfig names a cluster that no longer exists once the demo stops.
	d.onStop(func() { _ = os.Remove(d.kubeconfig) })
	if d.kube, err = kubernetes.NewForConfig(cp.Config()); err != nil {
		return err
	}
	if d.natsauth, err = natsclientset.NewForConfig(cp.Config()); err != nil {
		return err
	}
	d.logf("kube-apiserver ready at %s; in another shell:\n\n    export KUBECONFIG=%s\n    kubectl get nop,nacc,nu -A\n",
		cp.Config().Host, d.kubeconfig)
	return nil
}

// startController runs the controller binary, as a Deployment would, against the kubeconfig.
func (d *demo) startController(ctx context.Context) error {
	p, ports, err := d.startBinary(ctx, "controller", d.opts.ControllerBin, []string{"--kubeconfig=" + d.kubeconfig})
	if err != nil {
		return err
	}
	d.controller, d.controllerPorts = p, ports
	d.logf("controller ready (pid %d, log %s)", p.Pid(), p.LogPath())
	return nil
}

// startBinary starts one of the project's binaries with metrics and probes on fresh loopback
// ports and waits for /readyz, retrying when a port was taken between choosing and binding.
func (d *demo) startBinary(ctx context.Context, name, bin string, args []string) (*testbed.Process, []int, error) {
	if _, err := os.Stat(bin); err != nil {
		return nil, nil, fmt.Errorf("%s binary: %w (run `make demo`, which builds it)", name, err)
	}
	for attempt := 1; ; attempt++ {
		ports, err := testbed.FreePorts(2)
		if err != nil {
			return nil, nil, err
		}
		p, err := testbed.StartProcess(testbed.ProcessOptions{
			Name: name, Path: bin, LogPath: filepath.Join(d.opts.StateDir, name+".log"),
			Args: slices.Concat(args, []string{
				fmt.Sprintf("--metrics-bind-address=127.0.0.1:%d", ports[0]),
				fmt.Sprintf("--health-probe-bind-address=127.0.0.1:%d", ports[1])}),
		})
		if err != nil {
			return nil, nil, err
		}
		err = p.WaitHTTP(ctx, fmt.Sprintf("http://127.0.0.1:%d/readyz", ports[1]))
		if err == nil {
			d.onStop(p.Stop)
			return p, ports, nil
		}
		if !testbed.IsBindConflict(err) || attempt == 3 {
			return nil, nil, err
		}
	}
}

// onStop registers f to run at teardown, in reverse order of registration.
func (d *demo) onStop(f func()) { d.cleanups = append(d.cleanups, f) }

// teardown stops everything: clients and resolver first, the control plane last (apiserver
// before etcd, which testbed's Stop does), then removes the temp dir.
func (d *demo) teardown() {
	if len(d.cleanups) == 0 {
		return
	}
	began := time.Now()
	d.logf("stopping everything")
	for i := len(d.cleanups) - 1; i >= 0; i-- {
		d.cleanups[i]()
	}
	d.cleanups = nil
	d.logf("stopped in %s; logs kept in %s", time.Since(began).Round(time.Millisecond), d.opts.StateDir)
}

// wait keeps the system running until ctx ends, and fails if one of its processes dies, since
// the summary would then be lying.
func (d *demo) wait(ctx context.Context) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintln(d.opts.Out)
			d.logf("signal received")
			return nil
		case <-tick.C:
		}
		if !d.controller.Running() {
			return fmt.Errorf("the controller exited; last lines of %s:\n%s", d.controller.LogPath(), d.controller.LogTail(20))
		}
		if d.resolver != nil && !d.resolver.Running() {
			return fmt.Errorf("the resolver exited; last lines of %s:\n%s", d.resolver.LogPath(), d.resolver.LogTail(20))
		}
		if !d.nats.Running() {
			return fmt.Errorf("nats-server exited; last lines of %s:\n%s", d.nats.LogPath(), d.nats.LogTail(20))
		}
	}
}

// logf prints a progress line prefixed with the time since the start, so the output doubles as
// a timing report.
func (d *demo) logf(format string, args ...any) {
	fmt.Fprintf(d.opts.Out, "[%5.1fs] %s\n", time.Since(d.began).Seconds(), fmt.Sprintf(format, args...))
}

func (d *demo) elapsed() time.Duration { return time.Since(d.began).Round(100 * time.Millisecond) }

// errNotReady is wrapped by the waits for objects, which report what was still missing.
var errNotReady = errors.New("not ready")
