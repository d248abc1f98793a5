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
	"testing"

	"k8s.io/client-go/tools/cache"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
)

func TestPushStateForceSurvivesARunningSync(t *testing.T) {
	s := newPushState()
	key := cache.ObjectName{Namespace: "ns", Name: "app"}
	// A sync takes the (absent) mark, a drift check forces meanwhile, the sync records its push.
	if s.takeForce(key) {
		t.Fatal("forced before anything forced it")
	}
	s.force(key)
	s.record(key, pushRecord{digest: "D1", account: "A1", message: "m"})
	if !s.takeForce(key) {
		t.Error("the force set during a running sync was lost")
	}
	if s.takeForce(key) {
		t.Error("a force is taken once")
	}
	if acked := s.acknowledged(); acked["A1"] != key {
		t.Errorf("acknowledged %v", acked)
	}
	s.forget(key)
	if _, ok := s.lookup(key); ok {
		t.Error("forget kept the record")
	}
}

func TestPushStateApplyPendingUntilTheCacheCatchesUp(t *testing.T) {
	s := newPushState()
	key := cache.ObjectName{Namespace: "ns", Name: "app"}
	ok := pushedStatus{status: "True", reason: ReasonPushed, message: "acknowledged by 3 of 3 servers", hash: "h"}
	s.recordApply(natsv1alpha1.ConditionPushed, key, "10", ok)
	if !s.applyPending(natsv1alpha1.ConditionPushed, key, "10", ok) {
		t.Error("the same outcome on the same stale version would be written again")
	}
	if s.applyPending(natsv1alpha1.ConditionPushed, key, "11", ok) {
		t.Error("a newer version must be compared, not skipped")
	}
	other := ok
	other.message = "acknowledged by 2 of 2 servers"
	if s.applyPending(natsv1alpha1.ConditionPushed, key, "10", other) {
		t.Error("a different outcome must be written")
	}
	s.remove(key)
	if s.applyPending(natsv1alpha1.ConditionPushed, key, "10", ok) {
		t.Error("remove kept the applied status")
	}
}

func TestPushStatePendingCountsEachAccountOnce(t *testing.T) {
	s := newPushState()
	a, b := cache.ObjectName{Namespace: "ns", Name: "a"}, cache.ObjectName{Namespace: "ns", Name: "b"}
	for _, step := range []struct {
		key     cache.ObjectName
		pending bool
		want    int
	}{{a, true, 1}, {a, true, 1}, {b, true, 2}, {a, false, 1}, {a, false, 1}, {b, false, 0}} {
		if got := s.setPending(step.key, step.pending); got != step.want {
			t.Fatalf("setPending(%s, %t) = %d, want %d", step.key.Name, step.pending, got, step.want)
		}
	}
}
