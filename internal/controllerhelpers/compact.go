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
	"maps"
	"slices"
	"strings"
	"sync"
	"unique"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Intern returns the canonical copy of s. Decoding gives every cached object its own copy of
// each string, so strings that most objects share (namespaces, label and annotation keys,
// account keys, condition reasons) are held once instead of once per object. The canonical
// copies are weak: a string no cached object uses any more is collected. Only strings that
// repeat are worth it; a unique one costs an entry in the runtime's table for nothing.
func Intern(s string) string {
	if s == "" {
		return s
	}
	return unique.Make(s).Value()
}

// CompactMeta is the informers' transform for the metadata of every cached object: it drops
// managedFields (server-side apply bookkeeping nothing here reads, a large share of every
// object; an update sent without them leaves the server's copy unchanged) and interns the
// strings objects share. Label values equal to the object's own name (natsauth.io/user on a
// creds Secret) are left alone, as are names, UIDs and annotation values.
func CompactMeta(obj any) (any, error) {
	a, ok := obj.(metav1.ObjectMetaAccessor)
	if !ok {
		return StripManagedFields(obj)
	}
	o, ok := a.GetObjectMeta().(*metav1.ObjectMeta)
	if !ok {
		return StripManagedFields(obj)
	}
	o.ManagedFields = nil
	o.Namespace = Intern(o.Namespace)
	o.Labels = internMap(o.Labels, o.Name, true)
	o.Annotations = internMap(o.Annotations, o.Name, false)
	for i := range o.OwnerReferences {
		ref := &o.OwnerReferences[i]
		ref.APIVersion, ref.Kind = Intern(ref.APIVersion), Intern(ref.Kind)
	}
	for i := range o.Finalizers {
		o.Finalizers[i] = Intern(o.Finalizers[i])
	}
	return obj, nil
}

// lastApplied is the annotation client-side `kubectl apply` keeps: the whole applied object
// again, often the largest part of a cached NatsUser's metadata.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// DropLastApplied is a transform for informers of objects the controllers write only through
// the status subresource and patches (the natsauth.io kinds): it drops lastApplied, which
// nothing here reads. A status update resets metadata to the stored object's, so the
// annotation stays where kubectl needs it.
func DropLastApplied(obj any) (any, error) {
	if a, err := meta.Accessor(obj); err == nil {
		if ann := a.GetAnnotations(); ann[lastApplied] != "" {
			delete(ann, lastApplied)
			a.SetAnnotations(ann)
		}
	}
	return obj, nil
}

// internMap returns m with interned keys and, when values is set, interned values other than
// own. It builds a new map: the decoded one's keys cannot be replaced in place. A label map
// whose values are all shared (every NatsUser of a team labelled alike) is itself shared:
// sharedMap.
func internMap(m map[string]string, own string, values bool) map[string]string {
	if len(m) == 0 {
		return m
	}
	out := make(map[string]string, len(m))
	shareable := values
	for k, v := range m {
		if values && v != own {
			v = Intern(v)
		} else {
			shareable = false
		}
		out[Intern(k)] = v
	}
	if shareable {
		return sharedMaps.get(out)
	}
	return out
}

// maxSharedMaps bounds sharedMaps: label sets that all differ are not worth a table entry, and
// the table never shrinks.
const maxSharedMaps = 4096

var sharedMaps = &sharedMap{maps: map[string]map[string]string{}}

// sharedMap hands out one map per content, so cached objects with equal labels hold a single
// map (a small Go map costs about 350 bytes however few its entries). Cached objects are
// read-only, and every controller deep-copies one before changing it, so sharing is safe.
type sharedMap struct {
	mu   sync.Mutex
	maps map[string]map[string]string
}

func (s *sharedMap) get(m map[string]string) map[string]string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		b.WriteString(k)
		b.WriteByte(0)
		b.WriteString(m[k])
		b.WriteByte(0)
	}
	key := b.String()
	s.mu.Lock()
	defer s.mu.Unlock()
	if have, ok := s.maps[key]; ok {
		return have
	}
	if len(s.maps) < maxSharedMaps {
		s.maps[key] = m
	}
	return m
}
