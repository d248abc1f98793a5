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
	"flag"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	natsclientset "github.com/natsauth/nats-auth-operator/generated/clientset/versioned"
	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// natsWorkload is the --workload name of the NATS latency measurements.
const natsWorkload = "NATS"

const (
	// natsNS holds the NATS workload's operator, account and users.
	natsNS = "bench-nats"
	// natsOperator and natsAccount are the workload's NatsOperator and the account measured.
	natsOperator = "main"
	natsAccount  = "orders"
)

// natsTrials is --nats-trials: NatsUser deletions measured; account changes are 20 (or as many
// as the deletions when fewer) and lookups 100 (or 4 per deletion when more).
var natsTrials int

func init() {
	flag.IntVar(&natsTrials, "nats-trials", 50, "NATS workload: NatsUser deletions measured (target needs >= 50); account changes: 20 (fewer only when this is below 20), lookups: max(100, 4x this).")
	flag.IntVar(&natsLogV, "nats-log-v", 0, "NATS workload: klog -v given to the controller and resolver binaries (logs under --state-dir); 0 is their production default.")
}

// loneDeleteGap spaces the deletions of the second deletion series: over the second that an
// account waits between two JWTs.
const loneDeleteGap = 1500 * time.Millisecond

// loneDeletes is how many deletions the spaced series measures: 20, fewer when fewer deletions
// are asked for (the CI smoke), since each costs the gap.
func loneDeletes(deletes int) int { return min(deletes, 20) }

// natsTrialCounts returns how many deletions, account changes and lookups are measured.
func natsTrialCounts() (deletes, changes, lookups int) {
	deletes = max(natsTrials, 1)
	changes = min(20, deletes)
	lookups = max(100, 4*deletes)
	return deletes, changes, lookups
}

// natsRun is one run of the NATS workload on a fresh control plane.
type natsRun struct {
	opts  options
	began time.Time

	cp         *testbed.ControlPlane
	controller *testbed.Process
	kube       kubernetes.Interface
	natsauth   natsclientset.Interface
	scrape     *scraper
	stack      *natsStack
	stops      []func()

	// accountPub is the measured account's public key.
	accountPub string
}

func (n *natsRun) logf(format string, args ...any) {
	fmt.Fprintf(n.opts.Out, "[%6.1fs] %s: %s\n", time.Since(n.began).Seconds(), natsWorkload, fmt.Sprintf(format, args...))
}

// runNATS measures the resolver path on a 3-server cluster and returns a Markdown section with
// the figures and their targets. Everything runs as real processes on loopback: etcd and
// kube-apiserver, the controller and resolver binaries with their production flags, and three
// nats-servers configured from the operator's rendered auth.conf.
func runNATS(ctx context.Context, opts options) (string, error) {
	n := &natsRun{opts: opts, began: time.Now()}
	defer func() {
		for i := len(n.stops) - 1; i >= 0; i-- {
			n.stops[i]()
		}
	}()
	loadBefore := loadAvg()
	deletes, changes, lookups := natsTrialCounts()

	if err := n.startControlPlane(); err != nil {
		return "", fmt.Errorf("control plane: %w", err)
	}
	if err := n.startController(ctx); err != nil {
		return "", fmt.Errorf("controller: %w", err)
	}
	if err := n.createOperator(ctx); err != nil {
		return "", fmt.Errorf("operator and account: %w", err)
	}
	stack, err := startNATSStack(ctx, n.cp, opts, func(f string, a ...any) { n.logf(f, a...) }, natsNS, natsOperator)
	if err != nil {
		return "", err
	}
	n.stack = stack
	n.stops = append(n.stops, stack.stop)
	began := time.Now()
	if err := stack.waitPushed(ctx, n.natsauth, time.Minute); err != nil {
		return "", err
	}
	n.logf("account %s pushed to %d of %d servers %s after the resolver was ready", natsAccount, natsServers, natsServers, time.Since(began).Round(time.Millisecond))

	sec := natsSection{Servers: natsServers, LoadBefore: loadBefore}
	if sec.Delete, err = n.measureDeletes(ctx, "client-", deletes, 0); err != nil {
		return "", fmt.Errorf("NatsUser deletion: %w", err)
	}
	if sec.LoneDelete, err = n.measureDeletes(ctx, "lone-", loneDeletes(deletes), loneDeleteGap); err != nil {
		return "", fmt.Errorf("NatsUser deletion after a quiet second: %w", err)
	}
	if sec.Change, err = n.measureChanges(ctx, changes); err != nil {
		return "", fmt.Errorf("account change: %w", err)
	}
	if sec.Lookup, err = n.measureLookups(ctx, lookups); err != nil {
		return "", fmt.Errorf("lookup: %w", err)
	}
	if sec.Quiet, err = n.measureQuiet(ctx); err != nil {
		return "", fmt.Errorf("quiet window: %w", err)
	}
	for _, p := range []*testbed.Process{n.controller, stack.resolver} {
		if !p.Running() {
			return "", fmt.Errorf("the %s exited; last lines of %s:\n%s", filepath.Base(p.LogPath()), p.LogPath(), p.LogTail(20))
		}
	}
	if sec.ControllerStats, err = readProcStats(n.controller.Pid()); err != nil {
		return "", err
	}
	if sec.ResolverStats, err = readProcStats(stack.resolver.Pid()); err != nil {
		return "", err
	}
	sec.LoadAfter = loadAvg()
	sec.Took = time.Since(n.began)
	sec.Logs = []string{n.controller.LogPath(), stack.resolver.LogPath(), stack.dir}
	return sec.format(), nil
}

func (n *natsRun) startControlPlane() (err error) {
	n.cp, n.kube, n.natsauth, n.scrape, err = startControlPlane(n.opts, n.logf)
	if n.cp != nil {
		n.stops = append(n.stops, n.cp.Stop)
	}
	return err
}

// startController runs the controller binary with its production defaults (and -v with
// --nats-log-v).
func (n *natsRun) startController(ctx context.Context) error {
	logPath := filepath.Join(n.opts.StateDir, "nats-controller.log")
	var extra []string
	if natsLogV > 0 {
		extra = append(extra, fmt.Sprintf("-v=%d", natsLogV))
	}
	p, _, err := startControllerProcess(ctx, n.opts.ControllerBin, n.cp, logPath, extra, n.opts.ControllerEnv)
	if err != nil {
		return err
	}
	n.controller = p
	n.stops = append(n.stops, p.Stop)
	n.logf("controller ready (pid %d, log %s)", p.Pid(), logPath)
	return nil
}

// createOperator creates the namespace, an operator with a full resolver that allows deletes,
// and the measured account, and waits until the operator, its system account and the account
// are Ready.
func (n *natsRun) createOperator(ctx context.Context) error {
	if _, err := n.kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: natsNS}}, metav1.CreateOptions{}); err != nil {
		return err
	}
	op := &natsv1alpha1.NatsOperator{ObjectMeta: metav1.ObjectMeta{Name: natsOperator, Namespace: natsNS},
		Spec: natsv1alpha1.NatsOperatorSpec{Resolver: natsv1alpha1.ResolverSpec{Type: natsv1alpha1.ResolverFull,
			Dir: "/data/resolver", AllowDelete: true, Timeout: &metav1.Duration{Duration: 1900 * time.Millisecond}}}}
	if _, err := n.natsauth.NatsauthV1alpha1().NatsOperators(natsNS).Create(ctx, op, metav1.CreateOptions{}); err != nil {
		return err
	}
	acc := &natsv1alpha1.NatsAccount{ObjectMeta: metav1.ObjectMeta{Name: natsAccount, Namespace: natsNS},
		Spec: natsv1alpha1.NatsAccountSpec{OperatorRef: natsv1alpha1.LocalObjectReference{Name: natsOperator}}}
	if _, err := n.natsauth.NatsauthV1alpha1().NatsAccounts(natsNS).Create(ctx, acc, metav1.CreateOptions{}); err != nil {
		return err
	}
	began := time.Now()
	err := pollUntil(ctx, 2*time.Minute, 100*time.Millisecond, func() (bool, error) {
		o, err := n.natsauth.NatsauthV1alpha1().NatsOperators(natsNS).Get(ctx, natsOperator, metav1.GetOptions{})
		if err != nil || !isReady(o.Status.Conditions, o.Generation) {
			return false, nil
		}
		accs, err := n.natsauth.NatsauthV1alpha1().NatsAccounts(natsNS).List(ctx, metav1.ListOptions{})
		if err != nil || len(accs.Items) != 2 { // the account and the operator's system account
			return false, nil
		}
		for _, a := range accs.Items {
			if !isReady(a.Status.Conditions, a.Generation) {
				return false, nil
			}
			if a.Name == natsAccount {
				n.accountPub = a.Status.PublicKey
			}
		}
		return n.accountPub != "", nil
	})
	if err != nil {
		return fmt.Errorf("operator %s and account %s not Ready: %w (see %s)", natsOperator, natsAccount, err, n.controller.LogPath())
	}
	n.logf("operator %s (full resolver, allowDelete) and account %s Ready in %s", natsOperator, natsAccount, time.Since(began).Round(time.Millisecond))
	return nil
}

// pollUntil calls cond every interval until it reports done, fails, or timeout passes.
func pollUntil(ctx context.Context, timeout, interval time.Duration, cond func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		done, err := cond()
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not done within %s", timeout)
		case <-time.After(interval):
		}
	}
}

// durations is a sample of latencies.
type durations []time.Duration

// quantile returns the nearest-rank q-quantile (0 < q <= 1) of the sample.
func (d durations) quantile(q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// summary prints p50, p90, p99 and max.
func (d durations) summary() string {
	if len(d) == 0 {
		return "no samples"
	}
	return fmt.Sprintf("p50 %s, p90 %s, p99 %s, max %s",
		fmtDur(d.quantile(0.5)), fmtDur(d.quantile(0.9)), fmtDur(d.quantile(0.99)), fmtDur(d.quantile(1)))
}

// fmtDur prints milliseconds with a precision that suits the size.
func fmtDur(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case ms < 10:
		return fmt.Sprintf("%.2f ms", ms)
	case ms < 1000:
		return fmt.Sprintf("%.0f ms", ms)
	default:
		return fmt.Sprintf("%.2f s", ms/1000)
	}
}

// natsSection is what runNATS measured.
type natsSection struct {
	Servers int
	Delete  deleteResult
	// LoneDelete are deletions that each meet an account whose last JWT is over a second old.
	LoneDelete deleteResult
	Change     changeResult
	Lookup     lookupResult
	Quiet      quietResult

	ControllerStats, ResolverStats procStats
	LoadBefore, LoadAfter          string
	Took                           time.Duration
	Logs                           []string
}

// format renders the Markdown section: a table of figures with targets, then the details.
func (s natsSection) format() string {
	var b strings.Builder
	fmt.Fprintf(&b, "NATS: resolver path on a %d-server nats-server cluster (full resolvers from the operator's auth.conf), controller and resolver binaries with production flags; took %s\n\n",
		s.Servers, s.Took.Round(time.Second))
	b.WriteString("| figure | trials | measured | target | result |\n|---|---:|---|---|---|\n")

	d := s.Delete
	fmt.Fprintf(&b, "| NatsUser deleted → its client disconnected on %d of %d servers | %d | %s | p50 ≤ 1 s, p99 ≤ 3 s | %s |\n",
		s.Servers, s.Servers, len(d.Took), d.Took.summary(), passFail(d.meetsTarget()))

	ld := s.LoneDelete
	fmt.Fprintf(&b, "| the same, each deletion %s after the previous one finished (not back to back) | %d | %s | (same target) | %s |\n",
		loneDeleteGap, len(ld.Took), ld.Took.summary(), passFail(ld.meetsTarget()))

	c := s.Change
	chOK := len(c.Stored) > 0 && c.Timeouts == 0 && c.Stored.quantile(0.5) <= 500*time.Millisecond
	fmt.Fprintf(&b, "| account limit edited → new JWT stored by %d of %d servers | %d | %s | p50 ≤ 500 ms | %s |\n",
		s.Servers, s.Servers, len(c.Stored), c.Stored.summary(), passFail(chOK))
	fmt.Fprintf(&b, "| account limit edited → `Pushed` names the new JWT acknowledged %d/%d (seen by a watch) | %d | %s | (same target) | %s |\n",
		s.Servers, s.Servers, len(c.Pushed), c.Pushed.summary(),
		passFail(len(c.Pushed) > 0 && c.Timeouts == 0 && c.Pushed.quantile(0.5) <= 500*time.Millisecond))

	l := s.Lookup
	fmt.Fprintf(&b, "| lookup, account in no server's store (as for cache-mode servers) → the resolver's JWT reply | %d | %s | p50 ≤ 2 ms | %s |\n",
		len(l.Hidden.First), l.Hidden.First.summary(),
		passFail(len(l.Hidden.First) > 0 && l.Hidden.Incomplete == 0 && l.Hidden.First.quantile(0.5) <= 2*time.Millisecond))
	fmt.Fprintf(&b, "| lookup, account in every full server's store → first JWT reply | %d | %s | p50 ≤ 2 ms | %s |\n",
		len(l.Stored.First), l.Stored.First.summary(),
		passFail(len(l.Stored.First) > 0 && l.Stored.First.quantile(0.5) <= 2*time.Millisecond))

	q := s.Quiet
	fmt.Fprintf(&b, "| quiet: resolver pushes in %s after convergence | | %.0f | 0 | %s |\n", q.Window, q.Pushes, passFail(q.Pushes == 0))
	fmt.Fprintf(&b, "| quiet: writes to natsusers/natsaccounts/natsoperators/secrets in %s | | %.0f | 0 | %s |\n", q.Window, q.Writes, passFail(q.Writes == 0))

	b.WriteString("\nNATS details:\n")
	fmt.Fprintf(&b, "  - deletion: %d NatsUsers of one account, each with one client on every server (user creds from its Secret); timed from the DELETE request to the last of the %d clients closed by its server. %s\n",
		len(d.Took), s.Servers, d.detail())
	fmt.Fprintf(&b, "  - deletion after a quiet second: %d more NatsUsers, deleted one at a time %s after the previous deletion finished, so that the account's last JWT is over a second old (servers order account JWTs by iat, in seconds: back to back, an account's JWTs take iats ahead of the clock, up to a minute, and beyond that one a second). %s\n",
		len(ld.Took), loneDeleteGap, ld.detail())
	fmt.Fprintf(&b, "  - account change: spec.limits.conn edited %d times; \"stored\" is when the account's file in every full server's JWT store decodes with the new limit (polled every %s), \"Pushed\" when a watch sees status.pushedClaimsHash = claimsHash for a JWT with the new limit and the message \"acknowledged by %d of %d servers\". %s\n",
		len(c.Stored), filePollInterval, s.Servers, s.Servers, c.detail())
	fmt.Fprintf(&b, "  - lookup: $SYS.REQ.ACCOUNT.<pub>.CLAIMS.LOOKUP of the account from a system-account client (the resolver's creds) on %s, %d sequential requests after %d warm-ups, timed to the first reply carrying the JWT, which is what a server looking the account up takes. Once with the account in every full server's store (they answer from disk, the client's own server first), once with its file moved aside on every server, so that the servers reply empty and only the resolver answers from its cache, as it does for cache-mode servers; the files are put back afterwards. %s\n",
		l.Server, len(l.Stored.First), lookupWarmups, l.detail())
	fmt.Fprintf(&b, "  - quiet window %s, after no write for a second: apiserver writes by resource: %s; other writes (not held to the target): %s; resolver pushes %.0f (natsauth_resolver_pushes_total)\n",
		q.Window, q.Detail, q.OtherDetail, q.Pushes)
	fmt.Fprintf(&b, "  - peak RSS / CPU over the run: controller %.0f MiB / %.1f s, resolver %.0f MiB / %.1f s\n",
		float64(s.ControllerStats.PeakRSSBytes)/(1<<20), s.ControllerStats.CPUSeconds,
		float64(s.ResolverStats.PeakRSSBytes)/(1<<20), s.ResolverStats.CPUSeconds)
	fmt.Fprintf(&b, "  - load average before/after: %s / %s\n", s.LoadBefore, s.LoadAfter)
	fmt.Fprintf(&b, "  - logs: %s\n", strings.Join(s.Logs, ", "))
	return b.String()
}
