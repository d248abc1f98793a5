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
	"errors"
	"fmt"
	"time"
)

// terminalError marks a failure that only a spec change can fix. The worker forgets the key; the
// sync has already reported it as a condition and a Warning event.
type terminalError struct{ err error }

func (e *terminalError) Error() string { return e.err.Error() }
func (e *terminalError) Unwrap() error { return e.err }

// Terminal wraps err as a failure that retrying cannot fix.
func Terminal(err error) error { return &terminalError{err: err} }

// IsTerminal reports whether err was wrapped by Terminal.
func IsTerminal(err error) bool {
	var t *terminalError
	return errors.As(err, &t)
}

// RequeueError asks for the key to be processed again: after After when set, else with the
// queue's backoff. It is expected (waiting for a cache or another object), so it is logged at V(2)
// and not reported as a failure.
type RequeueError struct {
	Reason string
	After  time.Duration
}

func (e *RequeueError) Error() string {
	if e.After > 0 {
		return fmt.Sprintf("requeue after %s: %s", e.After, e.Reason)
	}
	return "requeue: " + e.Reason
}

// Requeue returns a RequeueError with backoff.
func Requeue(format string, args ...any) error {
	return &RequeueError{Reason: fmt.Sprintf(format, args...)}
}

// RequeueAfter returns a RequeueError that fires after d.
func RequeueAfter(d time.Duration, format string, args ...any) error {
	return &RequeueError{Reason: fmt.Sprintf(format, args...), After: d}
}

// AsRequeue returns the RequeueError inside err, if any.
func AsRequeue(err error) (*RequeueError, bool) {
	var r *RequeueError
	ok := errors.As(err, &r)
	return r, ok
}
