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
	"slices"
	"sync"

	"k8s.io/client-go/tools/cache"
)

// Superseded remembers, per object, the resourceVersions that this controller itself replaced
// with a successful write. A sync that finds one of them in its cache is looking at a state it
// has already acted on: the watch event of its own write is on its way and will queue the key
// again. Stopping there saves a write that would fail with a Conflict (or, worse, be computed
// from stale inputs) and a repeated computation. It is the informer-lag half of the
// "expectations" that Kubernetes' own controllers keep.
//
// Only versions replaced by a write that succeeded are recorded, so a newer version, and with it
// an event, always exists for every recorded one.
type Superseded struct {
	mu       sync.Mutex
	versions map[cache.ObjectName][]string
}

// Record notes that the object's versions were replaced by this controller's writes.
func (s *Superseded) Record(key cache.ObjectName, versions ...string) {
	if len(versions) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.versions == nil {
		s.versions = map[cache.ObjectName][]string{}
	}
	s.versions[key] = append(s.versions[key], versions...)
}

// Stale reports whether version, read from the cache, is one this controller already replaced.
// A version that is not recorded means the cache has caught up (or someone else wrote), so the
// key's record is dropped.
func (s *Superseded) Stale(key cache.ObjectName, version string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if slices.Contains(s.versions[key], version) {
		return true
	}
	delete(s.versions, key)
	return false
}

// Forget drops the record of a deleted object (an informer's delete notification, tombstones
// included); register it with OnDelete.
func (s *Superseded) Forget(obj any) {
	key, ok := ObjectName(obj)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.versions, key)
}
