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
	"k8s.io/client-go/tools/record"
)

// TestSetConditionEvents pins which transitions emit an event: failures warn once, first readiness
// is announced unless QuietFirstReady, recovery always is, and an unchanged outcome is silent.
func TestSetConditionEvents(t *testing.T) {
	issued := outcome{ready: true, reason: "Issued", message: "ok"}
	quiet := issued
	quiet.quietFirstReady = true
	failed := outcome{reason: "InvalidSpec", message: "bad"}
	waiting := outcome{reason: "AccountNotReady", message: "wait", waiting: true}
	for _, tc := range []struct {
		name  string
		steps []outcome
		want  []string
	}{
		{"first ready", []outcome{issued}, []string{"Normal Issued ok"}},
		{"first ready, quiet", []outcome{quiet}, nil},
		{"resync is silent", []outcome{issued, issued}, []string{"Normal Issued ok"}},
		{"failure then recovery", []outcome{failed, failed, quiet}, []string{"Warning InvalidSpec bad", "Normal Issued ok"}},
		{"waiting is silent, then quiet ready after it is announced", []outcome{waiting, quiet}, []string{"Normal Issued ok"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := record.NewFakeRecorder(10)
			var conds []metav1.Condition
			for _, o := range tc.steps {
				setCondition(&conds, "Ready", 1, o, rec, &corev1.Secret{})
			}
			close(rec.Events)
			var got []string
			for e := range rec.Events {
				got = append(got, e)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("events %q, want %q", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("event %d = %q, want %q", i, got[i], tc.want[i])
				}
			}
		})
	}
}
