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

package user

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/natsauth/nats-auth-operator/controllers/internal/testfixtures"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
)

// An entry serves only the Secret version it was made from, items of one version live side by
// side, and a new version drops what the old one left.
func TestSecretMemoVersions(t *testing.T) {
	var m secretMemo
	v1 := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{UID: "u1", ResourceVersion: "1"}}
	v2 := v1.DeepCopy()
	v2.ResourceVersion = "2"
	memoPut(&m, v1, "signing.nk", memoEntry{pub: "AA"})
	memoPut(&m, v1, "signing.2.nk", memoEntry{pub: "AB"})
	if e, ok := memoGet(&m, v1, "signing.nk"); !ok || e.pub != "AA" {
		t.Errorf("first item of v1: %+v %v", e, ok)
	}
	if e, ok := memoGet(&m, v1, "signing.2.nk"); !ok || e.pub != "AB" {
		t.Errorf("second item of v1: %+v %v", e, ok)
	}
	if _, ok := memoGet(&m, v2, "signing.nk"); ok {
		t.Error("v1's entry served v2")
	}
	memoPut(&m, v2, "signing.nk", memoEntry{pub: "AC"})
	if _, ok := memoGet(&m, v2, "signing.2.nk"); ok {
		t.Error("v1's second item survived the new version")
	}
	if e, _ := memoGet(&m, v2, "signing.nk"); e.pub != "AC" {
		t.Errorf("item of v2: %+v", e)
	}
	m.Forget(v2)
	if _, ok := memoGet(&m, v2, "signing.nk"); ok {
		t.Error("forgotten Secret still known")
	}
	var none *secretMemo
	memoPut(none, v1, "signing.nk", memoEntry{})
	if _, ok := memoGet(none, v1, "signing.nk"); ok {
		t.Error("a nil memo knows something")
	}
}

// TestDeleteNotificationsDropState: the controller's in-memory state of an object (decoded
// Secrets and account JWTs, superseded versions, create conflicts) goes with the object's delete
// notification, tombstones included, so nothing outlives the informers' caches.
func TestDeleteNotificationsDropState(t *testing.T) {
	f := newUserFixture(t, nil)
	for range 2 { // the first sync issues, the resync reads the written Secret back
		if err := f.sync(t); err != nil {
			t.Fatalf("sync: %v", err)
		}
		f.Settle()
	}
	c := f.c
	user := f.User(ns, "api")
	key := testfixtures.Key(user)
	c.superseded.Record(key, "old")
	c.createConflicts.Put(user, struct{}{})
	if c.memo.Len() != 1 || c.accountClaimsMemo.Len() != 1 || c.createConflicts.Len() != 1 || !c.superseded.Stale(key, "old") {
		t.Fatalf("state before the deletes: %d Secrets, %d accounts, %d conflicts", c.memo.Len(), c.accountClaimsMemo.Len(), c.createConflicts.Len())
	}

	// In the order of eventHandlers: users, accounts, Secrets.
	deleted := [][]any{
		{cache.DeletedFinalStateUnknown{Key: "apps/api", Obj: user}},
		{f.Account("nats", "orders")},
		{f.Secret(ns, "api"), cache.DeletedFinalStateUnknown{Obj: f.Secret("nats", naming.AccountKeysSecret("orders"))}},
	}
	for i, r := range c.eventHandlers(f.Deps(), workqueue.NewTyped[cache.ObjectName]()) {
		for _, obj := range deleted[i] {
			r.handler.OnDelete(obj)
		}
	}
	if c.memo.Len() != 0 || c.accountClaimsMemo.Len() != 0 || c.createConflicts.Len() != 0 || c.superseded.Stale(key, "old") {
		t.Errorf("state after the deletes: %d Secrets, %d accounts, %d conflicts", c.memo.Len(), c.accountClaimsMemo.Len(), c.createConflicts.Len())
	}
}
