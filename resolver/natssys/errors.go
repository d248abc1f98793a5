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

package natssys

import (
	"errors"
	"fmt"
)

// Sentinel errors. Callers classify with errors.Is; the typed errors below
// match them.
var (
	// ErrIncomplete means fewer servers replied than the caller expected
	// before ctx ended. The partial result is still returned: the replies
	// that did arrive are real outcomes.
	ErrIncomplete = errors.New("fewer replies than expected")
	// ErrNoReplies means no server answered at all within the time allowed.
	ErrNoReplies = errors.New("no server replied")
	// ErrMalformedReply means a reply body is not what nats-server sends for
	// that subject. It is a per-server failure, never a reason to stop
	// reading the other replies.
	ErrMalformedReply = errors.New("malformed reply")
)

// MalformedReplyError says why a reply body could not be parsed. It matches
// ErrMalformedReply. It never quotes the body: a LIST or UPDATE reply is
// harmless, but the same parsers may one day see bodies that are not.
type MalformedReplyError struct {
	// Kind is the reply kind: "update", "list" or "server ping".
	Kind string
	// Reason says what is wrong, such as "no server identity".
	Reason string
	// Err is the underlying decoding error, if any.
	Err error
}

// Error implements error.
func (e *MalformedReplyError) Error() string {
	msg := fmt.Sprintf("malformed %s reply: %s", e.Kind, e.Reason)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the decoding error so json errors stay inspectable.
func (e *MalformedReplyError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrMalformedReply) true.
func (e *MalformedReplyError) Is(target error) bool { return target == ErrMalformedReply }

// ReplyError is a well-formed reply in which a server refused the request:
// the "error" object of the reply, or a "data" object whose code is not 200.
// Code is the server's HTTP-like status (500 for every refusal nats-server
// 2.x sends), so callers can tell a refusal from a transport problem.
type ReplyError struct {
	// Server is the name of the refusing server.
	Server string
	// Account is the account the server names; "n/a" when it could not
	// decode the JWT and empty for delete requests.
	Account string
	// Code is the status code from the reply.
	Code int
	// Description is the server's explanation, such as
	// "jwt update resulted in error - expected 3 chunks".
	Description string
}

// Error implements error.
func (e *ReplyError) Error() string {
	return fmt.Sprintf("nats-server %s refused (%d): %s", e.Server, e.Code, e.Description)
}

// IncompleteError reports a multi-reply request that ended, by its ctx,
// before every expected server replied. It matches ErrIncomplete and wraps
// the ctx error, so errors.Is(err, context.DeadlineExceeded) also holds.
type IncompleteError struct {
	// Subject is the request subject.
	Subject string
	// Expected is the number of replies the caller asked for.
	Expected int
	// Got is the number that arrived.
	Got int
	// Cause is why collection stopped, normally ctx.Err().
	Cause error
}

// Error implements error.
func (e *IncompleteError) Error() string {
	return fmt.Sprintf("%s: %d of %d servers replied: %v", e.Subject, e.Got, e.Expected, e.Cause)
}

// Unwrap returns the cause (the ctx error).
func (e *IncompleteError) Unwrap() error { return e.Cause }

// Is makes errors.Is(err, ErrIncomplete) true.
func (e *IncompleteError) Is(target error) bool { return target == ErrIncomplete }
