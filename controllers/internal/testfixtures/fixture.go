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

// Package testfixtures builds the unit tests of the controller binary's controllers in the
// sample-controller style: fake clientsets, informer indexers seeded directly (no informer
// runs), a record.FakeRecorder and a clocktesting.FakeClock. Tests call a controller's sync
// directly, then assert on the writes the fake clientsets recorded, the events and the
// objects. Nothing here starts a process.
package testfixtures

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kubeinformers "k8s.io/client-go/informers"
	kubefake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	clocktesting "k8s.io/utils/clock/testing"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/controllerutil"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	natsfake "github.com/natsauth/nats-auth-operator/generated/clientset/versioned/fake"
	natsinformers "github.com/natsauth/nats-auth-operator/generated/informers/externalversions"
)

// Fixture holds the fakes one test drives a controller with.
type Fixture struct {
	t        testing.TB
	Kube     *kubefake.Clientset
	Nats     *natsfake.Clientset
	Recorder *record.FakeRecorder
	Clock    *clocktesting.FakeClock
	// SecretTransform, when set, is applied to every Secret Sync copies into the cache, as the
	// binary's Secret informer does (credscache.Compact).
	SecretTransform cache.TransformFunc

	deps controllerutil.Deps
	// provided holds the unlabelled Secrets (deps.Provided).
	provided cache.Indexer

	mu      sync.Mutex
	actions []k8stesting.Action // both clientsets', in order
	version int64               // the last resourceVersion given out
}

// New returns a fixture whose API holds objs (Secrets go to the kube clientset, everything
// else to the nats clientset) and whose caches hold the same, with the shared indexes of the
// binary registered. The fake clock starts at the wall clock, because JWT issue times come from
// it (natsjwt.Sign); tests move it with Clock.Step.
func New(t testing.TB, objs ...runtime.Object) *Fixture {
	t.Helper()
	f := &Fixture{
		t: t, Kube: kubefake.NewClientset(), Nats: natsfake.NewSimpleClientset(),
		Recorder: record.NewFakeRecorder(100), Clock: clocktesting.NewFakeClock(time.Now()),
	}
	for _, o := range objs {
		f.Put(o)
	}
	f.Kube.PrependReactor("*", "*", f.react(f.Kube.Tracker()))
	f.Nats.PrependReactor("*", "*", f.react(f.Nats.Tracker()))

	natsFactory := natsinformers.NewSharedInformerFactory(f.Nats, 0)
	v1 := natsFactory.Natsauth().V1alpha1()
	f.deps = controllerutil.Deps{
		KubeClient: f.Kube, NatsClient: f.Nats, Recorder: f.Recorder, Clock: f.Clock,
		Operators: v1.NatsOperators(), Accounts: v1.NatsAccounts(), Users: v1.NatsUsers(),
		Secrets: kubeinformers.NewSharedInformerFactory(f.Kube, 0).Core().V1().Secrets(),
	}
	// The Secrets without our label, as the binary's per-Secret informers hold those named by
	// adopted objects.
	f.provided = cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	f.deps.Provided = controllerutil.NewStaticProvidedSecrets(f.provided)
	if err := f.deps.Accounts.Informer().AddIndexers(naming.AccountIndexers()); err != nil {
		t.Fatal(err)
	}
	if err := f.deps.Users.Informer().AddIndexers(naming.UserIndexers()); err != nil {
		t.Fatal(err)
	}
	if err := f.deps.Secrets.Informer().AddIndexers(naming.SecretIndexers()); err != nil {
		t.Fatal(err)
	}
	f.Sync()
	return f
}

// Deps are the controller dependencies on the fakes; the informers are never started.
func (f *Fixture) Deps() controllerutil.Deps { return f.deps }

var (
	secretsGVR   = corev1.SchemeGroupVersion.WithResource("secrets")
	operatorsGVR = natsv1alpha1.SchemeGroupVersion.WithResource("natsoperators")
	accountsGVR  = natsv1alpha1.SchemeGroupVersion.WithResource("natsaccounts")
	usersGVR     = natsv1alpha1.SchemeGroupVersion.WithResource("natsusers")
)

// Sync makes the caches hold what the API holds, as the informers would once they caught up.
// The Secret cache holds only managed Secrets, as the binary's label-selected informer does.
func (f *Fixture) Sync() {
	f.t.Helper()
	f.replace(f.Kube.Tracker(), secretsGVR, "Secret", f.deps.Secrets.Informer().GetIndexer(), func(o runtime.Object) (any, bool) {
		s := o.(*corev1.Secret)
		if s.Labels[naming.LabelManagedBy] != naming.ManagedByValue {
			return nil, false
		}
		if f.SecretTransform == nil {
			return s, true
		}
		out, err := f.SecretTransform(s)
		if err != nil {
			f.t.Fatal(err)
		}
		return out, true
	})
	f.replace(f.Kube.Tracker(), secretsGVR, "Secret", f.provided, func(o runtime.Object) (any, bool) {
		return o, o.(*corev1.Secret).Labels[naming.LabelManagedBy] != naming.ManagedByValue
	})
	all := func(o runtime.Object) (any, bool) { return o, true }
	f.replace(f.Nats.Tracker(), operatorsGVR, "NatsOperator", f.deps.Operators.Informer().GetIndexer(), all)
	f.replace(f.Nats.Tracker(), accountsGVR, "NatsAccount", f.deps.Accounts.Informer().GetIndexer(), all)
	f.replace(f.Nats.Tracker(), usersGVR, "NatsUser", f.deps.Users.Informer().GetIndexer(), all)
}

func (f *Fixture) replace(tracker k8stesting.ObjectTracker, gvr schema.GroupVersionResource, kind string, idx cache.Indexer, keep func(runtime.Object) (any, bool)) {
	list, err := tracker.List(gvr, gvr.GroupVersion().WithKind(kind), "")
	if err != nil {
		f.t.Fatalf("list %s: %v", gvr.Resource, err)
	}
	objs, err := meta.ExtractList(list)
	if err != nil {
		f.t.Fatal(err)
	}
	var items []any
	for _, o := range objs {
		if item, ok := keep(o.DeepCopyObject()); ok {
			items = append(items, item)
		}
	}
	if err := idx.Replace(items, ""); err != nil {
		f.t.Fatal(err)
	}
}

// Cache adds or replaces objects in the caches only, as an informer holding a newer or
// different version than the API would.
func (f *Fixture) Cache(objs ...runtime.Object) {
	f.t.Helper()
	for _, o := range objs {
		var idx cache.Indexer
		switch o := o.(type) {
		case *corev1.Secret:
			idx = f.deps.Secrets.Informer().GetIndexer()
			if o.Labels[naming.LabelManagedBy] != naming.ManagedByValue {
				idx = f.provided
			}
		case *natsv1alpha1.NatsOperator:
			idx = f.deps.Operators.Informer().GetIndexer()
		case *natsv1alpha1.NatsAccount:
			idx = f.deps.Accounts.Informer().GetIndexer()
		case *natsv1alpha1.NatsUser:
			idx = f.deps.Users.Informer().GetIndexer()
		default:
			f.t.Fatalf("no cache for %T", o)
		}
		if err := idx.Update(o); err != nil {
			f.t.Fatal(err)
		}
	}
}

// Put stores obj in the API (create or replace) with a new resourceVersion, without recording
// an action; Sync or Cache makes the caches see it.
func (f *Fixture) Put(obj runtime.Object) {
	f.t.Helper()
	tracker, gvr := f.Nats.Tracker(), schema.GroupVersionResource{}
	switch obj.(type) {
	case *corev1.Secret:
		tracker, gvr = f.Kube.Tracker(), secretsGVR
	case *natsv1alpha1.NatsOperator:
		gvr = operatorsGVR
	case *natsv1alpha1.NatsAccount:
		gvr = accountsGVR
	case *natsv1alpha1.NatsUser:
		gvr = usersGVR
	default:
		f.t.Fatalf("cannot store %T", obj)
	}
	if err := f.store(tracker, gvr, obj.DeepCopyObject(), true); err != nil {
		f.t.Fatalf("store %T: %v", obj, err)
	}
}

// store writes obj to tracker with the next resourceVersion, which the fake clientsets do not
// maintain themselves: the controllers compare resourceVersions (staleness guards, memos).
func (f *Fixture) store(tracker k8stesting.ObjectTracker, gvr schema.GroupVersionResource, obj runtime.Object, create bool) error {
	m, err := meta.Accessor(obj)
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.version++
	m.SetResourceVersion(strconv.FormatInt(f.version, 10))
	f.mu.Unlock()
	err = tracker.Update(gvr, obj, m.GetNamespace())
	if create && apierrors.IsNotFound(err) {
		err = tracker.Create(gvr, obj, m.GetNamespace())
	}
	return err
}

// react records every action, and gives every object a write returns a new resourceVersion.
func (f *Fixture) react(tracker k8stesting.ObjectTracker) k8stesting.ReactionFunc {
	objects := k8stesting.ObjectReaction(tracker)
	return func(a k8stesting.Action) (bool, runtime.Object, error) {
		f.mu.Lock()
		f.actions = append(f.actions, a)
		f.mu.Unlock()
		if isRead(a.GetVerb()) || a.GetVerb() == "delete" {
			return false, nil, nil
		}
		_, obj, err := objects(a)
		if err != nil || obj == nil {
			return true, obj, err
		}
		if err := f.store(tracker, a.GetResource(), obj, false); err != nil {
			return true, nil, err
		}
		return true, obj.DeepCopyObject(), nil
	}
}

// Writes lists the writes to the API since the last ClearActions, in order, as
// "verb resource[/subresource] name", e.g. "create secrets api" or "update natsusers/status api".
func (f *Fixture) Writes() []string {
	var out []string
	for _, a := range f.recorded() {
		if !isRead(a.GetVerb()) {
			out = append(out, describe(a))
		}
	}
	return out
}

// Reads lists the uncached reads (get and list) since the last ClearActions, like Writes.
func (f *Fixture) Reads() []string {
	var out []string
	for _, a := range f.recorded() {
		if isRead(a.GetVerb()) && a.GetVerb() != "watch" {
			out = append(out, describe(a))
		}
	}
	return out
}

// Settle lets the caches catch up with the API (Sync) and starts the next step with no recorded
// actions or events (ClearActions).
func (f *Fixture) Settle() {
	f.t.Helper()
	f.Sync()
	f.ClearActions()
}

// ClearActions forgets the recorded actions and drains the recorder's events.
func (f *Fixture) ClearActions() {
	f.mu.Lock()
	f.actions = nil
	f.mu.Unlock()
	f.Events()
}

func (f *Fixture) recorded() []k8stesting.Action {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]k8stesting.Action(nil), f.actions...)
}

func isRead(verb string) bool { return verb == "get" || verb == "list" || verb == "watch" }

func describe(a k8stesting.Action) string {
	res := a.GetResource().Resource
	if sub := a.GetSubresource(); sub != "" {
		res += "/" + sub
	}
	name := ""
	switch a := a.(type) {
	case k8stesting.CreateAction:
		if m, err := meta.Accessor(a.GetObject()); err == nil {
			name = m.GetName()
		}
	case k8stesting.UpdateAction:
		if m, err := meta.Accessor(a.GetObject()); err == nil {
			name = m.GetName()
		}
	case k8stesting.PatchAction:
		name = a.GetName()
	case k8stesting.DeleteAction:
		name = a.GetName()
	case k8stesting.GetAction:
		name = a.GetName()
	}
	return strings.TrimSpace(fmt.Sprintf("%s %s %s", a.GetVerb(), res, name))
}

// Events drains the recorder and returns each event as "Type Reason" (the message dropped).
func (f *Fixture) Events() []string {
	var out []string
	for {
		select {
		case e := <-f.Recorder.Events:
			parts := strings.SplitN(e, " ", 3)
			out = append(out, strings.Join(parts[:min(2, len(parts))], " "))
		default:
			return out
		}
	}
}

// Secret returns the Secret in the API, or nil.
func (f *Fixture) Secret(ns, name string) *corev1.Secret {
	o := f.get(f.Kube.Tracker(), secretsGVR, ns, name)
	if o == nil {
		return nil
	}
	return o.(*corev1.Secret)
}

// Operator returns the NatsOperator in the API; the test fails when there is none.
func (f *Fixture) Operator(ns, name string) *natsv1alpha1.NatsOperator {
	return f.mustGet(operatorsGVR, ns, name).(*natsv1alpha1.NatsOperator)
}

// Account returns the NatsAccount in the API; the test fails when there is none.
func (f *Fixture) Account(ns, name string) *natsv1alpha1.NatsAccount {
	return f.mustGet(accountsGVR, ns, name).(*natsv1alpha1.NatsAccount)
}

// User returns the NatsUser in the API; the test fails when there is none.
func (f *Fixture) User(ns, name string) *natsv1alpha1.NatsUser {
	return f.mustGet(usersGVR, ns, name).(*natsv1alpha1.NatsUser)
}

func (f *Fixture) mustGet(gvr schema.GroupVersionResource, ns, name string) runtime.Object {
	f.t.Helper()
	o := f.get(f.Nats.Tracker(), gvr, ns, name)
	if o == nil {
		f.t.Fatalf("%s %s/%s does not exist", gvr.Resource, ns, name)
	}
	return o
}

func (f *Fixture) get(tracker k8stesting.ObjectTracker, gvr schema.GroupVersionResource, ns, name string) runtime.Object {
	f.t.Helper()
	o, err := tracker.Get(gvr, ns, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		f.t.Fatal(err)
	}
	return o
}
