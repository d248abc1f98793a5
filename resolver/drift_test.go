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

package resolver

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2/ktesting"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/natsjwt"
	"github.com/natsauth/nats-auth-operator/resolver/natssys"
)

func TestMissingAccounts(t *testing.T) {
	replies := []natssys.ListReply{
		{Server: natssys.ServerInfo{Name: "b"}, Accounts: []string{"A1", "A2"}},
		{Server: natssys.ServerInfo{Name: "c"}, Accounts: []string{"A2"}},
		{Server: natssys.ServerInfo{Name: "a"}, Accounts: []string{"SYS"}},
		// A cache server lists only what it has cached.
		{Server: natssys.ServerInfo{Name: "cache"}, Accounts: nil},
		// A failed reply says nothing about the server's store.
		{Server: natssys.ServerInfo{Name: "broken"}, Err: errors.New("malformed")},
	}
	got := missingAccounts([]string{"A1", "A2"}, replies, func(s string) bool { return s == "cache" })
	want := map[string][]string{"A1": {"a", "c"}, "A2": {"a"}}
	if len(got) != len(want) {
		t.Fatalf("missing %v, want %v", got, want)
	}
	for pub, servers := range want {
		if !slices.Equal(got[pub], servers) {
			t.Errorf("%s missing on %v, want %v", pub, got[pub], servers)
		}
	}
}

// reasonMetric returns the value of the resolver counter name with the given reason label.
func (f *resolverFixture) reasonMetric(t *testing.T, name, reason string) float64 {
	t.Helper()
	families, err := f.metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range families {
		for _, m := range mf.GetMetric() {
			if l := m.GetLabel(); mf.GetName() == name && len(l) == 1 && l[0].GetName() == "reason" && l[0].GetValue() == reason {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// pushedFixture is newResolverFixture after a complete push of the account, with every server
// listing it and nothing else, and nothing recorded yet.
func pushedFixture(t *testing.T, edit func(op *natsv1alpha1.NatsOperator, acc *natsv1alpha1.NatsAccount)) *resolverFixture {
	t.Helper()
	f := newResolverFixture(t, edit)
	if err := f.sync(t); err != nil {
		t.Fatal(err)
	}
	f.applied(t)
	f.events()
	f.nats.updates = nil
	for _, s := range f.nats.servers {
		f.nats.lists = append(f.nats.lists, natssys.ListReply{Server: s, Accounts: []string{f.acc.Status.PublicKey}})
	}
	return f
}

// checkDrift runs one drift check and reports whether it queued the account for a forced push.
func (f *resolverFixture) checkDrift(t *testing.T) bool {
	t.Helper()
	_, ctx := ktesting.NewTestContext(t)
	f.c.checkDrift(ctx)
	key := cache.ObjectName{Namespace: "nats", Name: "orders"}
	forced := f.c.state.takeForce(key)
	if forced != (f.c.queue.Len() == 1) {
		t.Fatalf("forced %v but %d queued", forced, f.c.queue.Len())
	}
	for f.c.queue.Len() > 0 {
		k, _ := f.c.queue.Get()
		f.c.queue.Done(k)
	}
	return forced
}

// TestDriftFindsStaleJWTs: a drift check compares every full server's stored JWT (its lookup
// answer) with the one every server acknowledged, and pushes the account again when some server
// stores another one, such as an older JWT restored from a backup, counting reason "stale".
// The account's current JWT is not drift (its push may be on its way), nor is a server without
// the account (the list check's part), nor an account being deleted.
func TestDriftFindsStaleJWTs(t *testing.T) {
	f := pushedFixture(t, nil)
	pub, acked := f.acc.Status.PublicKey, f.acc.Status.JWT
	older, newer := signNamed(t, pub, "older", f.signing), signNamed(t, pub, "newer", f.signing)
	steps := []struct {
		name   string
		stored natssys.Stored
		// current replaces status.jwt in the cache when set.
		current string
		repair  bool
	}{
		{name: "every server stores the acknowledged JWT", stored: natssys.Stored{Tokens: []string{acked, acked, acked}}},
		{name: "a server stores an older JWT", stored: natssys.Stored{Tokens: []string{acked, older, acked}}, repair: true},
		{name: "a server lacks it", stored: natssys.Stored{Tokens: []string{acked, acked}, Absent: 1}},
		{name: "the current JWT is on its way", current: newer, stored: natssys.Stored{Tokens: []string{acked, newer, acked}}},
		{name: "a server stores neither", current: newer, stored: natssys.Stored{Tokens: []string{older, newer, acked}}, repair: true},
	}
	repairs := 0.0
	for _, step := range steps {
		if step.current != "" {
			acc := f.acc.DeepCopy()
			acc.Status.JWT = step.current
			if err := f.c.accountIndexer.Update(acc); err != nil {
				t.Fatal(err)
			}
		}
		f.nats.stored = map[string]natssys.Stored{pub: step.stored}
		if got := f.checkDrift(t); got != step.repair {
			t.Errorf("%s: repaired %v, want %v", step.name, got, step.repair)
		}
		if step.repair {
			repairs++
		}
		if got := f.reasonMetric(t, "natsauth_resolver_drift_repairs_total", RepairStale); got != repairs {
			t.Errorf("%s: %v stale repairs counted, want %v", step.name, got, repairs)
		}
	}
	if len(f.nats.updates) != 0 || len(f.nats.deletes) != 0 {
		t.Errorf("the drift check itself sent %d updates and %d deletes; only the queued sync may", len(f.nats.updates), len(f.nats.deletes))
	}

	now := metav1.Now()
	deleting := f.acc.DeepCopy()
	deleting.DeletionTimestamp = &now
	if err := f.c.accountIndexer.Update(deleting); err != nil {
		t.Fatal(err)
	}
	f.nats.stored = map[string]natssys.Stored{pub: {Tokens: []string{older}}}
	if f.checkDrift(t) {
		t.Error("an account being deleted was queued for a push")
	}
}

// TestDriftReportsUnrepairedStale: an account that three checks in a row find stale, although
// each queued a push of the current JWT, gets one Warning event (a JWT file changed on disk under
// a running server: the server acknowledges the push but keeps the file); a check that finds
// it repaired starts the count again.
func TestDriftReportsUnrepairedStale(t *testing.T) {
	f := pushedFixture(t, nil)
	pub, acked := f.acc.Status.PublicKey, f.acc.Status.JWT
	stale := map[string]natssys.Stored{pub: {Tokens: []string{acked, signNamed(t, pub, "older", f.signing), acked}}}
	repaired := map[string]natssys.Stored{pub: {Tokens: []string{acked, acked, acked}}}
	warnings := func() (n int) {
		for _, ev := range f.events() {
			if strings.HasPrefix(ev, "Warning "+ReasonStaleJWTNotRepaired+" 1 server(s) still store another JWT") {
				n++
			}
		}
		return n
	}
	steps := []struct {
		stored map[string]natssys.Stored
		warn   int
	}{{stale, 0}, {stale, 0}, {stale, 1}, {stale, 0}, {repaired, 0}, {stale, 0}, {stale, 0}, {stale, 1}}
	for i, step := range steps {
		f.nats.stored = step.stored
		if got, want := f.checkDrift(t), step.stored[pub].Tokens[1] != acked; got != want {
			t.Errorf("check %d: repaired %v, want %v", i, got, want)
		}
		if got := warnings(); got != step.warn {
			t.Errorf("check %d: %d %s events, want %d", i, got, ReasonStaleJWTNotRepaired, step.warn)
		}
	}
}

func TestCompareStored(t *testing.T) {
	acked, current, other := "eyJ.acked", "eyJ.current", "eyJ.other"
	f := compareStored([]string{acked, current, other, other}, tokenDigest(acked), current)
	if f.servers != 2 {
		t.Errorf("%d servers store another JWT, want 2", f.servers)
	}
	if f := compareStored(nil, tokenDigest(acked), current); f.servers != 0 {
		t.Errorf("no answers: %d stale", f.servers)
	}
}

// orphanFixture is pushedFixture whose servers also list the system account, an account no
// NatsAccount holds (returned) and a stray file name; deletes allowed on the operator as given.
func orphanFixture(t *testing.T, allowDelete bool) (f *resolverFixture, sys, orphan string) {
	t.Helper()
	sys, orphan = testKey(t, natsjwt.KindAccount), testKey(t, natsjwt.KindAccount)
	f = pushedFixture(t, func(op *natsv1alpha1.NatsOperator, _ *natsv1alpha1.NatsAccount) {
		op.Status.SystemAccount = sys
		op.Spec.Resolver.AllowDelete = allowDelete
	})
	for i := range f.nats.lists {
		f.nats.lists[i].Accounts = append(f.nats.lists[i].Accounts, sys, orphan)
	}
	f.nats.lists[2].Accounts = append(f.nats.lists[2].Accounts, "not-a-key")
	return f, sys, orphan
}

// TestDriftReportsOrphans: an account the servers list that is neither the system account nor
// held by a NatsAccount of the operator is an orphan: the gauge counts it and one Warning event
// on the NatsOperator names it with its servers and how to have it deleted (again only when the
// set changes). Without the opt-in nothing is deleted, even with allowDelete.
func TestDriftReportsOrphans(t *testing.T) {
	f, _, orphan := orphanFixture(t, true)
	f.c.orphans.retain(orphan, deleteRequestFor(t, f.signing, orphan))
	for range 3 {
		f.checkDrift(t)
	}
	if got := f.metric(t, "natsauth_resolver_orphan_accounts", ""); got != 1 {
		t.Errorf("orphan gauge %v, want 1", got)
	}
	ev := f.events()
	if len(ev) != 1 || !strings.HasPrefix(ev[0], "Warning OrphanAccounts 1 accounts on the nats-servers belong to no NatsAccount") ||
		!strings.Contains(ev[0], orphan+" (a, b, c)") || !strings.Contains(ev[0], "--delete-orphan-accounts") {
		t.Errorf("events %q, want one OrphanAccounts warning naming %s on a, b, c", ev, orphan)
	}
	if len(f.nats.deletes) != 0 {
		t.Errorf("%d delete requests sent without the opt-in", len(f.nats.deletes))
	}
	for i := range f.nats.lists {
		f.nats.lists[i].Accounts = f.nats.lists[i].Accounts[:2]
	}
	f.checkDrift(t)
	if got := f.metric(t, "natsauth_resolver_orphan_accounts", ""); got != 0 {
		t.Errorf("orphan gauge %v after the orphan went, want 0", got)
	}
}

// TestDriftDeletesOrphans: with the opt-in and allowDelete, an orphan found by two checks in a
// row is deleted with the controller-signed delete request seen for it, through the delete
// path (every expected server, counted by result, one event); an orphan without a known
// request, or with one the operator no longer trusts, is only reported. Without allowDelete
// nothing is deleted.
func TestDriftDeletesOrphans(t *testing.T) {
	f, _, orphan := orphanFixture(t, true)
	f.c.orphans = newOrphanTracker(true)
	req := deleteRequestFor(t, f.signing, orphan)
	f.c.orphans.retain(orphan, req)
	f.checkDrift(t)
	if len(f.nats.deletes) != 0 {
		t.Fatal("an orphan found once was deleted")
	}
	f.checkDrift(t)
	if len(f.nats.deletes) != 1 || f.nats.deletes[0] != req {
		t.Fatalf("sent %d delete requests, want the one signed for the orphan", len(f.nats.deletes))
	}
	if got := f.metric(t, "natsauth_resolver_orphan_deletes_total", PushSuccess); got != 1 {
		t.Errorf("orphan deletes counted %v, want 1 success", got)
	}
	ev := f.events()
	if len(ev) != 2 || ev[1] != "Normal OrphanAccountDeleted orphan account "+orphan+": deleted from 3 of 3 servers" {
		t.Errorf("events %q", ev)
	}

	other, _ := natsjwt.NewKey(natsjwt.KindOperator)
	f.c.orphans.retain(orphan, deleteRequestFor(t, other, orphan))
	f.nats.deletes = nil
	f.checkDrift(t)
	if len(f.nats.deletes) != 0 {
		t.Error("a delete request of an untrusted key was sent")
	}

	f, _, orphan = orphanFixture(t, false)
	f.c.orphans = newOrphanTracker(true)
	f.c.orphans.retain(orphan, deleteRequestFor(t, f.signing, orphan))
	f.checkDrift(t)
	f.checkDrift(t)
	if len(f.nats.deletes) != 0 {
		t.Error("an orphan was deleted without allowDelete")
	}
	if ev := f.events(); len(ev) != 1 || !strings.Contains(ev[0], "set spec.resolver.allowDelete") {
		t.Errorf("events %q", ev)
	}
}

func deleteRequestFor(t *testing.T, signer nkeys.KeyPair, pub string) string {
	t.Helper()
	req, err := natsjwt.DeleteRequest(signer, []string{pub})
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// signNamed signs an account JWT with a name, so that two signed within a second differ.
func signNamed(t *testing.T, pub, name string, signer nkeys.KeyPair) string {
	t.Helper()
	c := jwt.NewAccountClaims(pub)
	c.Name = name
	token, err := c.Encode(signer)
	if err != nil {
		t.Fatal(err)
	}
	return token
}
