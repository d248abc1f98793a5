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
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The workloads' phases beyond convergence: W3's unrelated Secrets, W4's restart and W5's
// deletion of every user.

// unrelatedResult is W3's setup: Secrets the controller must not pay for.
type unrelatedResult struct {
	Secrets    int
	Namespaces int
	Took       time.Duration
}

// unrelatedPerNamespace spreads W3's Secrets over namespaces of this many.
const unrelatedPerNamespace = 1000

// createUnrelatedSecrets creates n Secrets of 1 KiB in namespaces of their own, without the
// controller's label, before the controller starts: what a busy cluster holds.
func (r *run) createUnrelatedSecrets(ctx context.Context, n int) (*unrelatedResult, error) {
	res := &unrelatedResult{Secrets: n, Namespaces: (n + unrelatedPerNamespace - 1) / unrelatedPerNamespace}
	began := time.Now()
	for i := range res.Namespaces {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("other-%02d", i)}}
		if _, err := r.kube.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
			return nil, err
		}
	}
	payload := []byte(strings.Repeat("x", 1024))
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, createWorkers)
	for w := range createWorkers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{
					Name: fmt.Sprintf("unrelated-%05d", i), Namespace: fmt.Sprintf("other-%02d", i/unrelatedPerNamespace),
					Labels: map[string]string{"app": "unrelated"}},
					Data: map[string][]byte{"data": payload}}
				if _, err := r.kube.CoreV1().Secrets(s.Namespace).Create(ctx, s, metav1.CreateOptions{}); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	res.Took = time.Since(began)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	r.logf("created %d unrelated Secrets in %d namespaces in %s", n, res.Namespaces, res.Took.Round(time.Millisecond))
	return res, nil
}

// restartResult is W4: the controller restarted with everything converged.
type restartResult struct {
	// Ready is from the new process's start to /readyz; CaughtUp to every user synced once.
	Ready, CaughtUp time.Duration
	Window          time.Duration
	// Writes, Pushes and Signed count, from the restart to the end of the window, the writes to
	// natsusers/natsaccounts/secrets, the resolver's pushes and the JWTs the new controller
	// signed; Changed counts the users, accounts and Secrets whose resourceVersion moved.
	Writes       float64
	WritesDetail string
	Pushes       float64
	Signed       float64
	Changed      int
	PeakRSSBytes int64
}

// restart stops the controller (SIGTERM), starts a new one, and measures how soon it is ready
// and has synced every user, and that it writes, signs and pushes nothing.
func (r *run) restart(ctx context.Context) (*restartResult, error) {
	res := &restartResult{Window: r.opts.QuietWindow}
	versions, err := r.resourceVersions(ctx)
	if err != nil {
		return nil, err
	}
	before, err := r.scrape.mutating(ctx)
	if err != nil {
		return nil, err
	}
	pushesBefore, err := r.stack.pushes(ctx)
	if err != nil {
		return nil, err
	}
	r.controller.Stop()
	r.logf("controller stopped; starting a new one")
	began := time.Now()
	if err := r.startController(ctx, "-restarted"); err != nil {
		return nil, err
	}
	res.Ready = time.Since(began)
	client := &http.Client{Timeout: 5 * time.Second}
	waitCtx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	for {
		synced, err := scrapeSum(waitCtx, client, r.controllerMetrics, "natsauth_syncs_total", `controller="user-controller"`)
		if err == nil && synced >= float64(r.users) {
			res.CaughtUp = time.Since(began)
			break
		}
		select {
		case <-waitCtx.Done():
			return nil, fmt.Errorf("the restarted controller did not sync every user within %s (synced %.0f, %v)", r.opts.Timeout, synced, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	r.logf("restarted controller ready after %s, every user synced after %s; watching for %s",
		res.Ready.Round(time.Millisecond), res.CaughtUp.Round(time.Millisecond), res.Window)
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(res.Window):
	}
	after, err := r.scrape.mutating(ctx)
	if err != nil {
		return nil, err
	}
	d := after.sub(before)
	res.Writes, res.WritesDetail = d.total(isBenchResource), d.format(isBenchResource)
	pushesAfter, err := r.stack.pushes(ctx)
	if err != nil {
		return nil, err
	}
	res.Pushes = pushesAfter - pushesBefore
	if res.Signed, err = scrapeSum(ctx, client, r.controllerMetrics, "natsauth_jwts_issued_total"); err != nil {
		return nil, err
	}
	now, err := r.resourceVersions(ctx)
	if err != nil {
		return nil, err
	}
	for k, v := range versions {
		if now[k] != v {
			res.Changed++
		}
	}
	st, err := readProcStats(r.controller.Pid())
	if err != nil {
		return nil, err
	}
	res.PeakRSSBytes = st.PeakRSSBytes
	r.logf("after the restart: %.0f writes (%s), %.0f pushes, %.0f JWTs signed, %d objects changed",
		res.Writes, res.WritesDetail, res.Pushes, res.Signed, res.Changed)
	return res, r.checkRunning()
}

// resourceVersions maps every NatsUser, NatsAccount and Secret of the benchmark's namespace to
// its resourceVersion.
func (r *run) resourceVersions(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	users, err := r.nats.NatsauthV1alpha1().NatsUsers(benchNS).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	for _, o := range users.Items {
		out["NatsUser/"+o.Name] = o.ResourceVersion
	}
	accs, err := r.nats.NatsauthV1alpha1().NatsAccounts(benchNS).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	for _, o := range accs.Items {
		out["NatsAccount/"+o.Name] = o.ResourceVersion
	}
	secrets, err := r.kube.CoreV1().Secrets(benchNS).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	for _, o := range secrets.Items {
		out["Secret/"+o.Name] = o.ResourceVersion
	}
	return out, nil
}

// deleteAllResult is W5: every user deleted at once from one account.
type deleteAllResult struct {
	Users int
	// Took is from the first delete until every NatsUser and its Secret are gone.
	Took         time.Duration
	Writes       float64
	WritesDetail string
	// JWTBytes is the account JWT's size at the end, Revocations its entries.
	JWTBytes    int
	Revocations int
	// Pushes counts the resolver's pushes by result during the deletion.
	Pushes       float64
	PushFailures float64
	Pushed       bool // the final account JWT is acknowledged by every server
}

// maxPayload is nats-server's default max_payload, which an account JWT push must fit.
const maxPayload = 1 << 20

// deleteAll deletes every user with the fast client and waits until the NatsUsers and their
// Secrets are gone, then reads the account JWT's size and the resolver's push results.
func (r *run) deleteAll(ctx context.Context) (*deleteAllResult, error) {
	res := &deleteAllResult{Users: r.users}
	before, err := r.scrape.mutating(ctx)
	if err != nil {
		return nil, err
	}
	pushesBefore, err := r.stack.pushes(ctx)
	if err != nil {
		return nil, err
	}
	failuresBefore, err := r.pushFailures(ctx)
	if err != nil {
		return nil, err
	}
	began := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, createWorkers)
	for w := range createWorkers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= r.users || ctx.Err() != nil {
					return
				}
				if err := r.nats.NatsauthV1alpha1().NatsUsers(benchNS).Delete(ctx, userName(i), metav1.DeleteOptions{}); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	r.logf("deleted %d NatsUsers in %s; waiting for them and their creds Secrets to go", r.users, time.Since(began).Round(time.Millisecond))
	waitCtx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	lastReport := time.Now()
	for {
		users, err1 := r.nats.NatsauthV1alpha1().NatsUsers(benchNS).List(waitCtx, metav1.ListOptions{LabelSelector: benchLabel})
		secrets, err2 := r.kube.CoreV1().Secrets(benchNS).List(waitCtx, metav1.ListOptions{LabelSelector: "natsauth.io/secret-type=creds"})
		if err1 == nil && err2 == nil {
			left := len(users.Items) + credsOfBenchUsers(secrets.Items)
			if left == 0 {
				res.Took = time.Since(began)
				break
			}
			if time.Since(lastReport) >= 5*time.Second {
				lastReport = time.Now()
				r.logf("  %d NatsUsers left after %s", len(users.Items), time.Since(began).Round(100*time.Millisecond))
			}
		}
		select {
		case <-waitCtx.Done():
			return nil, fmt.Errorf("users not gone within --timeout %s (see %s)", r.opts.Timeout, r.controller.LogPath())
		case <-time.After(pollInterval):
		}
	}
	after, err := r.scrape.mutating(ctx)
	if err != nil {
		return nil, err
	}
	d := after.sub(before)
	own := reqKey{Resource: "natsusers", Verb: "DELETE"}
	d[own] -= float64(r.users)
	if d[own] <= 0.5 {
		delete(d, own)
	}
	res.Writes, res.WritesDetail = d.total(isBenchResource), d.format(isBenchResource)
	acc, err := r.nats.NatsauthV1alpha1().NatsAccounts(benchNS).Get(ctx, accountName(0), metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	res.JWTBytes, res.Revocations = len(acc.Status.JWT), int(acc.Status.Revocations)
	if r.stack != nil {
		if err := r.stack.waitPushed(ctx, r.nats, 2*time.Minute); err != nil {
			r.logf("the final account JWT is not acknowledged by every server: %v", err)
		} else {
			res.Pushed = true
		}
		pushesAfter, err := r.stack.pushes(ctx)
		if err != nil {
			return nil, err
		}
		failuresAfter, err := r.pushFailures(ctx)
		if err != nil {
			return nil, err
		}
		res.Pushes, res.PushFailures = pushesAfter-pushesBefore, failuresAfter-failuresBefore
	}
	r.logf("every user gone after %s: %.2f writes/user (%s); account JWT %d bytes with %d revocations; %.0f pushes, %.0f failed",
		res.Took.Round(time.Millisecond), res.Writes/float64(r.users), res.WritesDetail, res.JWTBytes, res.Revocations, res.Pushes, res.PushFailures)
	return res, r.checkRunning()
}

// pushFailures counts the resolver's pushes that did not reach every server.
func (r *run) pushFailures(ctx context.Context) (float64, error) {
	if r.stack == nil {
		return 0, nil
	}
	all, err := r.stack.pushes(ctx)
	if err != nil {
		return 0, err
	}
	ok, err := r.stack.metricMatching(ctx, "natsauth_resolver_pushes_total", `result="success"`)
	return all - ok, err
}

// credsOfBenchUsers counts the creds Secrets of the workload's users (not the resolver's).
func credsOfBenchUsers(secrets []corev1.Secret) int {
	n := 0
	for _, s := range secrets {
		if strings.HasPrefix(s.Name, "user-") {
			n++
		}
	}
	return n
}
