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
	"errors"
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/natsauth/nats-auth-operator/resolver/natssys"
)

// maxMessageLen bounds the Pushed message: a cluster of many servers refusing a JWT would
// otherwise repeat the same description once per server, and a condition message is for people.
const maxMessageLen = 1024

// unknownServer stands for a reply that did not say which server sent it.
const unknownServer = "<unknown>"

// pushReport is the outcome of one push measured against the servers expected to answer it.
type pushReport struct {
	// expected is the number of servers that should have answered.
	expected int
	// acked counts expected servers that answered 200 (stored, or skipped by a cache).
	acked int
	// failures are "<server>: <error>" for every refusal or malformed reply.
	failures []string
	// missing are the expected servers that stayed silent, sorted.
	missing []string
	// err is a failure of the request itself (no responders, a closed connection); running out
	// of time is not one, since missing already names the silent servers.
	err error
}

// summarize compares the replies of a push with the servers expected to answer, by name: the
// server ID changes on every restart, the name is what an operator recognises.
func summarize(expected []string, res natssys.Result, err error) pushReport {
	rep := pushReport{expected: len(expected)}
	want := make(map[string]bool, len(expected))
	for _, name := range expected {
		want[name] = true
	}
	replied := map[string]bool{}
	for _, sr := range res.Replies {
		name := sr.Server.Name
		if name == "" {
			name = unknownServer
		}
		replied[name] = true
		switch {
		case sr.OK && want[name]:
			rep.acked++
		case !sr.OK:
			rep.failures = append(rep.failures, fmt.Sprintf("%s: %v", name, sr.Err))
		}
	}
	for _, name := range expected {
		if !replied[name] {
			rep.missing = append(rep.missing, name)
		}
	}
	slices.Sort(rep.missing)
	if err != nil && !errors.Is(err, natssys.ErrIncomplete) {
		rep.err = err
	}
	return rep
}

// complete reports whether every expected server acknowledged and nothing failed.
func (r pushReport) complete() bool {
	return r.expected > 0 && r.acked == r.expected && len(r.failures) == 0 && len(r.missing) == 0 && r.err == nil
}

// result is the metrics label of the push.
func (r pushReport) result() string {
	switch {
	case r.complete():
		return PushSuccess
	case r.acked > 0:
		return PushPartial
	}
	return PushFailed
}

// condition returns the status, reason and message of the Pushed condition, such as
// "acknowledged by 3 of 3 servers" or "2 of 3 servers; nats-1: <error>; missing: nats-2".
func (r pushReport) condition() (metav1.ConditionStatus, string, string) {
	if r.complete() {
		return metav1.ConditionTrue, ReasonPushed, fmt.Sprintf("acknowledged by %d of %d servers", r.acked, r.expected)
	}
	parts := []string{fmt.Sprintf("%d of %d servers", r.acked, r.expected)}
	parts = append(parts, r.failures...)
	if r.err != nil {
		parts = append(parts, r.err.Error())
	}
	if len(r.missing) > 0 {
		parts = append(parts, "missing: "+strings.Join(r.missing, ", "))
	}
	reason := ReasonPushFailed
	if r.acked > 0 {
		reason = ReasonPartiallyPushed
	}
	return metav1.ConditionFalse, reason, conditionMessage(strings.Join(parts, "; "))
}

// conditionMessage makes text fit a condition message: one line (errors.Join separates with
// newlines) of at most maxMessageLen bytes.
func conditionMessage(text string) string {
	return truncate(strings.ReplaceAll(text, "\n", "; "), maxMessageLen)
}

// truncate shortens s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "..."
	cut := n - len(ellipsis)
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}

// isRuneStart reports whether b begins a UTF-8 sequence (is not a continuation byte).
func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
