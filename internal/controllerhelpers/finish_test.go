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
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/record"
)

// finishTarget is a status with a Ready condition whose writes are counted and can fail.
type finishTarget struct {
	conditions         []metav1.Condition
	observedGeneration int64
	writes             int
	writeErr           error
	after              []*NotReady
	rec                *record.FakeRecorder
}

func (f *finishTarget) finish(t *testing.T, syncErr error, ready Ready) error {
	t.Helper()
	return Finish(context.Background(), Status{
		ConditionType: "Ready", Object: &corev1.Secret{}, Generation: 3,
		Conditions: &f.conditions, ObservedGeneration: &f.observedGeneration,
		Write: func(context.Context) error {
			f.writes++
			return f.writeErr
		},
		Recorder: f.rec,
		AfterWrite: func(_ context.Context, nr *NotReady) error {
			f.after = append(f.after, nr)
			return nil
		},
	}, syncErr, ready)
}

func (f *finishTarget) events() []string {
	var out []string
	for {
		select {
		case e := <-f.rec.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

// TestFinish pins the error → condition protocol every controller's sync ends with: what each
// kind of error records, which events it emits, and what it asks of the queue.
func TestFinish(t *testing.T) {
	issued := Ready{Reason: "Issued", Message: "ok"}
	for _, tc := range []struct {
		name        string
		err         error
		ready       Ready
		wantStatus  metav1.ConditionStatus // "" for no condition
		wantReason  string
		wantEvents  []string
		wantQueue   func(error) bool
		wantAfterNR bool
	}{
		{name: "ready", err: nil, ready: issued, wantStatus: metav1.ConditionTrue, wantReason: "Issued",
			wantEvents: []string{"Normal Issued ok"}, wantQueue: func(err error) bool { return err == nil }},
		{name: "ready, quiet first", err: nil, ready: Ready{Reason: "Issued", Message: "ok", QuietFirstReady: true},
			wantStatus: metav1.ConditionTrue, wantReason: "Issued", wantQueue: func(err error) bool { return err == nil }},
		{name: "ready with a recheck", err: nil, ready: Ready{Reason: "Issued", RecheckAfter: time.Hour, RecheckWhy: "renewal"},
			wantStatus: metav1.ConditionTrue, wantReason: "Issued", wantEvents: []string{"Normal Issued "},
			wantQueue: func(err error) bool { r, ok := AsRequeue(err); return ok && r.After == time.Hour }},
		{name: "failed", err: fmt.Errorf("wrapped: %w", Failed("InvalidSpec", "bad %s", "zone")),
			wantStatus: metav1.ConditionFalse, wantReason: "InvalidSpec", wantEvents: []string{"Warning InvalidSpec bad zone"},
			wantQueue: IsTerminal, wantAfterNR: true},
		{name: "waiting", err: WaitingFor("AccountNotReady", "later"), wantStatus: metav1.ConditionFalse, wantReason: "AccountNotReady",
			wantQueue: func(err error) bool { r, ok := AsRequeue(err); return ok && r.After == 0 && !IsTerminal(err) }, wantAfterNR: true},
		{name: "failed with a recheck", err: &NotReady{Reason: "SecretConflict", Message: "foreign", RecheckAfter: time.Minute},
			wantStatus: metav1.ConditionFalse, wantReason: "SecretConflict", wantEvents: []string{"Warning SecretConflict foreign"},
			wantQueue: func(err error) bool { r, ok := AsRequeue(err); return ok && r.After == time.Minute }, wantAfterNR: true},
		{name: "transient", err: errors.New("apiserver down"),
			wantQueue: func(err error) bool { return err != nil && err.Error() == "apiserver down" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &finishTarget{rec: record.NewFakeRecorder(10)}
			err := f.finish(t, tc.err, tc.ready)
			if !tc.wantQueue(err) {
				t.Errorf("queue error %v", err)
			}
			got := f.events()
			if strings.Join(got, "|") != strings.Join(tc.wantEvents, "|") {
				t.Errorf("events %q, want %q", got, tc.wantEvents)
			}
			c := meta.FindStatusCondition(f.conditions, "Ready")
			if tc.wantStatus == "" {
				if c != nil || f.writes != 0 || f.observedGeneration != 0 || len(f.after) != 0 {
					t.Errorf("a transient error recorded something: %+v, %d writes, observedGeneration %d", c, f.writes, f.observedGeneration)
				}
				return
			}
			if c == nil || c.Status != tc.wantStatus || c.Reason != tc.wantReason || c.ObservedGeneration != 3 || f.observedGeneration != 3 {
				t.Errorf("condition %+v, observedGeneration %d", c, f.observedGeneration)
			}
			if f.writes != 1 || len(f.after) != 1 || (f.after[0] != nil) != tc.wantAfterNR {
				t.Errorf("%d writes, AfterWrite calls %v", f.writes, f.after)
			}
		})
	}
}

// TestFinishWriteFails: a failed status write emits nothing, skips AfterWrite and is returned
// alone, so a terminal outcome does not stop the retry.
func TestFinishWriteFails(t *testing.T) {
	f := &finishTarget{rec: record.NewFakeRecorder(10), writeErr: errors.New("conflict")}
	err := f.finish(t, Failed("InvalidSpec", "bad"), Ready{})
	if err == nil || IsTerminal(err) || err.Error() != "conflict" {
		t.Errorf("err %v, want the write's error alone", err)
	}
	if got := f.events(); len(got) != 0 || len(f.after) != 0 {
		t.Errorf("events %q, AfterWrite calls %v before the status was stored", got, f.after)
	}
}

// TestFinishTruncates: a long message is cut on a rune boundary in the condition and the event.
func TestFinishTruncates(t *testing.T) {
	f := &finishTarget{rec: record.NewFakeRecorder(10)}
	_ = f.finish(t, Failed("InvalidSpec", "%s", strings.Repeat("é", MaxMessageLength)), Ready{})
	c := meta.FindStatusCondition(f.conditions, "Ready")
	if c == nil || len(c.Message) > MaxMessageLength || !strings.HasSuffix(c.Message, "...") || !utf8Valid(c.Message) {
		t.Errorf("message of %d bytes", len(c.Message))
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }
