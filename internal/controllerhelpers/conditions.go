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
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/record"
)

// NotReady is a sync failure the user sees as Ready=False with an actionable reason and
// message. A sync returns it (possibly wrapped) and Finish turns it into the condition, the
// event and the queue's result. Its message never holds key material.
type NotReady struct {
	Reason  string
	Message string
	// Waiting marks an outcome that resolves on its own (another object is still being
	// issued): the condition is set without a Warning event and the key is retried with
	// backoff. Otherwise only a change of this or another watched object can help: a Warning
	// event on the transition and a terminal error, so the key waits for that change's event.
	Waiting bool
	// RecheckAfter, when set, has the key looked at again after this long instead, because no
	// event will announce the change that fixes it (a Secret the informer does not see).
	RecheckAfter time.Duration
}

func (e *NotReady) Error() string { return e.Reason + ": " + e.Message }

// Failed returns a NotReady that only a change of the object or of what it references fixes.
func Failed(reason, format string, args ...any) error {
	return &NotReady{Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// WaitingFor returns a waiting NotReady: an input is not there yet, and the object that brings
// it re-queues the key.
func WaitingFor(reason, format string, args ...any) error {
	return &NotReady{Reason: reason, Message: fmt.Sprintf(format, args...), Waiting: true}
}

// AsNotReady returns the NotReady inside err, if any.
func AsNotReady(err error) (*NotReady, bool) {
	var nr *NotReady
	ok := errors.As(err, &nr)
	return nr, ok
}

// queueError is what the worker does next with a key that ended in e.
func (e *NotReady) queueError() error {
	switch {
	case e.RecheckAfter > 0:
		return RequeueAfter(e.RecheckAfter, "%s", e.Message)
	case e.Waiting:
		return Requeue("%s", e.Message)
	}
	return Terminal(e)
}

// Ready is the Ready=True outcome of a sync that converged.
type Ready struct {
	Reason  string
	Message string
	// QuietFirstReady skips the Normal event when an object becomes ready for the first time
	// (no Ready condition before). Users set it: one event per new user is one more API write
	// per user on the way to convergence, and the Ready condition already says it. Recovering
	// from a failure still emits the Normal event.
	QuietFirstReady bool
	// RecheckAfter, when set, has the key synced again after this long although no event
	// will come (credentials due for renewal, revocations that can be compacted); RecheckWhy
	// says why in the log.
	RecheckAfter time.Duration
	RecheckWhy   string
}

// Status is the part of an object's status that Finish maintains, and how to store it.
type Status struct {
	// ConditionType is the API's Ready condition type (a parameter, so this package needs no
	// API import).
	ConditionType string
	// Object is what the events are about.
	Object     runtime.Object
	Generation int64
	// Conditions and ObservedGeneration point into the status that Write stores.
	Conditions         *[]metav1.Condition
	ObservedGeneration *int64
	// Write stores the status when it differs from the cached object's.
	Write func(ctx context.Context) error
	// Recorder receives the events of the transition once Write succeeded.
	Recorder record.EventRecorder
	// AfterWrite, optional, runs once the status and its events are stored: work that must
	// follow the stored status. nr is the sync's NotReady, nil when it converged.
	AfterWrite func(ctx context.Context, nr *NotReady) error
}

// Finish is the last step of every sync of an object with a Ready condition. It maps the
// sync's error to what is recorded and what the queue does next:
//   - nil: Ready=True with ready's reason and message, a Normal event when the condition's
//     status or reason changed (unless QuietFirstReady on a first readiness); the key is
//     forgotten, or synced again after ready.RecheckAfter;
//   - a NotReady: Ready=False with its reason and message, a Warning event on the transition
//     unless it is Waiting; the key is retried with backoff (Waiting), after RecheckAfter, or
//     not until a watched object changes (terminal);
//   - any other error (an API call or a cache that failed): nothing is recorded, not even
//     observedGeneration, because it says nothing new about the object; the error is retried
//     with backoff.
//
// observedGeneration is set with every recorded outcome. Events are emitted only once Write
// succeeded, so a sync on a stale cache, whose write fails with Conflict, and its retry never
// report one transition twice; a failed Write is returned alone (a terminal error joined to it
// would stop the retry). Messages are bounded by MaxMessageLength.
func Finish(ctx context.Context, s Status, syncErr error, ready Ready) error {
	var o outcome
	var queueErr error
	nr, isNotReady := AsNotReady(syncErr)
	switch {
	case syncErr == nil:
		o = outcome{ready: true, reason: ready.Reason, message: ready.Message, quietFirstReady: ready.QuietFirstReady}
		if ready.RecheckAfter > 0 {
			queueErr = RequeueAfter(ready.RecheckAfter, "%s", ready.RecheckWhy)
		}
	case isNotReady:
		o = outcome{reason: nr.Reason, message: nr.Message, waiting: nr.Waiting}
		queueErr = nr.queueError()
	default:
		return syncErr
	}
	o.message = Truncate(o.message)
	*s.ObservedGeneration = s.Generation
	events := &EventBuffer{}
	setCondition(s.Conditions, s.ConditionType, s.Generation, o, events, s.Object)
	if err := s.Write(ctx); err != nil {
		return err
	}
	events.Flush(s.Recorder)
	if s.AfterWrite != nil {
		if err := s.AfterWrite(ctx, nr); err != nil {
			return err
		}
	}
	return queueErr
}

// outcome is what one sync concluded, for the condition and its event.
type outcome struct {
	ready           bool
	reason, message string
	waiting         bool
	quietFirstReady bool
}

// setCondition writes the condition conditionType for o into conditions and emits an event
// when the condition's status or reason changes: a Warning for failures (not while waiting), a
// Normal event for becoming ready. An unchanged outcome emits nothing, so a resync is silent.
func setCondition(conditions *[]metav1.Condition, conditionType string, generation int64, o outcome, recorder record.EventRecorder, obj runtime.Object) {
	status := metav1.ConditionFalse
	if o.ready {
		status = metav1.ConditionTrue
	}
	prev := meta.FindStatusCondition(*conditions, conditionType)
	changed := prev == nil || prev.Status != status || prev.Reason != o.reason
	meta.SetStatusCondition(conditions, metav1.Condition{
		Type:               conditionType,
		Status:             status,
		Reason:             o.reason,
		Message:            o.message,
		ObservedGeneration: generation,
	})
	if !changed || recorder == nil || o.waiting || (o.ready && prev == nil && o.quietFirstReady) {
		return
	}
	if o.ready {
		recorder.Event(obj, "Normal", o.reason, o.message)
	} else {
		recorder.Event(obj, "Warning", o.reason, o.message)
	}
}

// MaxMessageLength bounds condition and event messages: a spec with hundreds of problems must
// not produce a status that the apiserver refuses.
const MaxMessageLength = 4096

// Truncate cuts s to MaxMessageLength bytes on a rune boundary, marking the cut with "...".
func Truncate(s string) string {
	if len(s) <= MaxMessageLength {
		return s
	}
	cut := MaxMessageLength - len("...")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
