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

package controllerhelpers

import (
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
)

// Memo keeps, per object, a value derived from one version of it: an entry serves only the
// resourceVersion it was made for, and a newer version replaces it. It is the one form of
// in-memory state the controllers keep next to the informers' caches, so every piece of it is
// bounded by the objects in the cache and goes when its object goes: register Forget in the
// informer's delete handler (OnDelete). A nil Memo knows nothing and keeps nothing.
type Memo[V any] struct {
	mu      sync.Mutex
	entries map[types.UID]memoVersion[V]
}

type memoVersion[V any] struct {
	resourceVersion string
	value           V
}

// Get returns the value recorded for this version of obj.
func (m *Memo[V]) Get(obj metav1.Object) (V, bool) {
	var zero V
	if m == nil {
		return zero, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[obj.GetUID()]
	if !ok || e.resourceVersion != obj.GetResourceVersion() {
		return zero, false
	}
	return e.value, true
}

// Put records v for this version of obj, dropping what an older version left.
func (m *Memo[V]) Put(obj metav1.Object, v V) {
	m.Update(obj, func(V, bool) V { return v })
}

// Update records fn's result for this version of obj; fn gets the value recorded for this
// version, if any. It runs under the Memo's lock, so concurrent updates of one object (items of
// a shared Secret) are not lost. Values that Get returned may be in use without the lock: fn
// must not modify what it is given in place (copy a slice before changing it).
func (m *Memo[V]) Update(obj metav1.Object, fn func(v V, ok bool) V) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.entries == nil {
		m.entries = map[types.UID]memoVersion[V]{}
	}
	e, ok := m.entries[obj.GetUID()]
	if !ok || e.resourceVersion != obj.GetResourceVersion() {
		var zero V
		e, ok = memoVersion[V]{value: zero}, false
	}
	m.entries[obj.GetUID()] = memoVersion[V]{resourceVersion: obj.GetResourceVersion(), value: fn(e.value, ok)}
}

// Forget drops the entry of a deleted object (an informer's delete notification, tombstones
// included).
func (m *Memo[V]) Forget(obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	o, err := meta.Accessor(obj)
	if m == nil || err != nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.entries, o.GetUID())
}

// Len is the number of objects with an entry.
func (m *Memo[V]) Len() int {
	if m == nil {
		return 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}

// OnDelete returns h with forget called first on every deleted object (tombstones unwrapped),
// so a controller's state of an object goes with its delete notification.
func OnDelete(h cache.ResourceEventHandlerFuncs, forget ...func(obj any)) cache.ResourceEventHandlerFuncs {
	next := h.DeleteFunc
	h.DeleteFunc = func(obj any) {
		deleted := obj
		if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			deleted = tomb.Obj
		}
		for _, f := range forget {
			f(deleted)
		}
		if next != nil {
			next(obj)
		}
	}
	return h
}
