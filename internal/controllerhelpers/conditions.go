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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/record"
)

// Outcome is what one sync concluded about an object, for its Ready condition and its event.
type Outcome struct {
	// Ready sets the condition True; otherwise it is False.
	Ready   bool
	Reason  string
	Message string
	// Waiting marks a not-ready outcome that resolves on its own (another object is still being
	// issued): it sets the condition but emits no Warning event.
	Waiting bool
	// QuietFirstReady skips the Normal event when an object becomes ready for the first time
	// (no Ready condition before). Users set it: one event per new user is one more API write
	// per user on the way to convergence, and the Ready condition already says it. Recovering
	// from a failure still emits the Normal event.
	QuietFirstReady bool
}

// SetCondition writes the condition conditionType (the API's Ready) for outcome into conditions
// and emits an event when the condition's status or reason changes: a Warning for failures, a
// Normal event for becoming ready. An unchanged outcome emits nothing, so a resync is silent.
// Messages never carry secrets. The type is a parameter so this package needs no API import.
func SetCondition(conditions *[]metav1.Condition, conditionType string, generation int64, outcome Outcome, recorder record.EventRecorder, obj runtime.Object) {
	status := metav1.ConditionFalse
	if outcome.Ready {
		status = metav1.ConditionTrue
	}
	prev := meta.FindStatusCondition(*conditions, conditionType)
	changed := prev == nil || prev.Status != status || prev.Reason != outcome.Reason
	meta.SetStatusCondition(conditions, metav1.Condition{
		Type:               conditionType,
		Status:             status,
		Reason:             outcome.Reason,
		Message:            outcome.Message,
		ObservedGeneration: generation,
	})
	if !changed || recorder == nil || outcome.Waiting || (outcome.Ready && prev == nil && outcome.QuietFirstReady) {
		return
	}
	if outcome.Ready {
		recorder.Event(obj, "Normal", outcome.Reason, outcome.Message)
	} else {
		recorder.Event(obj, "Warning", outcome.Reason, outcome.Message)
	}
}
