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
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// TestMemo pins the one form of controller state: an entry serves only the version it was made
// for, Update sees only this version's value, and a delete notification (OnDelete, tombstones
// included) drops it. A nil Memo keeps nothing.
func TestMemo(t *testing.T) {
	var m Memo[[]string]
	v1 := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "s", UID: "u1", ResourceVersion: "1"}}
	v2 := v1.DeepCopy()
	v2.ResourceVersion = "2"
	m.Put(v1, []string{"a"})
	m.Update(v1, func(v []string, ok bool) []string {
		if !ok || len(v) != 1 {
			t.Errorf("Update of the same version got %v, %v", v, ok)
		}
		return append(v, "b")
	})
	if v, ok := m.Get(v1); !ok || len(v) != 2 {
		t.Errorf("v1: %v, %v", v, ok)
	}
	if _, ok := m.Get(v2); ok {
		t.Error("v1's entry served v2")
	}
	m.Update(v2, func(v []string, ok bool) []string {
		if ok || v != nil {
			t.Errorf("Update of a new version got the old value %v", v)
		}
		return []string{"c"}
	})
	if _, ok := m.Get(v1); ok || m.Len() != 1 {
		t.Errorf("the new version did not replace the old one (%d entries)", m.Len())
	}
	var forgotten []any
	h := OnDelete(cache.ResourceEventHandlerFuncs{DeleteFunc: func(obj any) { forgotten = append(forgotten, obj) }}, m.Forget)
	tomb := cache.DeletedFinalStateUnknown{Key: "ns/s", Obj: v2}
	h.OnDelete(tomb)
	if m.Len() != 0 {
		t.Error("the delete notification left the entry")
	}
	if len(forgotten) != 1 || forgotten[0] != any(tomb) {
		t.Errorf("the wrapped handler got %v, want the tombstone", forgotten)
	}
	var none *Memo[int]
	none.Put(v1, 1)
	if _, ok := none.Get(v1); ok || none.Len() != 0 {
		t.Error("a nil Memo knows something")
	}
	none.Forget(v1)
}

// TestSuperseded pins the cache-lag rule: recorded versions are stale until the cache shows any
// other version, which clears the record.
func TestSuperseded(t *testing.T) {
	var s Superseded
	key := cache.ObjectName{Namespace: "ns", Name: "u"}
	if s.Stale(key, "1") {
		t.Fatal("nothing recorded yet")
	}
	s.Record(key, "1", "2")
	if !s.Stale(key, "1") || !s.Stale(key, "2") {
		t.Fatal("versions this controller replaced must be stale")
	}
	if s.Stale(key, "3") {
		t.Fatal("the version it wrote is current")
	}
	if s.Stale(key, "1") {
		t.Fatal("once the cache caught up the record is gone")
	}
	s.Record(key, "4")
	s.Forget(cache.DeletedFinalStateUnknown{Obj: &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "u"}}})
	if s.Stale(key, "4") {
		t.Fatal("Forget drops the record")
	}
}
