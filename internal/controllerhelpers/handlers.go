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
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// ObjectName returns the queue key of obj, unwrapping delete tombstones. ok is false for objects
// that have no name, which handlers drop.
func ObjectName(obj any) (cache.ObjectName, bool) {
	if tomb, isTomb := obj.(cache.DeletedFinalStateUnknown); isTomb {
		obj = tomb.Obj
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return cache.ObjectName{}, false
	}
	return cache.ObjectName{Namespace: m.GetNamespace(), Name: m.GetName()}, true
}

// EnqueueHandler returns handler funcs that put the object's own key on q. Updates with an
// unchanged resourceVersion are periodic resyncs and carry nothing new, so they are dropped.
func EnqueueHandler(q workqueue.TypedInterface[cache.ObjectName]) cache.ResourceEventHandlerFuncs {
	return MapHandler(q, func(obj any) []cache.ObjectName {
		if key, ok := ObjectName(obj); ok {
			return []cache.ObjectName{key}
		}
		return nil
	})
}

// MapHandler returns handler funcs that enqueue whatever keys mapFn derives from an event's
// object (for example the owners or referrers of a Secret). On update both the old and the new
// object are mapped, so a reference that moved re-queues both sides.
func MapHandler(q workqueue.TypedInterface[cache.ObjectName], mapFn func(obj any) []cache.ObjectName) cache.ResourceEventHandlerFuncs {
	add := func(obj any) {
		for _, k := range mapFn(obj) {
			q.Add(k)
		}
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc: add,
		UpdateFunc: func(oldObj, newObj any) {
			if sameResourceVersion(oldObj, newObj) {
				return
			}
			add(oldObj)
			add(newObj)
		},
		DeleteFunc: add,
	}
}

func sameResourceVersion(a, b any) bool {
	ma, errA := meta.Accessor(a)
	mb, errB := meta.Accessor(b)
	return errA == nil && errB == nil && ma.GetResourceVersion() == mb.GetResourceVersion()
}

// KeysFromIndex maps the index values of obj to queue keys using an indexer of another kind.
func KeysFromIndex(indexer cache.Indexer, indexName, value string) []cache.ObjectName {
	objs, err := indexer.ByIndex(indexName, value)
	if err != nil {
		return nil
	}
	keys := make([]cache.ObjectName, 0, len(objs))
	for _, o := range objs {
		if k, ok := ObjectName(o); ok {
			keys = append(keys, k)
		}
	}
	return keys
}

// StripManagedFields is the informers' transform. managedFields are server-side apply
// bookkeeping that nothing here reads, and they are a large share of every cached object; an
// update sent without them leaves the server's copy unchanged.
func StripManagedFields(obj any) (any, error) {
	if m, err := meta.Accessor(obj); err == nil && m.GetManagedFields() != nil {
		m.SetManagedFields(nil)
	}
	return obj, nil
}
