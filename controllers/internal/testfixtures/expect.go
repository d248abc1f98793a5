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

package testfixtures

import (
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
)

// ExpectWrites fails the test unless the writes since the last ClearActions are exactly want,
// in order (see Writes).
func (f *Fixture) ExpectWrites(want ...string) {
	f.t.Helper()
	if got := f.Writes(); !slices.Equal(got, want) {
		f.t.Errorf("writes:\n  got  %s\n  want %s", list(got), list(want))
	}
}

// ExpectEvents fails the test unless the events emitted since the last drain are exactly want,
// each "Type Reason".
func (f *Fixture) ExpectEvents(want ...string) {
	f.t.Helper()
	if got := f.Events(); !slices.Equal(got, want) {
		f.t.Errorf("events:\n  got  %s\n  want %s", list(got), list(want))
	}
}

// ExpectReads fails the test unless the uncached reads since the last ClearActions are exactly
// want, in order (see Reads).
func (f *Fixture) ExpectReads(want ...string) {
	f.t.Helper()
	if got := f.Reads(); !slices.Equal(got, want) {
		f.t.Errorf("uncached reads:\n  got  %s\n  want %s", list(got), list(want))
	}
}

// ExpectNoRead fails the test when an uncached read of resource (e.g. "secrets") was made.
func (f *Fixture) ExpectNoRead(resource string) {
	f.t.Helper()
	for _, r := range f.Reads() {
		if strings.HasPrefix(r, "get "+resource+" ") || strings.HasPrefix(r, "list "+resource) {
			f.t.Errorf("unexpected uncached read %q", r)
		}
	}
}

// ExpectReady fails the test unless conditions hold a Ready condition of status and reason for
// generation 1, and returns it.
func (f *Fixture) ExpectReady(conditions []metav1.Condition, status metav1.ConditionStatus, reason string) metav1.Condition {
	f.t.Helper()
	c := meta.FindStatusCondition(conditions, natsv1alpha1.ConditionReady)
	if c == nil {
		f.t.Fatalf("no Ready condition in %+v", conditions)
	}
	if c.Status != status || c.Reason != reason || c.ObservedGeneration != 1 {
		f.t.Errorf("Ready = %s/%s (generation %d: %s), want %s/%s", c.Status, c.Reason, c.ObservedGeneration, c.Message, status, reason)
	}
	return *c
}

// Key is the queue key of obj.
func Key(obj metav1.Object) cache.ObjectName { return cache.MetaObjectToName(obj) }

func list(s []string) string {
	if len(s) == 0 {
		return "(none)"
	}
	return "[" + strings.Join(s, ", ") + "]"
}
