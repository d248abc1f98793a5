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

package controllerutil

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/record"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
)

// Outcome is what one sync concluded about an object, for its Ready condition and its event.
type Outcome struct {
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

// SetReady writes the Ready condition for outcome into conditions and emits an event when the
// condition's status or reason changes: a Warning for failures, a Normal event for becoming
// ready. An unchanged outcome emits nothing, so a resync is silent. Messages never carry secrets.
func SetReady(conditions *[]metav1.Condition, generation int64, outcome Outcome, recorder record.EventRecorder, obj runtime.Object) {
	status := metav1.ConditionFalse
	if outcome.Ready {
		status = metav1.ConditionTrue
	}
	prev := meta.FindStatusCondition(*conditions, natsv1alpha1.ConditionReady)
	changed := prev == nil || prev.Status != status || prev.Reason != outcome.Reason
	meta.SetStatusCondition(conditions, metav1.Condition{
		Type:               natsv1alpha1.ConditionReady,
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
