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
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// Lease names of the two binaries (their defaults), in leaseNS.
const (
	controllerLease = "nats-auth-controller"
	resolverLease   = "nats-auth-resolver"
)

// replica is one controller or resolver process, restarted like a Deployment would restart its
// pod: by the fault injector after it killed it, and by the supervisor after any other exit.
type replica struct {
	name    string // "controller-0"
	bin     string
	args    []string
	logPath string

	startMu sync.Mutex // one start at a time: the supervisor, the injector and the healer all start

	mu       sync.Mutex
	proc     *testbed.Process
	logStart int64 // size of the log when the current process started
	held     bool  // the fault injector killed it and restarts it itself
	starts   int
}

// start runs the binary unless its current process still runs. It uses fresh loopback ports for
// metrics and probes and waits for /readyz, retrying when a port was taken between choosing and
// binding.
func (r *replica) start(ctx context.Context) error {
	r.startMu.Lock()
	defer r.startMu.Unlock()
	if p := r.process(); p != nil && p.Running() {
		return nil
	}
	if _, err := os.Stat(r.bin); err != nil {
		return fmt.Errorf("%s binary: %w (run `make soak`, which builds it)", r.name, err)
	}
	for attempt := 1; ; attempt++ {
		ports, err := testbed.FreePorts(2)
		if err != nil {
			return err
		}
		var logStart int64
		if fi, err := os.Stat(r.logPath); err == nil {
			logStart = fi.Size()
		}
		p, err := testbed.StartProcess(testbed.ProcessOptions{
			Name: r.name, Path: r.bin, LogPath: r.logPath,
			Args: slices.Concat(r.args, []string{
				fmt.Sprintf("--metrics-bind-address=127.0.0.1:%d", ports[0]),
				fmt.Sprintf("--health-probe-bind-address=127.0.0.1:%d", ports[1])}),
		})
		if err != nil {
			return err
		}
		r.mu.Lock()
		r.proc, r.logStart = p, logStart
		r.starts++
		r.mu.Unlock()
		err = p.WaitHTTP(ctx, fmt.Sprintf("http://127.0.0.1:%d/readyz", ports[1]))
		if err == nil {
			return nil
		}
		if !testbed.IsBindConflict(err) || attempt == 3 {
			return err
		}
	}
}

// process returns the current process.
func (r *replica) process() *testbed.Process {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.proc
}

// currentLog returns what the current process wrote.
func (r *replica) currentLog() []byte {
	r.mu.Lock()
	off := r.logStart
	r.mu.Unlock()
	b, err := os.ReadFile(r.logPath)
	if err != nil || int64(len(b)) < off {
		return nil
	}
	return b[off:]
}

// leads reports whether the current process logged that it leads under identity id.
func (r *replica) leads(id string) bool {
	for line := range bytes.SplitSeq(r.currentLog(), []byte("\n")) {
		if bytes.Contains(line, []byte(`"Started leading"`)) && bytes.Contains(line, []byte(`identity="`+id+`"`)) {
			return true
		}
	}
	return false
}

func (s *soak) startControllers(ctx context.Context) error {
	for i := range replicas {
		r := &replica{name: fmt.Sprintf("controller-%d", i), bin: s.opts.ControllerBin,
			logPath: filepath.Join(s.opts.StateDir, fmt.Sprintf("controller-%d.log", i)),
			args:    []string{"--kubeconfig=" + s.cp.Kubeconfig(), "--leader-elect", "--leader-election-namespace=" + leaseNS, "-v=2"}}
		if err := r.start(ctx); err != nil {
			return err
		}
		s.controllers = append(s.controllers, r)
		s.onStop(func() { r.process().Stop() })
	}
	return nil
}

// startResolvers writes the resolver user's creds to a private file and runs two resolvers that
// know every server, as a Deployment behind a Service would.
func (s *soak) startResolvers(ctx context.Context) error {
	secret, err := s.kube.CoreV1().Secrets(opNS).Get(ctx, naming.ResolverCredsSecret(opName), metav1.GetOptions{})
	if err != nil {
		return err
	}
	s.credsFile = filepath.Join(s.tmp, "resolver.creds")
	if err := os.WriteFile(s.credsFile, secret.Data[naming.UserCreds], 0o600); err != nil {
		return err
	}
	urls := make([]string, len(s.servers))
	for i, srv := range s.servers {
		urls[i] = srv.ClientURL()
	}
	for i := range replicas {
		r := &replica{name: fmt.Sprintf("resolver-%d", i), bin: s.opts.ResolverBin,
			logPath: filepath.Join(s.opts.StateDir, fmt.Sprintf("resolver-%d.log", i)),
			args: []string{"--kubeconfig=" + s.cp.Kubeconfig(), "--leader-elect", "--leader-election-namespace=" + leaseNS,
				"--operator=" + opNS + "/" + opName, "--nats-url=" + strings.Join(urls, ","), "--creds=" + s.credsFile,
				// Short, so a server restarted with an empty JWT directory is repaired within the settle time.
				"--drift-interval=10s", "-v=2"}}
		if err := r.start(ctx); err != nil {
			return err
		}
		s.resolvers = append(s.resolvers, r)
		s.onStop(func() { r.process().Stop() })
	}
	return nil
}

// leader returns the replica whose current process holds lease, or an error when the Lease names
// nobody alive (after a kill it names the dead holder until it expires).
func (s *soak) leader(ctx context.Context, lease string, rs []*replica) (*replica, error) {
	l, err := s.kube.CoordinationV1().Leases(leaseNS).Get(ctx, lease, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	id := ptrString(l.Spec.HolderIdentity)
	if id == "" {
		return nil, errors.New("the Lease has no holder")
	}
	for _, r := range rs {
		if p := r.process(); p != nil && p.Running() && r.leads(id) {
			return r, nil
		}
	}
	return nil, fmt.Errorf("no running replica logged leading as %q", id)
}

// waitLeader polls leader until a live holder shows up or timeout passes.
func (s *soak) waitLeader(ctx context.Context, lease string, rs []*replica, timeout time.Duration) (*replica, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var r *replica
	err := pollUntil(ctx, 250*time.Millisecond, func() (bool, error) {
		var err error
		r, err = s.leader(ctx, lease, rs)
		return err == nil, err
	})
	return r, err
}

// supervise restarts replicas that exited on their own (a replica that lost its Lease exits by
// design, which is what happens when the apiserver is down for longer than the renew deadline).
// Exits are counted; what they logged is checked for panics at the end.
func (s *soak) supervise(ctx context.Context) {
	for sleep(ctx, 500*time.Millisecond) {
		for _, r := range slices.Concat(s.controllers, s.resolvers) {
			r.mu.Lock()
			p, held := r.proc, r.held
			r.mu.Unlock()
			if held || p == nil || p.Running() {
				continue
			}
			s.stats.exit(r.name, p.ExitError())
			if err := r.start(ctx); err != nil && ctx.Err() == nil {
				s.logf("restarting %s after it exited: %v", r.name, err)
			}
		}
	}
}

// healAll makes sure that, once the faults stopped, every process runs and no server is frozen.
func (s *soak) healAll() error {
	var errs []error
	for _, srv := range s.servers {
		_ = srv.Resume()
		if !srv.Running() {
			errs = append(errs, srv.StartAgain())
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, r := range slices.Concat(s.controllers, s.resolvers) {
		r.mu.Lock()
		p := r.proc
		r.mu.Unlock()
		if p == nil || !p.Running() {
			errs = append(errs, r.start(ctx))
		}
	}
	return errors.Join(errs...)
}

func ptrString(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
