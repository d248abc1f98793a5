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
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
)

func TestPushedCondition(t *testing.T) {
	earlier := metav1.NewTime(time.Unix(1_700_000_000, 0))
	now := earlier.Add(time.Hour)
	pushed := metav1.Condition{Type: natsv1alpha1.ConditionPushed, Status: metav1.ConditionTrue, Reason: ReasonPushed,
		Message: "acknowledged by 3 of 3 servers", ObservedGeneration: 2, LastTransitionTime: earlier}
	ready := metav1.Condition{Type: natsv1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: "Issued", LastTransitionTime: earlier}
	acc := &natsv1alpha1.NatsAccount{ObjectMeta: metav1.ObjectMeta{Generation: 2},
		Status: natsv1alpha1.NatsAccountStatus{PushedClaimsHash: "h1", PushedIssuer: "OA", Conditions: []metav1.Condition{ready, pushed}}}
	same := pushedStatus{metav1.ConditionTrue, ReasonPushed, "acknowledged by 3 of 3 servers", "h1", "OA"}

	tests := []struct {
		name        string
		generation  int64
		want        pushedStatus
		wantChanged bool
		wantLTT     metav1.Time
	}{
		{name: "same outcome writes nothing", generation: 2, want: same, wantLTT: earlier},
		{name: "a new hash is written, transition time kept", generation: 2,
			want: pushedStatus{metav1.ConditionTrue, ReasonPushed, same.message, "h2", "OA"}, wantChanged: true, wantLTT: earlier},
		{name: "a re-signed JWT (same hash, new issuer) is written", generation: 2,
			want: pushedStatus{metav1.ConditionTrue, ReasonPushed, same.message, "h1", "OB"}, wantChanged: true, wantLTT: earlier},
		{name: "a new generation is written", generation: 3, want: same, wantChanged: true, wantLTT: earlier},
		{name: "a flip moves the transition time", generation: 2,
			want:        pushedStatus{metav1.ConditionFalse, ReasonPartiallyPushed, "2 of 3 servers; missing: c", "h1", "OA"},
			wantChanged: true, wantLTT: metav1.NewTime(now)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := acc.DeepCopy()
			a.Generation = tc.generation
			cond, changed := conditionFor(pushedCond, a, tc.want, now)
			if changed != tc.wantChanged {
				t.Errorf("changed %t, want %t", changed, tc.wantChanged)
			}
			if cond.Type != natsv1alpha1.ConditionPushed || cond.Status != tc.want.status || cond.Reason != tc.want.reason ||
				cond.Message != tc.want.message || cond.ObservedGeneration != tc.generation || !cond.LastTransitionTime.Equal(&tc.wantLTT) {
				t.Errorf("condition %+v", cond)
			}
		})
	}
	t.Run("a first outcome is a change", func(t *testing.T) {
		if _, changed := conditionFor(pushedCond, &natsv1alpha1.NatsAccount{}, same, now); !changed {
			t.Error("no Pushed condition yet, but nothing to write")
		}
	})
	t.Run("the Deleted condition ignores pushedClaimsHash", func(t *testing.T) {
		deleted := metav1.Condition{Type: natsv1alpha1.ConditionDeleted, Status: metav1.ConditionTrue, Reason: ReasonDeletedFromServers,
			Message: "deleted from 3 of 3 servers", ObservedGeneration: 2, LastTransitionTime: earlier}
		a := acc.DeepCopy()
		a.Status.Conditions = append(a.Status.Conditions, deleted)
		want := pushedStatus{status: deleted.Status, reason: deleted.Reason, message: deleted.Message}
		if cond, changed := conditionFor(deletedCond, a, want, now); changed || cond.Type != natsv1alpha1.ConditionDeleted {
			t.Errorf("condition %+v, changed %t: want the unchanged Deleted condition", cond, changed)
		}
	})
}
