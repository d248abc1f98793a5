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
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats.go"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/test/testbed"
)

const (
	// trialTimeout bounds one trial's wait; a miss is counted, not fatal.
	trialTimeout = 15 * time.Second
	// filePollInterval is how often the servers' JWT stores are read during an account change.
	filePollInterval = 2 * time.Millisecond
	// lookupWarmups are lookups sent before the timed ones.
	lookupWarmups = 5
	// lookupWait bounds how long a lookup waits for every responder.
	lookupWait = 200 * time.Millisecond
)

// accountWatch watches the measured account and records, per condition, the first time an event
// satisfied it.
type accountWatch struct {
	mu     sync.Mutex
	at     []time.Time
	done   chan struct{}
	cancel context.CancelFunc
}

// watchAccount starts a watch of the account from its current resourceVersion, so that only
// changes made after the call are seen.
func (n *natsRun) watchAccount(ctx context.Context, conds ...func(*natsv1alpha1.NatsAccount) bool) (*accountWatch, error) {
	cur, err := n.natsauth.NatsauthV1alpha1().NatsAccounts(natsNS).Get(ctx, natsAccount, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	w, err := n.natsauth.NatsauthV1alpha1().NatsAccounts(natsNS).Watch(ctx, metav1.ListOptions{
		FieldSelector: "metadata.name=" + natsAccount, ResourceVersion: cur.ResourceVersion})
	if err != nil {
		cancel()
		return nil, err
	}
	aw := &accountWatch{at: make([]time.Time, len(conds)), done: make(chan struct{}), cancel: cancel}
	go func() {
		defer w.Stop()
		for ev := range w.ResultChan() {
			now := time.Now()
			acc, ok := ev.Object.(*natsv1alpha1.NatsAccount)
			if !ok {
				continue
			}
			aw.mu.Lock()
			all := true
			for i, c := range conds {
				if aw.at[i].IsZero() && c(acc) {
					aw.at[i] = now
				}
				all = all && !aw.at[i].IsZero()
			}
			aw.mu.Unlock()
			if all {
				close(aw.done)
				return
			}
		}
	}()
	return aw, nil
}

// wait returns the recorded times once every condition held or timeout passed (zero times for
// the conditions that never held), and stops the watch.
func (aw *accountWatch) wait(timeout time.Duration) []time.Time {
	select {
	case <-aw.done:
	case <-time.After(timeout):
	}
	aw.cancel()
	aw.mu.Lock()
	defer aw.mu.Unlock()
	return slices.Clone(aw.at)
}

// accountClaims decodes an account's status JWT; nil when there is none or it does not decode.
func accountClaims(acc *natsv1alpha1.NatsAccount) *jwt.AccountClaims {
	if acc.Status.JWT == "" {
		return nil
	}
	c, err := jwt.DecodeAccountClaims(acc.Status.JWT)
	if err != nil {
		return nil
	}
	return c
}

// pushedToAll reports whether the resolver recorded the account's current JWT acknowledged by
// every server.
func pushedToAll(acc *natsv1alpha1.NatsAccount, servers int) bool {
	c := meta.FindStatusCondition(acc.Status.Conditions, natsv1alpha1.ConditionPushed)
	return c != nil && c.Status == metav1.ConditionTrue && acc.Status.ClaimsHash != "" &&
		acc.Status.PushedClaimsHash == acc.Status.ClaimsHash &&
		c.Message == fmt.Sprintf("acknowledged by %d of %d servers", servers, servers)
}

// deleteResult is the NatsUser deletion measurement.
type deleteResult struct {
	Took     durations // DELETE → last client closed
	Signed   durations // DELETE → the account's status JWT revokes the user
	Pushed   durations // DELETE → Pushed 3/3 for a JWT that revokes the user
	Timeouts int
	// Reasons counts the clients' last errors when their server closed them.
	Reasons map[string]int
	Setup   time.Duration
}

// meetsTarget reports the deletion target: disconnected everywhere in p50 ≤ 1 s, p99 ≤ 3 s,
// with no trial timed out.
func (d deleteResult) meetsTarget() bool {
	return len(d.Took) > 0 && d.Timeouts == 0 && d.Took.quantile(0.5) <= time.Second && d.Took.quantile(0.99) <= 3*time.Second
}

func (d deleteResult) detail() string {
	reasons := make([]string, 0, len(d.Reasons))
	for _, r := range slices.Sorted(maps.Keys(d.Reasons)) {
		reasons = append(reasons, fmt.Sprintf("%q x%d", r, d.Reasons[r]))
	}
	return fmt.Sprintf("Breakdown: DELETE → account JWT in status revokes the user %s; DELETE → `Pushed` 3/3 for that JWT %s. Clients closed with %s; %d trials timed out after %s. Creating the users and connecting their clients took %s.",
		d.Signed.summary(), d.Pushed.summary(), strings.Join(reasons, ", "), d.Timeouts, trialTimeout, d.Setup.Round(time.Millisecond))
}

// benchUser is one NatsUser of the deletion trials with its clients.
type benchUser struct {
	name, pub string
	creds     []byte
	conns     []*nats.Conn
	closed    []chan struct{}
}

// measureDeletes creates count NatsUsers, connects one client per server for each, then deletes
// them one at a time, timing each until all its clients are closed, and waiting until the
// controller and the resolver are done with it before the next. With a gap, each deletion waits
// that long after the previous one was finished, so that it meets an account whose last JWT is
// more than a second old; without, deletions follow each other at once, each needing a JWT with
// a later iat than the last (in seconds), the worst case for the account's signing schedule.
func (n *natsRun) measureDeletes(ctx context.Context, prefix string, count int, gap time.Duration) (deleteResult, error) {
	res := deleteResult{Reasons: map[string]int{}}
	began := time.Now()
	users, err := n.createUsers(ctx, prefix, count)
	// Closing the clients that are left must not touch the result being returned.
	var finished atomic.Bool
	defer func() {
		finished.Store(true)
		for _, u := range users {
			for _, nc := range u.conns {
				nc.Close()
			}
		}
	}()
	if err != nil {
		return res, err
	}
	var reasonMu sync.Mutex
	for _, u := range users {
		for i, s := range n.stack.servers {
			ch := u.closed[i]
			// The server sends its reason as an -ERR before it closes the connection; the
			// handler also keeps nats.go from printing it.
			var reason atomic.Value
			nc, err := testbed.ConnectCreds(s.ClientURL(), u.creds, nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
				reason.CompareAndSwap(nil, err.Error())
			}), nats.ClosedHandler(func(nc *nats.Conn) {
				close(ch)
				if finished.Load() {
					return
				}
				r, _ := reason.Load().(string)
				if r == "" {
					r = "closed without an error"
					if err := nc.LastError(); err != nil {
						r = err.Error()
					}
				}
				reasonMu.Lock()
				res.Reasons[r]++
				reasonMu.Unlock()
			}))
			if err != nil {
				return res, fmt.Errorf("user %s connect to %s: %w", u.name, s.Name(), err)
			}
			u.conns = append(u.conns, nc)
		}
	}
	res.Setup = time.Since(began)
	n.logf("%d NatsUsers Ready with %d clients each in %s; deleting them one at a time", len(users), len(n.stack.servers), res.Setup.Round(time.Millisecond))

	userClient := n.natsauth.NatsauthV1alpha1().NatsUsers(natsNS)
	for i, u := range users {
		revokes := func(acc *natsv1alpha1.NatsAccount) bool {
			c := accountClaims(acc)
			if c == nil {
				return false
			}
			_, ok := c.Revocations[u.pub]
			return ok
		}
		w, err := n.watchAccount(ctx, revokes, func(acc *natsv1alpha1.NatsAccount) bool {
			return revokes(acc) && pushedToAll(acc, len(n.stack.servers))
		})
		if err != nil {
			return res, err
		}
		if gap > 0 {
			select {
			case <-ctx.Done():
				w.cancel()
				return res, ctx.Err()
			case <-time.After(gap):
			}
		}
		t0 := time.Now()
		if err := userClient.Delete(ctx, u.name, metav1.DeleteOptions{}); err != nil {
			w.cancel()
			return res, err
		}
		deadline := time.After(trialTimeout)
		timedOut := false
		for _, ch := range u.closed {
			select {
			case <-ch:
			case <-deadline:
				timedOut = true
			case <-ctx.Done():
				w.cancel()
				return res, ctx.Err()
			}
			if timedOut {
				break
			}
		}
		took := time.Since(t0)
		if timedOut {
			res.Timeouts++
			n.logf("  trial %d: a client of %s still connected %s after the DELETE", i+1, u.name, trialTimeout)
		} else {
			res.Took = append(res.Took, took)
		}
		at := w.wait(trialTimeout)
		if !at[0].IsZero() {
			res.Signed = append(res.Signed, at[0].Sub(t0))
		}
		if !at[1].IsZero() {
			res.Pushed = append(res.Pushed, at[1].Sub(t0))
		}
		// The next trial starts once the NatsUser is gone and its revocation is everywhere.
		err = pollUntil(ctx, 30*time.Second, 20*time.Millisecond, func() (bool, error) {
			_, err := userClient.Get(ctx, u.name, metav1.GetOptions{})
			return apierrors.IsNotFound(err), nil
		})
		if err != nil {
			return res, fmt.Errorf("NatsUser %s not gone: %w (see %s)", u.name, err, n.controller.LogPath())
		}
		if (i+1)%10 == 0 || i+1 == len(users) {
			n.logf("  %d/%d deletions: %s", i+1, len(users), res.Took.summary())
		}
	}
	if err := n.stack.waitPushed(ctx, n.natsauth, time.Minute); err != nil {
		return res, err
	}
	return res, nil
}

// createUsers creates count NatsUsers of the account with a few goroutines and returns them
// once each is Ready for its generation and its Secret holds user.creds.
func (n *natsRun) createUsers(ctx context.Context, prefix string, count int) ([]*benchUser, error) {
	client := n.natsauth.NatsauthV1alpha1().NatsUsers(natsNS)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for w := range errs {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= count || ctx.Err() != nil {
					return
				}
				u := &natsv1alpha1.NatsUser{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s%03d", prefix, i), Namespace: natsNS},
					Spec: natsv1alpha1.NatsUserSpec{AccountRef: natsv1alpha1.NatsAccountReference{Name: natsAccount}}}
				if _, err := client.Create(ctx, u, metav1.CreateOptions{}); err != nil {
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
	var users []*benchUser
	err := pollUntil(ctx, n.opts.Timeout, 200*time.Millisecond, func() (bool, error) {
		list, err := client.List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, nil
		}
		secrets, err := n.kube.CoreV1().Secrets(natsNS).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, nil
		}
		creds := map[string][]byte{}
		for _, s := range secrets.Items {
			creds[s.Name] = s.Data[naming.UserCreds]
		}
		users = users[:0]
		for _, u := range list.Items {
			if !strings.HasPrefix(u.Name, prefix) {
				continue // the operator's resolver user, or users of other trials
			}
			secret := u.Spec.SecretName
			if secret == "" {
				secret = u.Name
			}
			if !isReady(u.Status.Conditions, u.Generation) || len(creds[secret]) == 0 || u.Status.PublicKey == "" {
				return false, nil
			}
			users = append(users, &benchUser{name: u.Name, pub: u.Status.PublicKey, creds: creds[secret]})
		}
		return len(users) == count, nil
	})
	if err != nil {
		return nil, fmt.Errorf("%d NatsUsers not Ready with creds: %w (see %s)", count, err, n.controller.LogPath())
	}
	slices.SortFunc(users, func(a, b *benchUser) int { return strings.Compare(a.name, b.name) })
	for _, u := range users {
		u.closed = make([]chan struct{}, len(n.stack.servers))
		for i := range u.closed {
			u.closed[i] = make(chan struct{})
		}
	}
	return users, nil
}

// changeResult is the account change measurement.
type changeResult struct {
	Stored   durations // update → every server's store holds a JWT with the new limit
	Pushed   durations // update → Pushed 3/3 for a JWT with the new limit (watch)
	Signed   durations // update → status JWT carries the new limit (watch)
	Timeouts int
}

func (c changeResult) detail() string {
	return fmt.Sprintf("Breakdown: update → status.jwt carries the new limit (controller re-signed) %s; %d trials timed out after %s.",
		c.Signed.summary(), c.Timeouts, trialTimeout)
}

// measureChanges edits the account's connection limit count times and times each edit until
// every server's JWT store holds a JWT with the new limit, and until the Pushed condition
// reports it acknowledged by every server.
func (n *natsRun) measureChanges(ctx context.Context, count int) (changeResult, error) {
	var res changeResult
	files := make([]string, len(n.stack.servers))
	for i, s := range n.stack.servers {
		files[i] = filepath.Join(s.JWTDir(), n.accountPub+".jwt")
	}
	accounts := n.natsauth.NatsauthV1alpha1().NatsAccounts(natsNS)
	for i := range count {
		limit := int64(10000 + i)
		hasLimit := func(acc *natsv1alpha1.NatsAccount) bool {
			c := accountClaims(acc)
			return c != nil && c.Limits.Conn == limit
		}
		w, err := n.watchAccount(ctx, hasLimit, func(acc *natsv1alpha1.NatsAccount) bool {
			return hasLimit(acc) && pushedToAll(acc, len(n.stack.servers))
		})
		if err != nil {
			return res, err
		}
		// Read the account once so that the timed part is the update alone.
		acc, err := accounts.Get(ctx, natsAccount, metav1.GetOptions{})
		if err != nil {
			w.cancel()
			return res, err
		}
		t0 := time.Now()
		err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
			acc.Spec.Limits = &natsv1alpha1.AccountLimits{Conn: &limit}
			_, err := accounts.Update(ctx, acc, metav1.UpdateOptions{})
			if apierrors.IsConflict(err) {
				if cur, gerr := accounts.Get(ctx, natsAccount, metav1.GetOptions{}); gerr == nil {
					acc = cur
				}
			}
			return err
		})
		if err != nil {
			w.cancel()
			return res, fmt.Errorf("update account %s: %w", natsAccount, err)
		}
		stored, ok := waitStored(ctx, files, limit, t0.Add(trialTimeout))
		if ok {
			res.Stored = append(res.Stored, stored.Sub(t0))
		} else {
			res.Timeouts++
			n.logf("  change %d: not every server stored the JWT with conn=%d within %s", i+1, limit, trialTimeout)
		}
		at := w.wait(trialTimeout)
		if !at[0].IsZero() {
			res.Signed = append(res.Signed, at[0].Sub(t0))
		}
		if !at[1].IsZero() {
			res.Pushed = append(res.Pushed, at[1].Sub(t0))
		} else if ok {
			n.logf("  change %d: the Pushed condition never reported conn=%d acknowledged by every server", i+1, limit)
		}
		if (i+1)%10 == 0 || i+1 == count {
			n.logf("  %d/%d account changes: stored %s", i+1, count, res.Stored.summary())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return res, nil
}

// waitStored polls the account's file in every server's JWT store until each decodes to a JWT
// whose connection limit is limit, and returns when the last one did.
func waitStored(ctx context.Context, files []string, limit int64, deadline time.Time) (time.Time, bool) {
	last := make([][]byte, len(files))
	done := make([]bool, len(files))
	remaining := len(files)
	for {
		for i, f := range files {
			if done[i] {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil || bytes.Equal(b, last[i]) {
				continue
			}
			last[i] = b
			if c, err := jwt.DecodeAccountClaims(string(bytes.TrimSpace(b))); err == nil && c.Limits.Conn == limit {
				done[i] = true
				remaining--
			}
		}
		if remaining == 0 {
			return time.Now(), true
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return time.Time{}, false
		}
		time.Sleep(filePollInterval)
	}
}

// lookupPhase is one series of lookups.
type lookupPhase struct {
	First      durations // request → first reply carrying the JWT
	All        durations // request → every expected responder replied with the JWT
	Incomplete int       // requests that lacked an expected JWT reply after lookupWait
	// Replies counts requests by "<JWT replies>+<empty replies>".
	Replies map[string]int
	Wrong   int // JWT replies that were not the account's current JWT
}

func (p lookupPhase) counts() string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(p.Replies)) {
		out = append(out, fmt.Sprintf("%s x%d", k, p.Replies[k]))
	}
	return strings.Join(out, ", ")
}

// lookupResult is the lookup measurement: with the account in every server's store (every
// full server and the resolver answer), and with it in none (only the resolver answers, as for
// cache-mode servers or servers that lost their store).
type lookupResult struct {
	Stored, Hidden lookupPhase
	Server         string
	Lookups        float64 // natsauth_resolver_lookups_total delta over both phases
	DriftRepairs   float64 // natsauth_resolver_drift_repairs_total delta while the files were hidden
}

func (l lookupResult) detail() string {
	return fmt.Sprintf("Account stored everywhere: every responder (%d JWT replies) %s; replies per request (JWT+empty) %s. Account in no store: replies %s. %d+%d requests lacked an expected reply within %s; %d+%d JWT replies were not the current JWT; the resolver's lookups_total grew by %.0f; drift repairs while the files were moved aside: %.0f.",
		natsServers+1, l.Stored.All.summary(), l.Stored.counts(), l.Hidden.counts(), l.Stored.Incomplete, l.Hidden.Incomplete, lookupWait,
		l.Stored.Wrong, l.Hidden.Wrong, l.Lookups, l.DriftRepairs)
}

// lookupClient sends lookups of one account from a system-account client.
type lookupClient struct {
	nc      *nats.Conn
	msgs    chan *nats.Msg
	prefix  string
	subject string
	want    string // the current JWT
	seq     int
}

// round sends count sequential lookups after lookupWarmups untimed ones. Each waits until
// jwtReplies replies carry the JWT and total replies arrived (servers without the account reply
// empty; the resolver stays silent when it has nothing), or lookupWait passed.
func (c *lookupClient) round(ctx context.Context, count, jwtReplies, total int) (lookupPhase, error) {
	res := lookupPhase{Replies: map[string]int{}}
	for i := range lookupWarmups + count {
		c.seq++
		reply := fmt.Sprintf("%s.%d", c.prefix, c.seq)
		t0 := time.Now()
		if err := c.nc.PublishRequest(c.subject, reply, nil); err != nil {
			return res, err
		}
		var first, all time.Duration
		jwts, empty := 0, 0
		timeout := time.After(lookupWait)
	collect:
		for jwts+empty < total {
			select {
			case m := <-c.msgs:
				if m.Subject != reply {
					continue // a late reply to an earlier request
				}
				if len(m.Data) == 0 {
					empty++ // "not here"
					continue
				}
				now := time.Since(t0)
				if string(m.Data) != c.want {
					res.Wrong++
				}
				jwts++
				if jwts == 1 {
					first = now
				}
				if jwts == jwtReplies {
					all = now
				}
			case <-timeout:
				break collect
			case <-ctx.Done():
				return res, ctx.Err()
			}
		}
		if i < lookupWarmups {
			continue
		}
		res.Replies[fmt.Sprintf("%d+%d", jwts, empty)]++
		if jwts > 0 {
			res.First = append(res.First, first)
		}
		if jwts >= jwtReplies {
			res.All = append(res.All, all)
		} else {
			res.Incomplete++
		}
	}
	return res, nil
}

// measureLookups sends count sequential lookups of the account from a system-account client,
// first with the account in every server's store, then with its file moved aside on every
// server so that only the resolver can answer, and restores the files.
func (n *natsRun) measureLookups(ctx context.Context, count int) (res lookupResult, err error) {
	acc, err := n.natsauth.NatsauthV1alpha1().NatsAccounts(natsNS).Get(ctx, natsAccount, metav1.GetOptions{})
	if err != nil {
		return res, err
	}
	creds, err := os.ReadFile(n.stack.credsFile)
	if err != nil {
		return res, err
	}
	srv := n.stack.servers[len(n.stack.servers)-1]
	res.Server = srv.Name()
	c := &lookupClient{msgs: make(chan *nats.Msg, 64), prefix: nats.NewInbox(), want: acc.Status.JWT,
		subject: fmt.Sprintf("$SYS.REQ.ACCOUNT.%s.CLAIMS.LOOKUP", n.accountPub)}
	if c.nc, err = testbed.ConnectCreds(srv.ClientURL(), creds); err != nil {
		return res, fmt.Errorf("system-account client: %w", err)
	}
	defer c.nc.Close()
	sub, err := c.nc.ChanSubscribe(c.prefix+".*", c.msgs)
	if err != nil {
		return res, err
	}
	defer func() { _ = sub.Unsubscribe() }()
	if err := c.nc.Flush(); err != nil {
		return res, err
	}
	lookupsBefore, err := n.stack.metric(ctx, "natsauth_resolver_lookups_total")
	if err != nil {
		return res, err
	}
	servers := len(n.stack.servers)
	if res.Stored, err = c.round(ctx, count, servers+1, servers+1); err != nil {
		return res, err
	}
	n.logf("  %d lookups, account stored: first reply %s; every responder %s", count, res.Stored.First.summary(), res.Stored.All.summary())

	// Move the account's file aside on every server: a full server reads it from disk for each
	// lookup, so it now replies empty, like a server that lost its store, and the resolver is
	// the only one to answer, as it is for cache-mode servers.
	var hidden []string
	defer func() {
		for _, f := range hidden {
			if rerr := os.Rename(f+".bench-hidden", f); rerr != nil && err == nil {
				err = fmt.Errorf("restoring %s: %w", f, rerr)
			}
		}
	}()
	repairsBefore, err := n.stack.metric(ctx, "natsauth_resolver_drift_repairs_total")
	if err != nil {
		return res, err
	}
	for _, s := range n.stack.servers {
		f := filepath.Join(s.JWTDir(), n.accountPub+".jwt")
		if err := os.Rename(f, f+".bench-hidden"); err != nil {
			return res, err
		}
		hidden = append(hidden, f)
	}
	if res.Hidden, err = c.round(ctx, count, 1, servers+1); err != nil {
		return res, err
	}
	repairsAfter, err := n.stack.metric(ctx, "natsauth_resolver_drift_repairs_total")
	if err != nil {
		return res, err
	}
	res.DriftRepairs = repairsAfter - repairsBefore
	lookupsAfter, err := n.stack.metric(ctx, "natsauth_resolver_lookups_total")
	if err != nil {
		return res, err
	}
	res.Lookups = lookupsAfter - lookupsBefore
	n.logf("  %d lookups, account in no server's store: the resolver's reply %s", count, res.Hidden.First.summary())
	return res, nil
}

// quietResult is the quiet window measurement.
type quietResult struct {
	Window      time.Duration
	Pushes      float64
	Writes      float64
	Detail      string
	OtherDetail string
}

// isNATSWrite selects the resources held to the quiet target.
func isNATSWrite(k reqKey) bool {
	return k.Resource == "secrets" || strings.HasPrefix(k.Resource, "nats")
}

// measureQuiet waits until no write reached natsusers, natsaccounts, natsoperators or secrets for
// a second, then counts those writes and the resolver's pushes over the quiet window.
func (n *natsRun) measureQuiet(ctx context.Context) (quietResult, error) {
	res := quietResult{Window: n.opts.QuietWindow}
	prev, err := n.scrape.mutating(ctx)
	if err != nil {
		return res, err
	}
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); {
		time.Sleep(time.Second)
		cur, err := n.scrape.mutating(ctx)
		if err != nil {
			return res, err
		}
		quiet := cur.sub(prev).total(isNATSWrite) == 0
		prev = cur
		if quiet {
			break
		}
	}
	p0, err := n.stack.pushes(ctx)
	if err != nil {
		return res, err
	}
	n.logf("counting writes and pushes for %s", n.opts.QuietWindow)
	select {
	case <-ctx.Done():
		return res, ctx.Err()
	case <-time.After(n.opts.QuietWindow):
	}
	after, err := n.scrape.mutating(ctx)
	if err != nil {
		return res, err
	}
	p1, err := n.stack.pushes(ctx)
	if err != nil {
		return res, err
	}
	d := after.sub(prev)
	res.Writes, res.Detail = d.total(isNATSWrite), d.format(isNATSWrite)
	res.OtherDetail = d.format(func(k reqKey) bool { return !isNATSWrite(k) })
	res.Pushes = p1 - p0
	n.logf("quiet window: %.0f pushes, %.0f writes (%s); other writes: %s", res.Pushes, res.Writes, res.Detail, res.OtherDetail)
	return res, nil
}
