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
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2/ktesting"
	clocktesting "k8s.io/utils/clock/testing"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	natsfake "github.com/natsauth/nats-auth-operator/generated/clientset/versioned/fake"
	natsinformers "github.com/natsauth/nats-auth-operator/generated/informers/externalversions"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
	"github.com/natsauth/nats-auth-operator/internal/metrics"
	"github.com/natsauth/nats-auth-operator/natsjwt"
	"github.com/natsauth/nats-auth-operator/resolver/natssys"
)

// The unit tier of the resolver: sync on a fake clientset, seeded caches, a fake clock and the
// controller's NATS interface answered in memory (servers that acknowledge or not). What needs
// a real nats-server (the $SYS protocol, lookups, drift) stays in natssys and test/integration.

// fakeNATS answers as servers of which the first acks acknowledge every request, the next
// refuse refuse it and the rest stay silent: like the real client, a request then collects
// replies until its deadline (the controller's push timeout) and reports them incomplete.
type fakeNATS struct {
	servers          []natssys.ServerInfo
	acks, refuse     int
	disconnected     bool
	updates, deletes []string
	// lists answer CLAIMS.LIST and stored the stored-JWT lookups, for drift checks.
	lists  []natssys.ListReply
	stored map[string]natssys.Stored
	// maxPayload, when set, refuses larger tokens before sending, as nats.go does.
	maxPayload int
}

// MaxPayload is the connection's limit, as natsConn reports it.
func (n *fakeNATS) MaxPayload() int64 { return int64(n.maxPayload) }

func (n *fakeNATS) Servers(context.Context) ([]natssys.ServerInfo, error) { return n.servers, nil }
func (n *fakeNATS) Connected() bool                                       { return !n.disconnected }
func (n *fakeNATS) List(context.Context, int) ([]natssys.ListReply, error) {
	return n.lists, nil
}

// Stored answers like natssys.Client.Stored, for the accounts asked about.
func (n *fakeNATS) Stored(_ context.Context, accounts []string, _ int) (map[string]natssys.Stored, error) {
	out := map[string]natssys.Stored{}
	for _, pub := range accounts {
		if st, ok := n.stored[pub]; ok {
			out[pub] = st
		}
	}
	return out, nil
}
func (n *fakeNATS) ServeLookups(ctx context.Context, _ func(string) (string, bool)) error {
	<-ctx.Done()
	return nil
}

func (n *fakeNATS) Update(ctx context.Context, token string, expected int) (natssys.Result, error) {
	n.updates = append(n.updates, token)
	if n.maxPayload > 0 && len(token) > n.maxPayload {
		return natssys.Result{Expected: expected}, fmt.Errorf("$SYS.REQ.CLAIMS.UPDATE: publish: %w", nats.ErrMaxPayload)
	}
	return n.result(ctx, expected)
}

func (n *fakeNATS) Delete(ctx context.Context, token string, expected int) (natssys.Result, error) {
	n.deletes = append(n.deletes, token)
	return n.result(ctx, expected)
}

// refusal is what a refusing fake server answers.
const refusal = "refused by the test"

func (n *fakeNATS) result(ctx context.Context, expected int) (natssys.Result, error) {
	res := natssys.Result{Expected: expected}
	for i, s := range n.servers {
		switch {
		case i < n.acks:
			res.Replies = append(res.Replies, natssys.ServerResult{Server: s, OK: true, Outcome: natssys.OutcomeApplied, Code: 200})
			res.Applied++
		case i < n.acks+n.refuse:
			err := &natssys.ReplyError{Server: s.Name, Code: 500, Description: refusal}
			res.Replies = append(res.Replies, natssys.ServerResult{Server: s, Outcome: natssys.OutcomeFailed, Code: 500,
				Message: refusal, Err: err})
			res.Failed++
		}
	}
	if got := len(res.Replies); got < expected {
		if _, ok := ctx.Deadline(); !ok {
			return res, errors.New("fakeNATS: a request without a deadline would wait forever for silent servers")
		}
		<-ctx.Done()
		res.Missing = expected - got
		return res, &natssys.IncompleteError{Subject: "$SYS.REQ.CLAIMS", Expected: expected, Got: got, Cause: ctx.Err()}
	}
	return res, nil
}

// resolverFixture is the operator nats/main with one signing key, its account nats/orders
// with a JWT that key signed, three servers and the controller. The cache holds acc itself, so
// a test may still edit it before syncing.
type resolverFixture struct {
	c        *Controller
	metrics  *metrics.Metrics
	client   *natsfake.Clientset
	nats     *fakeNATS
	recorder *record.FakeRecorder
	signing  nkeys.KeyPair
	acc      *natsv1alpha1.NatsAccount
}

func newResolverFixture(t *testing.T, edit func(op *natsv1alpha1.NatsOperator, acc *natsv1alpha1.NatsAccount)) *resolverFixture {
	signing, err := natsjwt.NewKey(natsjwt.KindOperator)
	if err != nil {
		t.Fatal(err)
	}
	signingPub, _ := signing.PublicKey()
	op := &natsv1alpha1.NatsOperator{ObjectMeta: metav1.ObjectMeta{Namespace: "nats", Name: "main", ResourceVersion: "1"},
		Spec:   natsv1alpha1.NatsOperatorSpec{Resolver: natsv1alpha1.ResolverSpec{Type: natsv1alpha1.ResolverFull}},
		Status: natsv1alpha1.NatsOperatorStatus{SigningKeys: []string{signingPub}}}
	acc := &natsv1alpha1.NatsAccount{
		ObjectMeta: metav1.ObjectMeta{Namespace: "nats", Name: "orders", UID: types.UID("orders-uid"), Generation: 1, ResourceVersion: "2"},
		Spec:       natsv1alpha1.NatsAccountSpec{OperatorRef: natsv1alpha1.LocalObjectReference{Name: "main"}},
	}
	acc.Status.PublicKey = testKey(t, natsjwt.KindAccount)
	acc.Status.JWT, acc.Status.ClaimsHash = signAccount(t, acc.Status.PublicKey, signing), "h1"
	if edit != nil {
		edit(op, acc)
	}
	f := &resolverFixture{client: natsfake.NewSimpleClientset(op, acc), recorder: record.NewFakeRecorder(10), signing: signing, acc: acc,
		nats: &fakeNATS{servers: []natssys.ServerInfo{{Name: "a", ID: "A"}, {Name: "b", ID: "B"}, {Name: "c", ID: "C"}}, acks: 3}}
	v1 := natsinformers.NewSharedInformerFactory(f.client, 0).Natsauth().V1alpha1()
	f.metrics = metrics.New()
	// Silent servers keep a request waiting for the whole push timeout; keep it short.
	f.c, err = NewController(Config{NatsClient: f.client, Operator: cache.ObjectName{Namespace: "nats", Name: "main"},
		Operators: v1.NatsOperators(), Accounts: v1.NatsAccounts(), NATS: f.nats, Recorder: f.recorder,
		Resolver: NewMetrics(f.metrics), Clock: clocktesting.NewFakeClock(time.Now()), PushTimeout: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for _, add := range []func() error{
		func() error { return v1.NatsOperators().Informer().GetIndexer().Add(op) },
		func() error { return v1.NatsAccounts().Informer().GetIndexer().Add(acc) },
	} {
		if err := add(); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func signAccount(t *testing.T, pub string, signer nkeys.KeyPair) string {
	t.Helper()
	token, err := jwt.NewAccountClaims(pub).Encode(signer)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func (f *resolverFixture) sync(t *testing.T) error {
	_, ctx := ktesting.NewTestContext(t)
	return f.c.sync(ctx, cache.ObjectName{Namespace: "nats", Name: "orders"})
}

// applied returns the status applies recorded since the last call, decoded, with their field
// managers; any other write fails the test.
func (f *resolverFixture) applied(t *testing.T) (bodies []statusApply, managers []string) {
	t.Helper()
	for _, a := range f.client.Actions() {
		if a.GetVerb() == "get" || a.GetVerb() == "list" || a.GetVerb() == "watch" {
			continue
		}
		p, ok := a.(k8stesting.PatchActionImpl)
		if !ok || p.GetPatchType() != types.ApplyPatchType || p.GetSubresource() != "status" {
			t.Fatalf("unexpected write %s %s/%s", a.GetVerb(), a.GetResource().Resource, a.GetSubresource())
		}
		var body statusApply
		if err := json.Unmarshal(p.GetPatch(), &body); err != nil {
			t.Fatal(err)
		}
		bodies, managers = append(bodies, body), append(managers, p.PatchOptions.FieldManager)
	}
	f.client.ClearActions()
	return bodies, managers
}

// expectApply fails the test unless exactly one status apply of one condition of type, status
// and reason was recorded, under manager.
func (f *resolverFixture) expectApply(t *testing.T, manager, condType string, status metav1.ConditionStatus, reason string) statusApply {
	t.Helper()
	bodies, managers := f.applied(t)
	if len(bodies) != 1 || managers[0] != manager || len(bodies[0].Status.Conditions) != 1 {
		t.Fatalf("applies %+v by %v, want one by %s", bodies, managers, manager)
	}
	c := bodies[0].Status.Conditions[0]
	if c.Type != condType || c.Status != status || c.Reason != reason || bodies[0].Metadata.UID != f.acc.UID {
		t.Errorf("applied %+v (uid %s), want %s=%s/%s", c, bodies[0].Metadata.UID, condType, status, reason)
	}
	return bodies[0]
}

func (f *resolverFixture) events() []string {
	var out []string
	for len(f.recorder.Events) > 0 {
		out = append(out, <-f.recorder.Events)
	}
	return out
}

// TestSyncPushesAccount: an account JWT is pushed once to every server; a complete push sets
// Pushed=True and pushedClaimsHash with one apply and a Normal event. Syncing the same cached
// account again pushes and writes nothing.
func TestSyncPushesAccount(t *testing.T) {
	f := newResolverFixture(t, nil)
	if err := f.sync(t); err != nil {
		t.Fatalf("sync: %v", err)
	}
	if len(f.nats.updates) != 1 || f.nats.updates[0] != f.acc.Status.JWT {
		t.Fatalf("pushed %d JWTs, want the account's once", len(f.nats.updates))
	}
	body := f.expectApply(t, FieldManager, natsv1alpha1.ConditionPushed, metav1.ConditionTrue, ReasonPushed)
	signingPub, _ := f.signing.PublicKey()
	if body.Status.PushedClaimsHash != "h1" || body.Status.PushedIssuer != signingPub || body.Status.Conditions[0].Message != "acknowledged by 3 of 3 servers" {
		t.Errorf("applied %+v, want pushedIssuer %s", body.Status, signingPub)
	}
	if ev := f.events(); len(ev) != 1 || ev[0] != "Normal Pushed acknowledged by 3 of 3 servers" {
		t.Errorf("events %q", ev)
	}

	if err := f.sync(t); err != nil {
		t.Fatalf("resync: %v", err)
	}
	if bodies, _ := f.applied(t); len(f.nats.updates) != 1 || len(bodies) != 0 {
		t.Errorf("a resync pushed %d times and applied %+v", len(f.nats.updates)-1, bodies)
	}
}

// TestSyncPushOutcomes: what is not pushed, and how a push that did not reach every server is
// reported. None of these sets pushedClaimsHash.
func TestSyncPushOutcomes(t *testing.T) {
	tests := []struct {
		name       string
		edit       func(f *resolverFixture)
		wantPushes int
		status     metav1.ConditionStatus
		reason     string
		event      bool
		check      func(error) bool
	}{
		{"untrusted issuer: never pushed, terminal", func(f *resolverFixture) {
			other, _ := natsjwt.NewKey(natsjwt.KindOperator)
			f.acc.Status.JWT = signAccount(t, f.acc.Status.PublicKey, other)
		}, 0, metav1.ConditionFalse, ReasonUntrustedIssuer, true, controllerhelpers.IsTerminal},
		{"memory resolver: nothing to push", func(f *resolverFixture) {}, 0, metav1.ConditionUnknown, ReasonPushNotSupported, false,
			func(err error) bool { return err == nil }},
		{"not connected: requeued", func(f *resolverFixture) { f.nats.disconnected = true }, 0, metav1.ConditionFalse, ReasonPushFailed, true,
			func(err error) bool { _, ok := controllerhelpers.AsRequeue(err); return ok }},
		{"two of three: retried", func(f *resolverFixture) { f.nats.acks = 2 }, 1, metav1.ConditionFalse, ReasonPartiallyPushed, true,
			func(err error) bool { return err != nil && !controllerhelpers.IsTerminal(err) }},
		{"larger than max_payload: not sent, retried", func(f *resolverFixture) { f.nats.acks, f.nats.maxPayload = 3, 64 }, 1,
			metav1.ConditionFalse, ReasonJWTTooLarge, true, func(err error) bool {
				return err != nil && !controllerhelpers.IsTerminal(err) && strings.Contains(err.Error(), "larger than the servers' max_payload of 64 bytes")
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newResolverFixture(t, func(op *natsv1alpha1.NatsOperator, _ *natsv1alpha1.NatsAccount) {
				if tc.reason == ReasonPushNotSupported {
					op.Spec.Resolver.Type = natsv1alpha1.ResolverMemory
				}
			})
			tc.edit(f)
			if err := f.sync(t); !tc.check(err) {
				t.Errorf("sync: unexpected %v", err)
			}
			if len(f.nats.updates) != tc.wantPushes {
				t.Errorf("pushed %d times, want %d", len(f.nats.updates), tc.wantPushes)
			}
			body := f.expectApply(t, FieldManager, natsv1alpha1.ConditionPushed, tc.status, tc.reason)
			if body.Status.PushedClaimsHash != "" || body.Status.PushedIssuer != "" {
				t.Errorf("pushedClaimsHash %q, pushedIssuer %q set without a complete push", body.Status.PushedClaimsHash, body.Status.PushedIssuer)
			}
			if ev := f.events(); (len(ev) == 1) != tc.event {
				t.Errorf("events %q", ev)
			}
		})
	}
}

// TestSyncPushRecordsReSignedIssuer: an account JWT re-signed by a new operator signing key has
// the same claims hash; the push of it moves pushedIssuer to the new key, which is what an
// operator signing-key rotation waits for. A push that not every server acknowledged keeps the
// old issuer.
func TestSyncPushRecordsReSignedIssuer(t *testing.T) {
	for _, tc := range []struct {
		name  string
		acks  int
		moved bool
	}{{"every server acknowledged", 3, true}, {"two of three", 2, false}} {
		t.Run(tc.name, func(t *testing.T) {
			newKey, _ := natsjwt.NewKey(natsjwt.KindOperator)
			newPub, _ := newKey.PublicKey()
			oldPub := ""
			f := newResolverFixture(t, func(op *natsv1alpha1.NatsOperator, acc *natsv1alpha1.NatsAccount) {
				oldPub = op.Status.SigningKeys[0]
				op.Status.SigningKeys = append(op.Status.SigningKeys, newPub)
				acc.Status.PushedClaimsHash, acc.Status.PushedIssuer = acc.Status.ClaimsHash, oldPub
				acc.Status.JWT = signAccount(t, acc.Status.PublicKey, newKey)
			})
			f.nats.acks = tc.acks
			_ = f.sync(t)
			if len(f.nats.updates) != 1 {
				t.Fatalf("pushed %d times, want the re-signed JWT once", len(f.nats.updates))
			}
			bodies, _ := f.applied(t)
			if len(bodies) != 1 {
				t.Fatalf("applies %+v, want one", bodies)
			}
			want := oldPub
			if tc.moved {
				want = newPub
			}
			if st := bodies[0].Status; st.PushedIssuer != want || st.PushedClaimsHash != "h1" {
				t.Errorf("pushedIssuer %q, pushedClaimsHash %q; want %q, h1", st.PushedIssuer, st.PushedClaimsHash, want)
			}
		})
	}
}

// TestSyncDeletesAccount: a deleted account with the controller's delete request is deleted
// from every server and never pushed; Deleted=True is applied under its own field manager, with
// no event (the controller announces it); the next sync sends nothing again.
func TestSyncDeletesAccount(t *testing.T) {
	f := newResolverFixture(t, func(_ *natsv1alpha1.NatsOperator, acc *natsv1alpha1.NatsAccount) {
		now := metav1.Now()
		acc.DeletionTimestamp, acc.Finalizers = &now, []string{"natsauth.io/account-cleanup"}
	})
	req, err := natsjwt.DeleteRequest(f.signing, []string{f.acc.Status.PublicKey})
	if err != nil {
		t.Fatal(err)
	}
	f.acc.Status.DeleteRequest = req
	if err := f.sync(t); err != nil {
		t.Fatalf("sync: %v", err)
	}
	if len(f.nats.updates) != 0 || len(f.nats.deletes) != 1 || f.nats.deletes[0] != req {
		t.Fatalf("pushed %d, deleted %d: want the delete request once and no push", len(f.nats.updates), len(f.nats.deletes))
	}
	f.expectApply(t, DeleteFieldManager, natsv1alpha1.ConditionDeleted, metav1.ConditionTrue, ReasonDeletedFromServers)
	if ev := f.events(); len(ev) != 0 {
		t.Errorf("events %q", ev)
	}
	if err := f.sync(t); err != nil || len(f.nats.deletes) != 1 {
		t.Errorf("second sync: %v, %d deletes", err, len(f.nats.deletes))
	}
}

// deletingFixture is newResolverFixture with the account being deleted and the controller's
// delete request in its status.
func deletingFixture(t *testing.T) *resolverFixture {
	f := newResolverFixture(t, func(_ *natsv1alpha1.NatsOperator, acc *natsv1alpha1.NatsAccount) {
		now := metav1.Now()
		acc.DeletionTimestamp, acc.Finalizers = &now, []string{"natsauth.io/account-cleanup"}
	})
	req, err := natsjwt.DeleteRequest(f.signing, []string{f.acc.Status.PublicKey})
	if err != nil {
		t.Fatal(err)
	}
	f.acc.Status.DeleteRequest = req
	return f
}

// metric returns the value of the resolver counter or gauge name with the given result label
// ("" for none).
func (f *resolverFixture) metric(t *testing.T, name, result string) float64 {
	t.Helper()
	families, err := f.metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range families {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := m.GetLabel()
			if result == "" && len(labels) == 0 {
				return m.GetGauge().GetValue()
			}
			if len(labels) == 1 && labels[0].GetName() == "result" && labels[0].GetValue() == result {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// deliverCase is one operation in TestDeliver: how to build its fixture and what it records.
type deliverCase struct {
	name      string
	fixture   func(t *testing.T) *resolverFixture
	sent      func(n *fakeNATS) []string
	manager   string
	condType  string
	counter   string
	withHash  bool
	announced bool // a complete delivery emits a Normal event
	// reasons for complete, partial and failed deliveries, and the complete message.
	ok, partial, failed, okMessage string
}

var deliverCases = []deliverCase{
	{name: "push", fixture: func(t *testing.T) *resolverFixture { return newResolverFixture(t, nil) },
		sent: func(n *fakeNATS) []string { return n.updates }, manager: FieldManager, condType: natsv1alpha1.ConditionPushed,
		counter: "natsauth_resolver_pushes_total", withHash: true, announced: true,
		ok: ReasonPushed, partial: ReasonPartiallyPushed, failed: ReasonPushFailed, okMessage: "acknowledged by 3 of 3 servers"},
	{name: "delete", fixture: deletingFixture,
		sent: func(n *fakeNATS) []string { return n.deletes }, manager: DeleteFieldManager, condType: natsv1alpha1.ConditionDeleted,
		counter: "natsauth_resolver_deletes_total",
		ok:      ReasonDeletedFromServers, partial: ReasonPartiallyDeleted, failed: ReasonDeleteFailed, okMessage: "deleted from 3 of 3 servers"},
}

// TestDeliver: push and delete share one pipeline (deliver). For both: a delivery every
// server acknowledged sets the condition True, once; one a server refused, or one a silent
// server let run into the push timeout, sets it False with the servers named, counts as
// partial, stays in the backlog and is retried (an error that is not terminal) until a
// retry reaches every server; one no server answered is a failure.
func TestDeliver(t *testing.T) {
	const refusedMessage = "2 of 3 servers; c: nats-server c refused (500): " + refusal
	scenarios := []struct {
		name         string
		acks, refuse int
		// result is the counter's label; the condition is True only for PushSuccess.
		result  string
		message string
		reason  func(deliverCase) string
		pending float64
	}{
		{"all servers acknowledge", 3, 0, PushSuccess, "", func(d deliverCase) string { return d.ok }, 0},
		{"one server refuses", 2, 1, PushPartial, refusedMessage, func(d deliverCase) string { return d.partial }, 1},
		{"one server silent until the timeout", 2, 0, PushPartial, "2 of 3 servers; missing: c",
			func(d deliverCase) string { return d.partial }, 1},
		{"no server answers", 0, 0, PushFailed, "0 of 3 servers; missing: a, b, c", func(d deliverCase) string { return d.failed }, 1},
	}
	for _, op := range deliverCases {
		for _, sc := range scenarios {
			t.Run(op.name+"/"+sc.name, func(t *testing.T) {
				f := op.fixture(t)
				f.nats.acks, f.nats.refuse = sc.acks, sc.refuse
				err := f.sync(t)
				if len(op.sent(f.nats)) != 1 || len(f.nats.updates)+len(f.nats.deletes) != 1 {
					t.Fatalf("sent %d updates and %d deletes, want one %s", len(f.nats.updates), len(f.nats.deletes), op.name)
				}
				status := metav1.ConditionFalse
				if sc.result == PushSuccess {
					status = metav1.ConditionTrue
				}
				body := f.expectApply(t, op.manager, op.condType, status, sc.reason(op))
				if got := f.metric(t, op.counter, sc.result); got != 1 {
					t.Errorf("%s{result=%q} = %v, want 1", op.counter, sc.result, got)
				}
				if got := f.metric(t, "natsauth_resolver_pending_pushes", ""); got != sc.pending {
					t.Errorf("pending_pushes = %v, want %v", got, sc.pending)
				}
				ev := f.events()
				if sc.result == PushSuccess {
					checkDelivered(t, op, f, err, body, ev)
					return
				}
				checkIncomplete(t, f, err, body, ev, sc.message)
				// The retry reaches every server now: the condition turns True and the backlog empties.
				f.nats.acks, f.nats.refuse = 3, 0
				if err := f.sync(t); err != nil {
					t.Fatalf("retry: %v", err)
				}
				f.expectApply(t, op.manager, op.condType, metav1.ConditionTrue, op.ok)
				if got := f.metric(t, "natsauth_resolver_pending_pushes", ""); got != 0 || len(op.sent(f.nats)) != 2 {
					t.Errorf("after the retry: pending_pushes = %v, %d sent", got, len(op.sent(f.nats)))
				}
			})
		}
	}
}

// checkDelivered checks a complete delivery: no error, the complete message, pushedClaimsHash
// only for a push, a Normal event only where the resolver announces it.
func checkDelivered(t *testing.T, op deliverCase, f *resolverFixture, err error, body statusApply, ev []string) {
	t.Helper()
	if err != nil {
		t.Errorf("sync: %v", err)
	}
	if msg := body.Status.Conditions[0].Message; msg != op.okMessage {
		t.Errorf("message %q, want %q", msg, op.okMessage)
	}
	wantHash := ""
	if op.withHash {
		wantHash = f.acc.Status.ClaimsHash
	}
	if body.Status.PushedClaimsHash != wantHash {
		t.Errorf("pushedClaimsHash %q, want %q", body.Status.PushedClaimsHash, wantHash)
	}
	if (len(ev) == 1) != op.announced || len(ev) > 1 {
		t.Errorf("events %q", ev)
	}
	// The servers have it: the same cached account sends nothing again.
	if err := f.sync(t); err != nil || len(op.sent(f.nats)) != 1 {
		t.Errorf("second sync: %v, %d sent", err, len(op.sent(f.nats)))
	}
}

// checkIncomplete checks an incomplete delivery: an error the queue retries with backoff (not
// terminal, not a plain requeue), the servers named, no hash, a Warning.
func checkIncomplete(t *testing.T, f *resolverFixture, err error, body statusApply, ev []string, message string) {
	t.Helper()
	if _, requeue := controllerhelpers.AsRequeue(err); err == nil || requeue || controllerhelpers.IsTerminal(err) {
		t.Errorf("sync: %v, want an error retried with backoff", err)
	}
	if msg := body.Status.Conditions[0].Message; msg != message {
		t.Errorf("message %q, want %q", msg, message)
	}
	if body.Status.PushedClaimsHash != "" {
		t.Errorf("pushedClaimsHash %q set by an incomplete delivery", body.Status.PushedClaimsHash)
	}
	if len(ev) != 1 || !strings.HasPrefix(ev[0], "Warning ") {
		t.Errorf("events %q, want one Warning", ev)
	}
}

// TestDeliverNotConnected: while NATS is down nothing is sent; both operations report it and
// requeue the account (the reconnect pushes everything again).
func TestDeliverNotConnected(t *testing.T) {
	for _, op := range deliverCases {
		t.Run(op.name, func(t *testing.T) {
			f := op.fixture(t)
			f.nats.disconnected = true
			err := f.sync(t)
			if _, ok := controllerhelpers.AsRequeue(err); !ok {
				t.Errorf("sync: %v, want a requeue", err)
			}
			body := f.expectApply(t, op.manager, op.condType, metav1.ConditionFalse, op.failed)
			if msg := body.Status.Conditions[0].Message; msg != msgNotConnected || len(op.sent(f.nats)) != 0 {
				t.Errorf("message %q, %d sent", msg, len(op.sent(f.nats)))
			}
			if got := f.metric(t, "natsauth_resolver_pending_pushes", ""); got != 1 {
				t.Errorf("pending_pushes = %v, want 1", got)
			}
		})
	}
}
