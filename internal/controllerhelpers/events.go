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
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/record"
)

// EventBuffer is an EventRecorder that holds events until Flush. A sync emits the events of a
// condition transition only after the status write that records it succeeded, so a sync on a
// stale cache, which recomputes the same transition and then fails its write with Conflict,
// emits nothing and the retry does not repeat the event.
type EventBuffer struct {
	events []bufferedEvent
}

type bufferedEvent struct {
	object                 runtime.Object
	annotations            map[string]string
	eventtype, reason, msg string
}

var _ record.EventRecorder = &EventBuffer{}

// Event implements record.EventRecorder.
func (b *EventBuffer) Event(object runtime.Object, eventtype, reason, message string) {
	b.events = append(b.events, bufferedEvent{object: object, eventtype: eventtype, reason: reason, msg: message})
}

// Eventf implements record.EventRecorder.
func (b *EventBuffer) Eventf(object runtime.Object, eventtype, reason, messageFmt string, args ...any) {
	b.Event(object, eventtype, reason, fmt.Sprintf(messageFmt, args...))
}

// AnnotatedEventf implements record.EventRecorder.
func (b *EventBuffer) AnnotatedEventf(object runtime.Object, annotations map[string]string, eventtype, reason, messageFmt string, args ...any) {
	b.events = append(b.events, bufferedEvent{object: object, annotations: annotations, eventtype: eventtype,
		reason: reason, msg: fmt.Sprintf(messageFmt, args...)})
}

// Flush emits the held events to to and forgets them.
func (b *EventBuffer) Flush(to record.EventRecorder) {
	if to == nil {
		return
	}
	for _, e := range b.events {
		if e.annotations != nil {
			to.AnnotatedEventf(e.object, e.annotations, e.eventtype, e.reason, "%s", e.msg)
			continue
		}
		to.Event(e.object, e.eventtype, e.reason, e.msg)
	}
	b.events = nil
}
