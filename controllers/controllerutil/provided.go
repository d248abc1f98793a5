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

package controllerutil

import (
	"context"
	"fmt"
	"slices"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	natsinformers "github.com/natsauth/nats-auth-operator/generated/informers/externalversions/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
)

// Holder is an object that names provided Secrets: a NatsOperator or a NatsAccount.
type Holder struct {
	Kind            string // HolderOperator or HolderAccount
	Namespace, Name string
}

// The kinds of holders.
const (
	HolderOperator = "NatsOperator"
	HolderAccount  = "NatsAccount"
)

// ProvidedHandler is what a controller wants to hear of provided Secrets.
type ProvidedHandler struct {
	// Changed gets the holders of a Secret that was added, changed or deleted, or whose cache
	// has just synced (a Secret that does not exist makes no event of its own).
	Changed func(holders []Holder)
	// Forget, when set, gets each Secret the cache drops: deleted, or named by nobody any more.
	Forget func(obj any)
}

// ProvidedSecrets caches the Secrets users provide to adopt an nsc setup (spec.keysSecretRef,
// spec.external). They carry none of our labels and are never labelled, so the label-filtered
// Secret informer does not hold them; instead each one gets an informer of its own (its
// namespace, field selector metadata.name), started when the first holder names it and stopped
// when the last one no longer does. Holders are read from the NatsOperator and NatsAccount
// informers, so what is watched never depends on which controller synced first.
type ProvidedSecrets struct {
	client kubernetes.Interface

	mu       sync.Mutex
	ctx      context.Context // nil until Start
	names    map[Holder][]cache.ObjectName
	entries  map[cache.ObjectName]*providedEntry
	handlers []ProvidedHandler
	regs     []cache.ResourceEventHandlerRegistration
	// static, in unit tests only, answers every Get instead of the informers.
	static cache.Indexer
}

type providedEntry struct {
	holders  map[Holder]struct{}
	informer cache.SharedIndexInformer
	cancel   context.CancelFunc // nil until started
}

// NewProvidedSecrets registers on the operator and account informers, which must not have
// started yet. Informers of Secrets start with Start.
func NewProvidedSecrets(client kubernetes.Interface, operators natsinformers.NatsOperatorInformer, accounts natsinformers.NatsAccountInformer) (*ProvidedSecrets, error) {
	p := &ProvidedSecrets{client: client, names: map[Holder][]cache.ObjectName{}, entries: map[cache.ObjectName]*providedEntry{}}
	h := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { p.track(obj) },
		UpdateFunc: func(_, obj any) { p.track(obj) },
		DeleteFunc: p.untrack,
	}
	for _, inf := range []cache.SharedIndexInformer{operators.Informer(), accounts.Informer()} {
		reg, err := inf.AddEventHandler(h)
		if err != nil {
			return nil, fmt.Errorf("provided Secrets: %w", err)
		}
		p.regs = append(p.regs, reg)
	}
	return p, nil
}

// NewStaticProvidedSecrets serves Get from indexer, which the caller fills: for unit tests of
// one sync, whose informers never run.
func NewStaticProvidedSecrets(indexer cache.Indexer) *ProvidedSecrets {
	return &ProvidedSecrets{static: indexer}
}

// AddHandler adds h; call it before Start.
func (p *ProvidedSecrets) AddHandler(h ProvidedHandler) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.handlers = append(p.handlers, h)
}

// Start runs the informers of the Secrets named so far, and of those named later, until ctx
// ends.
func (p *ProvidedSecrets) Start(ctx context.Context) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ctx = ctx
	for ref, e := range p.entries {
		p.run(ref, e)
	}
}

// HasSynced reports whether the holders' informers delivered their initial lists, so every
// Secret named so far has an informer. It does not wait for those: one Secret whose list keeps
// failing (RBAC denies its namespace) must not hold back every controller and readiness; Get
// answers Requeue for it until its cache has synced, and only its holders wait.
func (p *ProvidedSecrets) HasSynced() bool {
	if p.static != nil {
		return true
	}
	for _, r := range p.regs {
		if !r.HasSynced() {
			return false
		}
	}
	return true
}

// Get returns the Secret as a lister would (NotFound when it does not exist); callers must not
// modify it. A Secret whose cache has not synced yet, or that no holder names yet, is a Requeue:
// the sync of its cache calls the handlers, which re-queue the holders.
func (p *ProvidedSecrets) Get(namespace, name string) (*corev1.Secret, error) {
	store, err := p.store(namespace, name)
	if err != nil {
		return nil, err
	}
	obj, ok, err := store.GetByKey(namespace + "/" + name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, apierrors.NewNotFound(corev1.Resource("secrets"), name)
	}
	s, ok := obj.(*corev1.Secret)
	if !ok {
		return nil, fmt.Errorf("provided Secret %s/%s: unexpected %T in cache", namespace, name, obj)
	}
	return s, nil
}

func (p *ProvidedSecrets) store(namespace, name string) (cache.Store, error) {
	if p.static != nil {
		return p.static, nil
	}
	p.mu.Lock()
	e := p.entries[cache.ObjectName{Namespace: namespace, Name: name}]
	p.mu.Unlock()
	if e == nil || !e.informer.HasSynced() {
		return nil, controllerhelpers.Requeue("waiting for the cache of provided Secret %s/%s", namespace, name)
	}
	return e.informer.GetStore(), nil
}

// ProvidedSecretNames lists the Secrets obj names for adoption, and obj as their holder.
func ProvidedSecretNames(obj any) (Holder, []cache.ObjectName, bool) {
	var refs []string
	var h Holder
	switch o := obj.(type) {
	case *natsv1alpha1.NatsAccount:
		h = Holder{Kind: HolderAccount, Namespace: o.Namespace, Name: o.Name}
		if o.Spec.KeysSecretRef != nil {
			refs = append(refs, o.Spec.KeysSecretRef.Name)
		}
	case *natsv1alpha1.NatsOperator:
		h = Holder{Kind: HolderOperator, Namespace: o.Namespace, Name: o.Name}
		if o.Spec.KeysSecretRef != nil {
			refs = append(refs, o.Spec.KeysSecretRef.Name)
		}
		if ext := o.Spec.External; ext != nil {
			refs = append(refs, ext.SigningKeySecretRef.Name, ext.OperatorJWTRef.Name)
		}
	default:
		return Holder{}, nil, false
	}
	slices.Sort(refs)
	out := make([]cache.ObjectName, 0, len(refs))
	for _, r := range slices.Compact(refs) {
		if r != "" {
			out = append(out, cache.ObjectName{Namespace: h.Namespace, Name: r})
		}
	}
	return h, out, true
}

func (p *ProvidedSecrets) track(obj any) {
	h, refs, ok := ProvidedSecretNames(obj)
	if !ok {
		return
	}
	p.mu.Lock()
	old := p.names[h]
	if slices.Equal(old, refs) {
		p.mu.Unlock()
		return
	}
	for _, ref := range refs {
		e := p.entries[ref]
		if e == nil {
			e = p.newEntry(ref)
			p.entries[ref] = e
			if p.ctx != nil {
				p.run(ref, e)
			}
		}
		e.holders[h] = struct{}{}
	}
	dropped := p.release(h, old, refs)
	if len(refs) == 0 {
		delete(p.names, h)
	} else {
		p.names[h] = refs
	}
	p.mu.Unlock()
	p.forget(dropped...)
}

func (p *ProvidedSecrets) untrack(obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	h, _, ok := ProvidedSecretNames(obj)
	if !ok {
		return
	}
	p.mu.Lock()
	dropped := p.release(h, p.names[h], nil)
	delete(p.names, h)
	p.mu.Unlock()
	p.forget(dropped...)
}

// release drops h from the Secrets in old that keep is without, stopping the informers that
// no holder needs any more; it returns their cached Secrets, for the Forget handlers. p.mu is
// held.
func (p *ProvidedSecrets) release(h Holder, old, keep []cache.ObjectName) []any {
	var dropped []any
	for _, ref := range old {
		e := p.entries[ref]
		if e == nil || slices.Contains(keep, ref) {
			continue
		}
		delete(e.holders, h)
		if len(e.holders) > 0 {
			continue
		}
		delete(p.entries, ref)
		if e.cancel != nil {
			e.cancel()
		}
		dropped = append(dropped, e.informer.GetStore().List()...)
	}
	return dropped
}

func (p *ProvidedSecrets) newEntry(ref cache.ObjectName) *providedEntry {
	selector := fields.OneTermEqualSelector("metadata.name", ref.Name).String()
	inf := coreinformers.NewFilteredSecretInformer(p.client, ref.Namespace, 0, cache.Indexers{},
		func(o *metav1.ListOptions) { o.FieldSelector = selector })
	// Not started yet, so neither call can fail.
	_ = inf.SetTransform(controllerhelpers.StripManagedFields)
	e := &providedEntry{holders: map[Holder]struct{}{}, informer: inf}
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { p.changed(ref) },
		UpdateFunc: func(_, _ any) { p.changed(ref) },
		DeleteFunc: func(obj any) {
			p.forget(obj)
			p.changed(ref)
		},
	})
	return e
}

// run starts e's informer under p.ctx, and calls the handlers once it has synced, so holders
// that found the cache not ready (or the Secret absent) are looked at again. p.mu is held.
func (p *ProvidedSecrets) run(ref cache.ObjectName, e *providedEntry) {
	ctx, cancel := context.WithCancel(p.ctx)
	e.cancel = cancel
	go e.informer.Run(ctx.Done())
	go func() {
		if cache.WaitForCacheSync(ctx.Done(), e.informer.HasSynced) {
			p.changed(ref)
		}
	}()
}

func (p *ProvidedSecrets) changed(ref cache.ObjectName) {
	p.mu.Lock()
	var holders []Holder
	if e := p.entries[ref]; e != nil {
		for h := range e.holders {
			holders = append(holders, h)
		}
	}
	handlers := slices.Clone(p.handlers)
	p.mu.Unlock()
	if len(holders) == 0 {
		return
	}
	for _, h := range handlers {
		h.Changed(holders)
	}
}

// forget passes dropped Secrets to the Forget handlers.
func (p *ProvidedSecrets) forget(objs ...any) {
	if len(objs) == 0 {
		return
	}
	p.mu.Lock()
	handlers := slices.Clone(p.handlers)
	p.mu.Unlock()
	for _, obj := range objs {
		if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = tomb.Obj
		}
		for _, h := range handlers {
			if h.Forget != nil {
				h.Forget(obj)
			}
		}
	}
}

// EnqueueHolders is a ProvidedHandler that adds to q what mapFn makes of each holder of a
// changed Secret, and passes dropped Secrets to forget (which may be nil).
func EnqueueHolders(q workqueue.TypedInterface[cache.ObjectName], mapFn func(Holder) []cache.ObjectName, forget func(obj any)) ProvidedHandler {
	return ProvidedHandler{
		Changed: func(holders []Holder) {
			for _, h := range holders {
				for _, k := range mapFn(h) {
					q.Add(k)
				}
			}
		},
		Forget: forget,
	}
}

// Self maps a holder of the given kind to itself, for EnqueueHolders.
func Self(kind string) func(Holder) []cache.ObjectName {
	return func(h Holder) []cache.ObjectName {
		if h.Kind != kind {
			return nil
		}
		return []cache.ObjectName{{Namespace: h.Namespace, Name: h.Name}}
	}
}
