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
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/natsauth/nats-auth-operator/resolver/natssys"
)

// reply builds one server's answer.
func reply(server string, outcome natssys.Outcome, err error) natssys.ServerResult {
	return natssys.ServerResult{Server: natssys.ServerInfo{Name: server, ID: "N" + server}, OK: outcome != natssys.OutcomeFailed,
		Outcome: outcome, Err: err}
}

func TestPushReportCondition(t *testing.T) {
	three := []string{"nats-0", "nats-1", "nats-2"}
	refused := &natssys.ReplyError{Server: "nats-1", Code: 500, Description: "jwt validation failed"}
	incomplete := &natssys.IncompleteError{Subject: natssys.SubjectClaimsUpdate, Expected: 3, Got: 2, Cause: context.DeadlineExceeded}
	tests := []struct {
		name       string
		expected   []string
		replies    []natssys.ServerResult
		err        error
		wantStatus metav1.ConditionStatus
		wantReason string
		wantMsg    string
		wantResult string
	}{{
		name:     "every server acknowledged",
		expected: three,
		replies: []natssys.ServerResult{reply("nats-2", natssys.OutcomeApplied, nil),
			reply("nats-0", natssys.OutcomeApplied, nil), reply("nats-1", natssys.OutcomeSkipped, nil)},
		wantStatus: metav1.ConditionTrue, wantReason: ReasonPushed, wantMsg: "acknowledged by 3 of 3 servers",
		wantResult: PushSuccess,
	}, {
		name:     "one server stopped",
		expected: three,
		replies:  []natssys.ServerResult{reply("nats-0", natssys.OutcomeApplied, nil), reply("nats-1", natssys.OutcomeApplied, nil)},
		err:      incomplete, wantStatus: metav1.ConditionFalse, wantReason: ReasonPartiallyPushed,
		wantMsg: "2 of 3 servers; missing: nats-2", wantResult: PushPartial,
	}, {
		name:     "one refusal and one silence",
		expected: three,
		replies:  []natssys.ServerResult{reply("nats-0", natssys.OutcomeApplied, nil), reply("nats-1", natssys.OutcomeFailed, refused)},
		err:      incomplete, wantStatus: metav1.ConditionFalse, wantReason: ReasonPartiallyPushed,
		wantMsg:    "1 of 3 servers; nats-1: nats-server nats-1 refused (500): jwt validation failed; missing: nats-2",
		wantResult: PushPartial,
	}, {
		name:       "nobody answered",
		expected:   three,
		err:        &natssys.IncompleteError{Expected: 3, Cause: context.DeadlineExceeded},
		wantStatus: metav1.ConditionFalse, wantReason: ReasonPushFailed,
		wantMsg: "0 of 3 servers; missing: nats-0, nats-1, nats-2", wantResult: PushFailed,
	}, {
		name:       "no responders",
		expected:   []string{"nats-0"},
		err:        fmt.Errorf("%s: %w", natssys.SubjectClaimsUpdate, nats.ErrNoResponders),
		wantStatus: metav1.ConditionFalse, wantReason: ReasonPushFailed,
		wantMsg:    "0 of 1 servers; $SYS.REQ.CLAIMS.UPDATE: nats: no responders available for request; missing: nats-0",
		wantResult: PushFailed,
	}, {
		name:       "a reply from an unexpected server does not stand in for a silent one",
		expected:   []string{"nats-0", "nats-1"},
		replies:    []natssys.ServerResult{reply("nats-0", natssys.OutcomeApplied, nil), reply("nats-9", natssys.OutcomeApplied, nil)},
		wantStatus: metav1.ConditionFalse, wantReason: ReasonPartiallyPushed,
		wantMsg: "1 of 2 servers; missing: nats-1", wantResult: PushPartial,
	}, {
		name:       "nobody to push to",
		wantStatus: metav1.ConditionFalse, wantReason: ReasonPushFailed, wantMsg: "0 of 0 servers", wantResult: PushFailed,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := summarize(tc.expected, natssys.Result{Replies: tc.replies}, tc.err)
			status, reason, msg := rep.condition()
			if status != tc.wantStatus || reason != tc.wantReason || msg != tc.wantMsg {
				t.Errorf("condition %s/%s %q, want %s/%s %q", status, reason, msg, tc.wantStatus, tc.wantReason, tc.wantMsg)
			}
			if got := rep.result(); got != tc.wantResult {
				t.Errorf("result %s, want %s", got, tc.wantResult)
			}
		})
	}
}

func TestPushReportMessageIsBounded(t *testing.T) {
	var res natssys.Result
	var expected []string
	for i := range 100 {
		name := fmt.Sprintf("nats-%03d", i)
		expected = append(expected, name)
		res.Replies = append(res.Replies, reply(name, natssys.OutcomeFailed,
			&natssys.ReplyError{Server: name, Code: 500, Description: "jwt validation failed - ünïcödé " + strings.Repeat("x", 40)}))
	}
	_, _, msg := summarize(expected, res, nil).condition()
	if len(msg) > maxMessageLen || !strings.HasPrefix(msg, "0 of 100 servers; nats-000: ") || !strings.HasSuffix(msg, "...") {
		t.Errorf("message of %d bytes: %.80q...", len(msg), msg)
	}
	if !utf8.ValidString(msg) {
		t.Errorf("message is not valid UTF-8")
	}
}

func TestConditionMessageIsOneLine(t *testing.T) {
	err := errors.Join(errNoServers, errors.New("$SYS.REQ.SERVER.PING: no server replied"))
	if got, want := conditionMessage(err.Error()), errNoServers.Error()+"; $SYS.REQ.SERVER.PING: no server replied"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
}

func TestTruncate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"abcdefghijkl", 10, "abcdefg..."},
		// "é" is two bytes; cutting inside it would leave invalid UTF-8.
		{"abcdeéfghij", 9, "abcde..."},
	} {
		if got := truncate(tc.in, tc.n); got != tc.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

func TestSummarizeIgnoresIncompleteButKeepsTransportErrors(t *testing.T) {
	inc := summarize([]string{"a"}, natssys.Result{}, &natssys.IncompleteError{Expected: 1, Cause: context.DeadlineExceeded})
	if inc.err != nil {
		t.Errorf("incomplete kept as error %v; the missing list already says it", inc.err)
	}
	closed := summarize([]string{"a"}, natssys.Result{}, nats.ErrConnectionClosed)
	if !errors.Is(closed.err, nats.ErrConnectionClosed) {
		t.Errorf("transport error lost: %v", closed.err)
	}
}
