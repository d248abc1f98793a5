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
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/cmd/controller/app"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	natsclientset "github.com/natsauth/nats-auth-operator/generated/clientset/versioned"
	natsinformers "github.com/natsauth/nats-auth-operator/generated/informers/externalversions"
	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// Creating the objects must not be the bottleneck: the benchmark's own client is far above the
// controller's rate, with enough goroutines to keep the apiserver busy.
const (
	createQPS     = 2000
	createBurst   = 4000
	createWorkers = 16
	// pollInterval paces the LISTs that wait for the accounts and for deletions; convergence
	// is watched instead.
	pollInterval = time.Second
	// benchNS holds the operator, the accounts and the users; floorNS the floor's objects.
	benchNS = "bench"
	floorNS = "bench-floor"
	// benchLabel marks the workload's users, apart from the operator's own resolver user.
	benchLabel = "bench.natsauth.io/user"
)

// options configure runAll; main fills them from flags, the test from its temp dirs.
type options struct {
	RepoRoot      string
	StateDir      string
	ControllerBin string
	ResolverBin   string
	// Workers, QPS and Burst are the controller's --workers, --kube-api-qps and
	// --kube-api-burst, which the floor uses too; zero means the controller's defaults.
	Workers int
	QPS     int
	Burst   int
	// RunsDir holds the run logs --record appends to, one file per UTC date; RecordPath, when
	// set, is the one file to append to instead.
	RunsDir     string
	RecordPath  string
	Workloads   []string
	Users       []int // empty: the workload's own count
	QuietWindow time.Duration
	Timeout     time.Duration
	Record      bool
	// ControllerArgs are extra controller flags (investigations, e.g. --profiling -v=2).
	ControllerArgs []string
	// ControllerEnv are extra KEY=VALUE environment entries of the controller (e.g. GOGC=100).
	ControllerEnv []string
	// Precreate creates the users while the controller is stopped and times convergence from
	// the controller's start: the controller alone against the floor, without the creates
	// competing for the apiserver.
	Precreate bool
	// NoNATS runs the workloads without nats-servers and the resolver (no pushes counted).
	NoNATS bool
	// HeapProfileDir, when set, receives the controller's heap profile at the end of each
	// run's quiet window (the controller runs with --profiling).
	HeapProfileDir string
	Command        string
	Note           string
	Out            io.Writer
}

// workload describes what one run creates and does.
type workload struct {
	Name string
	What string
	// Accounts is a fixed account count; UsersPerAccount, when set, derives it from the user
	// count instead, so that --users scales W2-W4 as the workload describes.
	Accounts        int
	UsersPerAccount int
	Users           int // default count; --users overrides it
	// UnrelatedSecrets are created in other namespaces before the controller starts (W3).
	UnrelatedSecrets int
	// Restart restarts the controller after the quiet window (W4).
	Restart bool
	// DeleteAll deletes every user after the quiet window (W5).
	DeleteAll bool
}

// accounts is how many accounts a run with users users creates.
func (w workload) accounts(users int) int {
	if w.UsersPerAccount > 0 {
		return max(1, (users+w.UsersPerAccount-1)/w.UsersPerAccount)
	}
	return w.Accounts
}

var workloads = map[string]workload{
	"W1": {Name: "W1", What: "1 operator, 10 accounts, 1,000 users", Accounts: 10, Users: 1000},
	"W2": {Name: "W2", What: "1,000 accounts x 10 users", UsersPerAccount: 10, Users: 10000},
	"W3": {Name: "W3", What: "W2 with 50,000 unrelated Secrets", UsersPerAccount: 10, Users: 10000, UnrelatedSecrets: 50000},
	"W4": {Name: "W4", What: "controller restart with W2 in place", UsersPerAccount: 10, Users: 10000, Restart: true},
	"W5": {Name: "W5", What: "10,000 users created and deleted in one account", Accounts: 1, Users: 10000, DeleteAll: true},
}

// result is one row of the table.
type result struct {
	Workload string
	Users    int
	Accounts int

	Converge time.Duration
	Floor    time.Duration
	// Writes are the controller's mutating requests to natsusers and secrets (subresources
	// included) between the first create and convergence; the benchmark's creates are removed.
	Writes       float64
	WritesDetail string
	// OtherWrites are mutating requests to other resources in the same interval (events, the
	// accounts' status, the apiserver's own leases), reported but not held to the target.
	OtherWrites       float64
	OtherWritesDetail string
	QuietWindow       time.Duration
	Quiet             quiet

	PeakRSSBytes int64
	CPUSeconds   float64 // whole life of the controller, start to the end of the quiet window
	CPUConverge  float64 // from the first create to convergence

	// APITime and FloorAPITime are the apiserver's mean time per write to natsusers and secrets
	// during convergence and during the floor (latencies.String).
	APITime, FloorAPITime string
	// ControlPlaneCPU and FloorControlPlaneCPU are etcd's and kube-apiserver's CPU per
	// mutating request (benchmark creates and other writes included) in the same intervals
	// (controlPlaneCPU.perRequest); reads and watches are what makes up the rest.
	ControlPlaneCPU, FloorControlPlaneCPU string
	FloorWrites                           int
	FloorPlan                             string
	FloorErrors                           int
	// FloorWithCreates: the floor's span includes creating its NatsUsers, as convergence
	// includes the benchmark's creates (not with --precreate).
	FloorWithCreates bool

	// Precreated: convergence was timed from the controller's start, the users created before.
	Precreated bool

	// Workload-specific phases (W3, W4, W5).
	Unrelated *unrelatedResult
	Restart   *restartResult
	Delete    *deleteAllResult

	LoadBefore, LoadAfter string
}

func (r result) ratio() float64 {
	if r.Floor <= 0 {
		return 0
	}
	return r.Converge.Seconds() / r.Floor.Seconds()
}

func (r result) writesPerUser() float64 { return r.Writes / float64(r.Users) }

// runAll runs every requested workload and user count, prints the table, and records it.
// fullRun is --workload all: every target of BENCHMARKS.md in one invocation. W1 runs as the
// scaling series; W4 is W2 followed by the restart, so its convergence row is W2's and W3 is
// compared with it. A NAME:N entry runs workload NAME with N users.
var fullRun = []string{"W1:1000", "W1:10000", "W1:100000", "W3", "W4", "W5", natsWorkload}

func runAll(ctx context.Context, opts options) ([]result, error) {
	if len(opts.Workloads) == 0 {
		opts.Workloads = []string{"W1"}
	}
	if _, err := os.Stat(opts.ControllerBin); err != nil {
		return nil, fmt.Errorf("controller binary: %w (run `make bench`, which builds it)", err)
	}
	if err := os.MkdirAll(opts.StateDir, 0o755); err != nil {
		return nil, err
	}
	began := time.Now()
	var results []result
	var sections []string
	for _, name := range opts.Workloads {
		if name == natsWorkload {
			section, err := runNATS(ctx, opts)
			if err != nil {
				return results, fmt.Errorf("%s: %w", natsWorkload, err)
			}
			fmt.Fprintf(opts.Out, "\n%s\n", section)
			sections = append(sections, section)
			continue
		}
		name, size, _ := strings.Cut(name, ":")
		w, ok := workloads[name]
		if !ok {
			return results, fmt.Errorf("unknown workload %q (known: W1..W5, %s)", name, natsWorkload)
		}
		sizes := opts.Users
		if len(sizes) == 0 {
			sizes = []int{w.Users}
			if size != "" {
				n, err := parseCount(size)
				if err != nil {
					return results, fmt.Errorf("workload %s:%s: %w", name, size, err)
				}
				sizes = []int{n}
			}
		}
		for _, n := range sizes {
			r, err := runOne(ctx, opts, w, n)
			if err != nil {
				return results, fmt.Errorf("%s with %d users: %w", w.Name, n, err)
			}
			results = append(results, r)
		}
	}
	if len(results) > 0 {
		fmt.Fprintf(opts.Out, "\n%s\n", formatResults(results))
	}
	if opts.Record && len(results)+len(sections) > 0 {
		path, err := record(opts, results, sections, time.Since(began), time.Now())
		if err != nil {
			return results, err
		}
		fmt.Fprintf(opts.Out, "recorded in %s\n", path)
	}
	return results, nil
}

// run is one workload at one size on a fresh control plane.
type run struct {
	opts     options
	w        workload
	users    int
	accounts int
	began    time.Time

	cp         *testbed.ControlPlane
	controller *testbed.Process
	// controllerMetrics is the running controller's /metrics URL.
	controllerMetrics string
	stack             *natsStack // nil with --no-nats
	kube              kubernetes.Interface
	nats              natsclientset.Interface
	scrape            *scraper
	stops             []func()
}

func (r *run) logf(format string, args ...any) {
	fmt.Fprintf(r.opts.Out, "[%6.1fs] %s %d: %s\n", time.Since(r.began).Seconds(), r.w.Name, r.users, fmt.Sprintf(format, args...))
}

func runOne(ctx context.Context, opts options, w workload, users int) (res result, err error) {
	r := &run{opts: opts, w: w, users: users, accounts: w.accounts(users), began: time.Now()}
	defer func() {
		for i := len(r.stops) - 1; i >= 0; i-- {
			r.stops[i]()
		}
	}()
	res = result{Workload: w.Name, Users: users, Accounts: r.accounts, QuietWindow: opts.QuietWindow, LoadBefore: loadAvg()}

	if err := r.startControlPlane(); err != nil {
		return res, fmt.Errorf("control plane: %w", err)
	}
	if w.UnrelatedSecrets > 0 {
		if res.Unrelated, err = r.createUnrelatedSecrets(ctx, w.UnrelatedSecrets); err != nil {
			return res, fmt.Errorf("unrelated Secrets: %w", err)
		}
	}
	if err := r.startController(ctx, ""); err != nil {
		return res, fmt.Errorf("controller: %w", err)
	}
	if err := r.createAccounts(ctx); err != nil {
		return res, fmt.Errorf("operator and accounts: %w", err)
	}
	if !opts.NoNATS {
		stack, err := startNATSStack(ctx, r.cp, opts, r.logf, benchNS, "main")
		if err != nil {
			return res, fmt.Errorf("nats-servers and resolver: %w", err)
		}
		r.stack = stack
		r.stops = append(r.stops, stack.stop)
		if err := stack.waitPushed(ctx, r.nats, 5*time.Minute); err != nil {
			return res, err
		}
		r.logf("every account pushed to %d servers", natsServers)
	}
	before, err := r.settle(ctx)
	if err != nil {
		return res, fmt.Errorf("waiting for the controller to settle: %w", err)
	}
	procBefore, err := readProcStats(r.controller.Pid())
	if err != nil {
		return res, err
	}
	latBefore, err := r.scrape.latency(ctx)
	if err != nil {
		return res, err
	}
	cpBefore := r.controlPlaneCPU()

	// Converge.
	var first time.Time
	if opts.Precreate {
		// The users exist before the controller starts, so the apiserver serves only the
		// controller while it converges, as it serves only the floor's client.
		r.controller.Stop()
		if _, err := r.createUsers(ctx); err != nil {
			return res, fmt.Errorf("creating users: %w", err)
		}
		first = time.Now()
		if err := r.startController(ctx, "-precreated"); err != nil {
			return res, err
		}
		res.Precreated = true
	} else if first, err = r.createUsers(ctx); err != nil {
		return res, fmt.Errorf("creating users: %w", err)
	}
	converged, items, secrets, err := r.waitConverged(ctx, first)
	if err != nil {
		return res, err
	}
	res.Converge = converged.Sub(first)
	after, err := r.scrape.mutating(ctx)
	if err != nil {
		return res, err
	}
	procAfter, err := readProcStats(r.controller.Pid())
	if err != nil {
		return res, err
	}
	latAfter, err := r.scrape.latency(ctx)
	if err != nil {
		return res, err
	}
	res.APITime = latAfter.since(latBefore).String()
	cpConverge := r.controlPlaneCPU().sub(cpBefore)
	res.CPUConverge = procAfter.CPUSeconds - procBefore.CPUSeconds
	delta := after.sub(before)
	// The benchmark's own creates are the only writes in this interval that are not the
	// controller's (besides the apiserver's housekeeping, which lands in OtherWrites).
	own := reqKey{Resource: "natsusers", Verb: "POST"}
	delta[own] -= float64(users)
	if delta[own] <= 0.5 {
		delete(delta, own)
	}
	res.Writes, res.WritesDetail = delta.total(isBenchResource), delta.format(isBenchResource)
	res.ControlPlaneCPU = cpConverge.perRequest(res.Writes + res.OtherWrites + float64(users))
	res.OtherWrites, res.OtherWritesDetail = delta.total(isOther), delta.format(isOther)
	r.logf("converged in %s: %.2f writes/user (%s); other writes: %s",
		res.Converge.Round(time.Millisecond), res.writesPerUser(), res.WritesDetail, res.OtherWritesDetail)

	// Quiet window.
	if err := r.quietWindow(ctx, after, &res.Quiet); err != nil {
		return res, err
	}
	final, err := readProcStats(r.controller.Pid())
	if err != nil {
		return res, err
	}
	res.PeakRSSBytes, res.CPUSeconds = final.PeakRSSBytes, final.CPUSeconds
	if err := r.checkRunning(); err != nil {
		return res, err
	}
	if err := r.saveHeapProfile(ctx); err != nil {
		return res, err
	}

	if w.Restart {
		if res.Restart, err = r.restart(ctx); err != nil {
			return res, fmt.Errorf("restart: %w", err)
		}
	}
	if w.DeleteAll {
		if res.Delete, err = r.deleteAll(ctx); err != nil {
			return res, fmt.Errorf("deleting the users: %w", err)
		}
	}

	// The floor runs without the controller and the resolver, so that they neither compete for
	// the CPU nor reconcile the floor's NatsUsers.
	r.controller.Stop()
	r.stack.stop()

	plan := planFromDelta(delta, users)
	res.FloorPlan = plan.String()
	fl, err := r.runFloor(ctx, plan, items, secrets)
	if err != nil {
		return res, fmt.Errorf("raw floor: %w", err)
	}
	res.Floor, res.FloorWrites, res.FloorErrors, res.FloorWithCreates = fl.Duration, fl.Writes, fl.Errors, fl.CreatesIncluded
	res.FloorAPITime = fl.APITime
	res.FloorControlPlaneCPU = fl.ControlPlaneCPU.perRequest(float64(fl.Writes + fl.Creates))
	res.LoadAfter = loadAvg()
	r.logf("raw floor: %d writes (%s per user) in %s, %d errors; ratio %.2f",
		fl.Writes, res.FloorPlan, res.Floor.Round(time.Millisecond), fl.Errors, res.ratio())
	return res, nil
}

// quiet is what happened in a quiet window: writes to the benchmark's resources, other writes,
// and the resolver's pushes.
type quiet struct {
	Window        time.Duration
	Writes        float64
	Detail        string
	Other         float64
	OtherDetail   string
	Pushes        float64
	PushesCounted bool
}

// quietWindow waits opts.QuietWindow and counts, from the counters at from, the writes and
// the resolver's pushes in it.
func (r *run) quietWindow(ctx context.Context, from counts, q *quiet) error {
	q.Window = r.opts.QuietWindow
	pushesBefore, err := r.stack.pushes(ctx)
	if err != nil {
		return err
	}
	r.logf("counting writes and pushes for %s", q.Window)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(q.Window):
	}
	end, err := r.scrape.mutating(ctx)
	if err != nil {
		return err
	}
	d := end.sub(from)
	q.Writes, q.Detail = d.total(isBenchResource), d.format(isBenchResource)
	q.Other, q.OtherDetail = d.total(isOther), d.format(isOther)
	if r.stack != nil {
		pushesAfter, err := r.stack.pushes(ctx)
		if err != nil {
			return err
		}
		q.Pushes, q.PushesCounted = pushesAfter-pushesBefore, true
	}
	r.logf("quiet window: %.0f writes to natsusers/natsaccounts/secrets (%s), %.0f pushes; other: %s", q.Writes, q.Detail, q.Pushes, q.OtherDetail)
	return nil
}

// checkRunning fails when the controller or the resolver exited.
func (r *run) checkRunning() error {
	procs := []*testbed.Process{r.controller}
	if r.stack != nil {
		procs = append(procs, r.stack.resolver)
	}
	for _, p := range procs {
		if !p.Running() {
			return fmt.Errorf("%s exited; last lines of %s:\n%s", filepath.Base(p.LogPath()), p.LogPath(), p.LogTail(20))
		}
	}
	return nil
}

func (r *run) startControlPlane() (err error) {
	r.cp, r.kube, r.nats, r.scrape, err = startControlPlane(r.opts, r.logf)
	if r.cp != nil {
		r.stops = append(r.stops, r.cp.Stop)
	}
	return err
}

// startControlPlane starts etcd and kube-apiserver with the CRDs and returns the benchmark's fast
// clients and its request-count scraper. The control plane is returned (to be stopped) even when
// a client fails.
func startControlPlane(opts options, logf func(string, ...any)) (*testbed.ControlPlane, kubernetes.Interface, natsclientset.Interface, *scraper, error) {
	logf("starting etcd and kube-apiserver, installing the CRDs")
	cp, err := testbed.StartControlPlaneMain(testbed.ControlPlaneOptions{
		CRDDir: filepath.Join(opts.RepoRoot, "manifests", "crds"),
		Logf:   func(format string, args ...any) { logf("  "+format, args...) },
	})
	if err != nil {
		return nil, nil, nil, nil, err
	}
	cfg := fastConfig(cp.Config())
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return cp, nil, nil, nil, err
	}
	nats, err := natsclientset.NewForConfig(cfg)
	if err != nil {
		return cp, nil, nil, nil, err
	}
	scrape, err := newScraper(cp.Config())
	return cp, kube, nats, scrape, err
}

func fastConfig(cfg *rest.Config) *rest.Config {
	cfg.QPS, cfg.Burst = createQPS, createBurst
	return cfg
}

// startController runs the controller binary with its production defaults; only the kubeconfig
// and the loopback metrics and probe ports are given (and the tuning flags). suffix tells the
// log of a restarted controller from the first.
func (r *run) startController(ctx context.Context, suffix string) error {
	logPath := filepath.Join(r.opts.StateDir, fmt.Sprintf("%s-%d-controller%s.log", strings.ToLower(r.w.Name), r.users, suffix))
	p, metrics, err := startControllerProcess(ctx, r.opts.ControllerBin, r.cp, logPath, append(r.opts.tuningArgs(), r.opts.ControllerArgs...), r.opts.ControllerEnv)
	if err != nil {
		return err
	}
	r.controller, r.controllerMetrics = p, metrics
	r.stops = append(r.stops, p.Stop)
	workers, qps, burst := r.opts.tuning()
	r.logf("controller ready (pid %d, --workers %d --kube-api-qps %d --kube-api-burst %d, log %s)",
		p.Pid(), workers, qps, burst, logPath)
	return nil
}

// startControllerProcess runs the controller binary with its production defaults: only the
// kubeconfig, loopback metrics and probe ports, and extra are given. It returns once /readyz
// answers, with the process and its /metrics URL; a port taken meanwhile is retried.
func startControllerProcess(ctx context.Context, bin string, cp *testbed.ControlPlane, logPath string, extra, env []string) (*testbed.Process, string, error) {
	if err := os.Remove(logPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, "", err
	}
	for attempt := 1; ; attempt++ {
		ports, err := testbed.FreePorts(2)
		if err != nil {
			return nil, "", err
		}
		p, err := testbed.StartProcess(testbed.ProcessOptions{
			Name: "controller", Path: bin, LogPath: logPath, Env: env,
			Args: append([]string{
				"--kubeconfig=" + cp.Kubeconfig(),
				fmt.Sprintf("--metrics-bind-address=127.0.0.1:%d", ports[0]),
				fmt.Sprintf("--health-probe-bind-address=127.0.0.1:%d", ports[1]),
			}, extra...),
		})
		if err != nil {
			return nil, "", err
		}
		err = p.WaitHTTP(ctx, fmt.Sprintf("http://127.0.0.1:%d/readyz", ports[1]))
		if err == nil {
			return p, fmt.Sprintf("http://127.0.0.1:%d/metrics", ports[0]), nil
		}
		p.Stop()
		if !testbed.IsBindConflict(err) || attempt == 3 {
			return nil, "", err
		}
	}
}

// tuning returns the controller's workers, QPS and burst for this run: the flags, else the
// controller's defaults.
func (o options) tuning() (workers, qps, burst int) {
	workers, qps, burst = app.DefaultWorkers, app.DefaultKubeAPIQPS, app.DefaultKubeAPIBurst
	if o.Workers > 0 {
		workers = o.Workers
	}
	if o.QPS > 0 {
		qps = o.QPS
	}
	if o.Burst > 0 {
		burst = o.Burst
	}
	return workers, qps, burst
}

// tuningArgs are the controller flags for the overrides given; none for the defaults.
func (o options) tuningArgs() []string {
	var args []string
	if o.Workers > 0 {
		args = append(args, fmt.Sprintf("--workers=%d", o.Workers))
	}
	if o.QPS > 0 {
		args = append(args, fmt.Sprintf("--kube-api-qps=%d", o.QPS))
	}
	if o.Burst > 0 {
		args = append(args, fmt.Sprintf("--kube-api-burst=%d", o.Burst))
	}
	return args
}

func accountName(i int) string { return fmt.Sprintf("acc-%02d", i) }

func userName(i int) string { return fmt.Sprintf("user-%05d", i) }

// createAccounts creates the namespace, the operator and the accounts, and waits until they
// are Ready.
func (r *run) createAccounts(ctx context.Context) error {
	for _, ns := range []string{benchNS, floorNS} {
		if _, err := r.kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	op := &natsv1alpha1.NatsOperator{ObjectMeta: metav1.ObjectMeta{Name: "main", Namespace: benchNS},
		Spec: natsv1alpha1.NatsOperatorSpec{Resolver: natsv1alpha1.ResolverSpec{Type: natsv1alpha1.ResolverFull,
			Dir: "/data/resolver", AllowDelete: true, Timeout: &metav1.Duration{Duration: 1900 * time.Millisecond}}}}
	if _, err := r.nats.NatsauthV1alpha1().NatsOperators(benchNS).Create(ctx, op, metav1.CreateOptions{}); err != nil {
		return err
	}
	for i := range r.accounts {
		acc := &natsv1alpha1.NatsAccount{ObjectMeta: metav1.ObjectMeta{Name: accountName(i), Namespace: benchNS},
			Spec: natsv1alpha1.NatsAccountSpec{OperatorRef: natsv1alpha1.LocalObjectReference{Name: "main"}}}
		if _, err := r.nats.NatsauthV1alpha1().NatsAccounts(benchNS).Create(ctx, acc, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	began := time.Now()
	waitCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	for {
		ops, err1 := r.nats.NatsauthV1alpha1().NatsOperators(benchNS).List(waitCtx, metav1.ListOptions{})
		accs, err2 := r.nats.NatsauthV1alpha1().NatsAccounts(benchNS).List(waitCtx, metav1.ListOptions{})
		if err := errors.Join(err1, err2); err == nil {
			ready := 0
			for _, o := range ops.Items {
				if isReady(o.Status.Conditions, o.Generation) {
					ready++
				}
			}
			for _, a := range accs.Items {
				if isReady(a.Status.Conditions, a.Generation) {
					ready++
				}
			}
			// The operator also creates its system account.
			if want := 1 + r.accounts + 1; ready >= want && len(ops.Items)+len(accs.Items) == want {
				r.logf("operator and %d accounts Ready in %s", r.accounts, time.Since(began).Round(time.Millisecond))
				return nil
			}
		}
		select {
		case <-waitCtx.Done():
			return fmt.Errorf("not Ready within 5m (see %s)", r.controller.LogPath())
		case <-time.After(pollInterval):
		}
	}
}

// settle waits until no mutating request reached the apiserver for a second (at most 15 s),
// so that the writes counted for the users are not the tail of the accounts' setup, and
// returns the counters at that point.
func (r *run) settle(ctx context.Context) (counts, error) {
	prev, err := r.scrape.mutating(ctx)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(time.Second)
		cur, err := r.scrape.mutating(ctx)
		if err != nil {
			return nil, err
		}
		if d := cur.sub(prev); d.total(isBenchResource) == 0 && d.total(func(k reqKey) bool { return strings.HasPrefix(k.Resource, "nats") }) == 0 {
			return cur, nil
		}
		prev = cur
	}
	r.logf("warning: the controller was still writing 15 s after the accounts were Ready")
	return prev, nil
}

// newUser is the workload's NatsUser i: no permissions of its own, so the account's defaults
// apply, as for most real users.
func newUser(ns string, i, accounts int) *natsv1alpha1.NatsUser {
	return &natsv1alpha1.NatsUser{ObjectMeta: metav1.ObjectMeta{Name: userName(i), Namespace: ns,
		Labels: map[string]string{benchLabel: "true"}},
		Spec: natsv1alpha1.NatsUserSpec{AccountRef: natsv1alpha1.NatsAccountReference{Name: accountName(i % accounts)}}}
}

// createUsers creates the users with createWorkers goroutines and returns the time of the first
// create.
func (r *run) createUsers(ctx context.Context) (time.Time, error) {
	first, err := createNatsUsers(ctx, r.nats, benchNS, r.users, r.accounts, nil)
	if err != nil {
		return first, err
	}
	r.logf("created %d NatsUsers in %s", r.users, time.Since(first).Round(time.Millisecond))
	return first, nil
}

func createNatsUsers(ctx context.Context, client natsclientset.Interface, ns string, users, accounts int,
	onCreated func(i int, u *natsv1alpha1.NatsUser)) (time.Time, error) {
	next := atomic.Int64{}
	var wg sync.WaitGroup
	errs := make([]error, createWorkers)
	first := time.Now()
	for w := range createWorkers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= users || ctx.Err() != nil {
					return
				}
				u, err := client.NatsauthV1alpha1().NatsUsers(ns).Create(ctx, newUser(ns, i, accounts), metav1.CreateOptions{})
				if err != nil {
					errs[w] = fmt.Errorf("%s: %w", userName(i), err)
					return
				}
				if onCreated != nil {
					onCreated(i, u)
				}
			}
		})
	}
	wg.Wait()
	return first, errors.Join(errs...)
}

// waitConverged watches the users until every one is Ready for its generation, then confirms
// with one LIST that every Secret holds user.creds, and returns the time the last user became
// Ready and the users and Secrets. A watch instead of repeated LISTs: listing 10,000 users five
// times a second would load the apiserver more than the controller does.
func (r *run) waitConverged(ctx context.Context, first time.Time) (time.Time, []natsv1alpha1.NatsUser, []corev1.Secret, error) {
	waitCtx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	tracker := newReadyTracker(r.users)
	factory := natsinformers.NewSharedInformerFactoryWithOptions(r.nats, 0, natsinformers.WithNamespace(benchNS),
		natsinformers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = benchLabel }))
	informer := factory.Natsauth().V1alpha1().NatsUsers().Informer()
	if _, err := informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    tracker.observe,
		UpdateFunc: func(_, obj any) { tracker.observe(obj) },
	}); err != nil {
		return time.Time{}, nil, nil, err
	}
	factory.Start(waitCtx.Done())
	defer factory.Shutdown()
	defer cancel() // before Shutdown, which waits for the informer to stop
	lastReport := time.Now()
	for {
		select {
		case <-waitCtx.Done():
			return time.Time{}, nil, nil, fmt.Errorf("not converged within --timeout %s: %d/%d Ready (see %s)",
				r.opts.Timeout, tracker.count(), r.users, r.controller.LogPath())
		case <-tracker.done:
		case <-time.After(time.Until(lastReport.Add(5 * time.Second))):
			lastReport = time.Now()
			r.logf("  %d/%d Ready after %s", tracker.count(), r.users, time.Since(first).Round(100*time.Millisecond))
			continue
		}
		converged := tracker.at()
		// The controller writes the Secret before the status, so this confirms rather than waits.
		list, err1 := r.nats.NatsauthV1alpha1().NatsUsers(benchNS).List(waitCtx, metav1.ListOptions{LabelSelector: benchLabel})
		secrets, err2 := r.kube.CoreV1().Secrets(benchNS).List(waitCtx, metav1.ListOptions{})
		if err := errors.Join(err1, err2); err != nil {
			return time.Time{}, nil, nil, err
		}
		if n := credsCount(secrets.Items, list.Items); n != r.users {
			return time.Time{}, nil, nil, fmt.Errorf("every user is Ready but only %d of %d Secrets hold user.creds", n, r.users)
		}
		return converged, list.Items, secrets.Items, nil
	}
}

// readyTracker counts the users seen Ready for their generation and closes done, with the time,
// when all are.
type readyTracker struct {
	mu    sync.Mutex
	want  int
	ready map[string]bool
	last  time.Time
	done  chan struct{}
}

func newReadyTracker(want int) *readyTracker {
	return &readyTracker{want: want, ready: map[string]bool{}, done: make(chan struct{})}
}

func (t *readyTracker) observe(obj any) {
	u, ok := obj.(*natsv1alpha1.NatsUser)
	if !ok {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ready[u.Name] || !isReady(u.Status.Conditions, u.Generation) {
		return
	}
	t.ready[u.Name] = true
	if len(t.ready) == t.want {
		t.last = time.Now()
		close(t.done)
	}
}

func (t *readyTracker) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.ready)
}

func (t *readyTracker) at() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.last
}

// credsCount counts the users whose Secret holds a non-empty user.creds.
func credsCount(secrets []corev1.Secret, users []natsv1alpha1.NatsUser) int {
	byName := make(map[string]*corev1.Secret, len(secrets))
	for i := range secrets {
		byName[secrets[i].Name] = &secrets[i]
	}
	n := 0
	for _, u := range users {
		name := u.Spec.SecretName
		if name == "" {
			name = u.Name
		}
		if s := byName[name]; s != nil && len(s.Data[naming.UserCreds]) > 0 {
			n++
		}
	}
	return n
}

func isReady(conds []metav1.Condition, generation int64) bool {
	c := meta.FindStatusCondition(conds, natsv1alpha1.ConditionReady)
	return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == generation
}

// loadAvg returns the 1, 5 and 15 minute load averages, to say how busy the machine was.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
