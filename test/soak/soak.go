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
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	natsclientset "github.com/natsauth/nats-auth-operator/generated/clientset/versioned"
	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// options configure run; main fills them from flags, the smoke test from its temp dirs.
type options struct {
	RepoRoot      string
	StateDir      string // logs of every process, kept after the run
	ControllerBin string
	ResolverBin   string
	Duration      time.Duration // workload and faults
	Settle        time.Duration // bound on the convergence wait after the faults
	Seed          int64
	FaultMinGap   time.Duration
	FaultMaxGap   time.Duration
	OpInterval    time.Duration
	FuzzTime      time.Duration // per fuzz target, after the checks; 0 skips fuzzing
	Out           io.Writer
}

// Names of the soak's world. Accounts live with their operator; users live in the operator's
// namespace and in two tenant namespaces, and a third tenant namespace is never allowed.
const (
	opNS       = "soak-nats"
	opName     = "main"
	leaseNS    = "soak-system"
	tenantA    = "soak-apps-a"
	tenantB    = "soak-apps-b"
	tenantDeny = "soak-denied"
	numServers = 3
	replicas   = 2
)

var namespaces = []string{opNS, leaseNS, tenantA, tenantB, tenantDeny}

// soak is one run: what it started, what it observed, and what it found.
type soak struct {
	opts  options
	began time.Time
	tmp   string // creds and JWT stores: removed at the end
	rng   *rand.Rand
	rngMu sync.Mutex

	pinnedMu sync.Mutex
	pinned   map[string]bool // accounts a fault needs kept (pinAccount)

	cp       *testbed.ControlPlane
	kube     kubernetes.Interface
	natsauth natsclientset.Interface

	servers     []*testbed.NatsServer
	controllers []*replica
	resolvers   []*replica
	credsFile   string

	tracker *tracker
	stats   *stats

	outMu    sync.Mutex
	cleanups []func()
}

// result is what a run found, for the smoke test.
type result struct {
	Seed       int64
	Ops        map[string]int
	Faults     map[string]int
	Checked    map[string]int
	Violations []string
}

// run starts the system, runs the workload and the faults for opts.Duration, lets the system
// settle and checks the invariants. Everything it started is stopped before it returns. An error
// means the soak itself could not run; violations are in the result.
func run(ctx context.Context, opts options) (*result, error) {
	if opts.Seed == 0 {
		opts.Seed = time.Now().UnixNano()
	}
	s := &soak{opts: opts, began: time.Now(), stats: newStats(),
		rng: rand.New(rand.NewPCG(uint64(opts.Seed), uint64(opts.Seed)>>1|1))}
	defer s.teardown()
	s.logf("soak: duration %s, seed %d, logs in %s", opts.Duration, opts.Seed, opts.StateDir)
	if err := s.setup(ctx); err != nil {
		return nil, fmt.Errorf("setup: %w (logs in %s)", err, opts.StateDir)
	}

	s.logf("phase 1: workload and faults for %s (longer if a fault kind is still missing)", opts.Duration)
	// The phase ends when the injector is done: after opts.Duration once every fault kind was
	// injected, and never later than twice opts.Duration.
	chaosCtx, stopChaos := context.WithTimeout(ctx, 2*opts.Duration)
	var wg sync.WaitGroup
	wg.Go(func() { s.workload(chaosCtx) })
	wg.Go(func() {
		defer stopChaos()
		s.injectFaults(chaosCtx, opts.Duration)
	})
	superCtx, stopSupervisor := context.WithCancel(ctx)
	var superWG sync.WaitGroup
	superWG.Go(func() { s.supervise(superCtx) })
	wg.Wait()
	stopChaos()
	if ctx.Err() != nil {
		stopSupervisor()
		superWG.Wait()
		return nil, fmt.Errorf("interrupted: %w", ctx.Err())
	}

	s.logf("phase 2: faults stopped; every process runs again; settling (at most %s)", opts.Settle)
	if err := s.healAll(); err != nil {
		s.stats.violation("recovery", "%v", err)
	}
	s.settleAndCheck(ctx)
	stopSupervisor()
	superWG.Wait()
	s.finalScans(ctx)
	if opts.FuzzTime > 0 {
		s.fuzz(ctx)
	}
	res := s.stats.result()
	res.Seed = opts.Seed
	s.report(res)
	return res, nil
}

// setup starts the control plane, the controllers, the operator, the nats-server cluster and
// the resolvers, in that order (each needs what comes before).
func (s *soak) setup(ctx context.Context) error {
	if err := os.MkdirAll(s.opts.StateDir, 0o755); err != nil {
		return err
	}
	for _, pattern := range []string{"*.log", "nats-*"} {
		old, _ := filepath.Glob(filepath.Join(s.opts.StateDir, pattern))
		for _, p := range old {
			if err := os.RemoveAll(p); err != nil {
				return err
			}
		}
	}
	tmp, err := os.MkdirTemp("", "nats-auth-soak-")
	if err != nil {
		return err
	}
	s.tmp = tmp
	s.onStop(func() { _ = os.RemoveAll(tmp) })
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"control plane", s.startControlPlane},
		{"tracker", s.startTracker},
		{"controllers", s.startControllers},
		{"operator", s.createOperator},
		{"nats-server cluster", s.startNats},
		{"resolvers", s.startResolvers},
	}
	setupCtx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	for _, st := range steps {
		began := time.Now()
		if err := st.fn(setupCtx); err != nil {
			return fmt.Errorf("%s: %w", st.name, err)
		}
		s.logf("  %s ready in %s", st.name, time.Since(began).Round(time.Millisecond))
	}
	return nil
}

func (s *soak) startControlPlane(context.Context) error {
	cp, err := testbed.StartControlPlaneMain(testbed.ControlPlaneOptions{
		CRDDir: filepath.Join(s.opts.RepoRoot, "manifests", "crds"),
	})
	if err != nil {
		return err
	}
	s.cp = cp
	s.onStop(func() {
		// The apiserver's and etcd's logs live in the control plane's temp dir, which Stop
		// removes: keep copies with the others.
		for _, name := range []string{"kube-apiserver.log", "etcd.log"} {
			if b, err := os.ReadFile(filepath.Join(cp.Dir(), name)); err == nil {
				_ = os.WriteFile(filepath.Join(s.opts.StateDir, name), b, 0o644)
			}
		}
		cp.Stop()
	})
	if s.kube, err = kubernetes.NewForConfig(cp.Config()); err != nil {
		return err
	}
	if s.natsauth, err = natsclientset.NewForConfig(cp.Config()); err != nil {
		return err
	}
	for _, ns := range namespaces {
		_, err := s.kube.CoreV1().Namespaces().Create(context.Background(),
			&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	return nil
}

// createOperator creates the NatsOperator whose auth.conf the servers run, and waits for it.
func (s *soak) createOperator(ctx context.Context) error {
	op := &natsv1alpha1.NatsOperator{
		ObjectMeta: metav1.ObjectMeta{Name: opName, Namespace: opNS},
		Spec: natsv1alpha1.NatsOperatorSpec{Resolver: natsv1alpha1.ResolverSpec{
			Type: natsv1alpha1.ResolverFull, AllowDelete: true,
			// Short: a connect for an account a server does not know waits this long.
			Timeout: &metav1.Duration{Duration: time.Second},
			// The servers' own sync between full resolvers is part of the system under test.
			Interval: &metav1.Duration{Duration: 30 * time.Second},
		}},
	}
	if _, err := s.natsauth.NatsauthV1alpha1().NatsOperators(opNS).Create(ctx, op, metav1.CreateOptions{}); err != nil {
		return err
	}
	return pollUntil(ctx, 200*time.Millisecond, func() (bool, error) {
		op, err := s.natsauth.NatsauthV1alpha1().NatsOperators(opNS).Get(ctx, opName, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return isReady(op.Status.Conditions, op.Generation, op.Status.ObservedGeneration), nil
	})
}

// resolverDirLine is the resolver dir line of a rendered auth.conf.
var resolverDirLine = regexp.MustCompile(`(?m)^(\s*dir:\s*).*$`)

// startNats starts the cluster from the operator's rendered auth.conf, pointing its one `dir` at
// each server's own directory (testbed sets $TESTBED_JWT_DIR per server).
func (s *soak) startNats(ctx context.Context) error {
	op, err := s.natsauth.NatsauthV1alpha1().NatsOperators(opNS).Get(ctx, opName, metav1.GetOptions{})
	if err != nil {
		return err
	}
	secret, err := s.kube.CoreV1().Secrets(opNS).Get(ctx, op.Status.ServerConfigSecret, metav1.GetOptions{})
	if err != nil {
		return err
	}
	auth := string(secret.Data[naming.AuthConf])
	if n := len(resolverDirLine.FindAllString(auth, -1)); n != 1 {
		return fmt.Errorf("auth.conf has %d dir lines, want 1", n)
	}
	auth = resolverDirLine.ReplaceAllString(auth, "${1}$$"+testbed.JWTDirEnv)
	dirs := make([]string, numServers)
	for i := range dirs {
		dirs[i] = filepath.Join(s.opts.StateDir, fmt.Sprintf("nats-%d", i))
		if err := os.MkdirAll(dirs[i], 0o755); err != nil {
			return err
		}
	}
	servers, err := testbed.StartNatsClusterMain(dirs, testbed.NatsOptions{ServerName: "soak-nats", ConfigText: auth,
		JWTDir: filepath.Join(s.tmp, "jwt")})
	if err != nil {
		return err
	}
	s.servers = servers
	s.onStop(func() {
		for _, srv := range servers {
			srv.Stop()
		}
	})
	return nil
}

// onStop registers f to run at teardown, in reverse order of registration.
func (s *soak) onStop(f func()) { s.cleanups = append(s.cleanups, f) }

// teardown stops everything it started: clients and binaries first, the control plane last.
func (s *soak) teardown() {
	for i := len(s.cleanups) - 1; i >= 0; i-- {
		s.cleanups[i]()
	}
	s.cleanups = nil
	s.logf("stopped everything; logs kept in %s", s.opts.StateDir)
}

// logf prints a progress line prefixed with the time since the start. Nothing secret is ever
// passed to it: users are named, never their creds.
func (s *soak) logf(format string, args ...any) {
	s.outMu.Lock()
	defer s.outMu.Unlock()
	fmt.Fprintf(s.opts.Out, "[%6.1fs] %s\n", time.Since(s.began).Seconds(), fmt.Sprintf(format, args...))
}

// intn is a goroutine-safe rand.IntN.
func (s *soak) intn(n int) int {
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.IntN(n)
}

// between returns a random duration in [lo, hi].
func (s *soak) between(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return lo + time.Duration(s.rng.Int64N(int64(hi-lo)+1))
}

// sleep waits d or until ctx ends; it reports whether the full time passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// pollUntil calls cond every interval until it returns true or ctx ends.
func pollUntil(ctx context.Context, interval time.Duration, cond func() (bool, error)) error {
	var last error
	for {
		ok, err := cond()
		if ok {
			return nil
		}
		if err != nil {
			last = err
		}
		if !sleep(ctx, interval) {
			return fmt.Errorf("%w (last error: %v)", ctx.Err(), last)
		}
	}
}
