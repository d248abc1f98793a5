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
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// Subjects of the nats-server resolver protocol (NATS-FACTS §10.1).
const (
	// SubjectServerPing is answered by every server with a STATSZ message.
	SubjectServerPing = "$SYS.REQ.SERVER.PING"
	// SubjectClaimsUpdate is answered by every full and cache server.
	SubjectClaimsUpdate = "$SYS.REQ.CLAIMS.UPDATE"
	// SubjectClaimsList is answered by every full and cache server.
	SubjectClaimsList = "$SYS.REQ.CLAIMS.LIST"
	// SubjectClaimsDelete is answered by every full and cache server.
	SubjectClaimsDelete = "$SYS.REQ.CLAIMS.DELETE"
	// SubjectLookupWildcard matches the lookups servers publish on a miss;
	// the account is token 3 of $SYS.REQ.ACCOUNT.<account>.CLAIMS.LOOKUP.
	SubjectLookupWildcard = "$SYS.REQ.ACCOUNT.*.CLAIMS.LOOKUP"
)

// Defaults for the Client fields that shape open-ended collection.
const (
	// DefaultQuietGap is long enough for a reply to cross a route or two on
	// a healthy cluster (sub-millisecond to a few ms) many times over.
	DefaultQuietGap = 100 * time.Millisecond
	// DefaultMinWait covers the first reply's round trip plus a slow
	// server's STATSZ assembly, so a lone early reply does not end the wait.
	DefaultMinWait = 250 * time.Millisecond
)

// Client sends $SYS requests over one shared connection. Its methods are
// safe for concurrent use; set the fields before the first call.
type Client struct {
	nc *nats.Conn

	// QuietGap ends an open-ended collection (Servers, or Update/List/Delete
	// with expected <= 0) once no reply arrived for this long after the
	// last one. It trades speed for completeness: a gap shorter than the
	// slowest server's reply time drops that server, a longer one makes
	// every call that much slower. Zero means DefaultQuietGap.
	QuietGap time.Duration
	// MinWait is the least an open-ended collection waits from the
	// request, whatever the gap says, so that the first replies have time
	// to arrive at all. Zero means DefaultMinWait.
	MinWait time.Duration
}

// New returns a Client using nc, which must be connected as a user of the
// system account. The Client does not own nc: the caller closes it and
// chooses its reconnect policy (nats.MaxReconnects(-1) is recommended, so a
// server restart never leaves the resolver with a closed connection).
func New(nc *nats.Conn) *Client {
	return &Client{nc: nc}
}

// request describes one scatter-gather exchange.
type request struct {
	subject string
	body    []byte
	// expected > 0 stops after that many replies; otherwise the quiet gap
	// (after at least the minimum wait) ends collection.
	expected int
}

// gather publishes req with a fresh inbox and hands every reply to onReply
// until the request is done. It returns the number of replies and:
//   - nil when expected replies arrived, or an open-ended collection went
//     quiet or reached the ctx deadline with at least one reply;
//   - *IncompleteError when ctx ended before expected replies arrived;
//   - ErrNoReplies (joined with the ctx error, if any) when an open-ended
//     collection got nothing;
//   - nats.ErrNoResponders when nobody subscribes to the subject;
//   - the transport error when the subscription or connection failed.
func (c *Client) gather(ctx context.Context, req request, onReply func(*nats.Msg)) (int, error) {
	inbox := c.nc.NewInbox()
	sub, err := c.nc.SubscribeSync(inbox)
	if err != nil {
		return 0, fmt.Errorf("%s: subscribe reply inbox: %w", req.subject, err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	if err := c.nc.PublishRequest(req.subject, inbox, req.body); err != nil {
		return 0, fmt.Errorf("%s: publish: %w", req.subject, err)
	}
	start := time.Now()
	var last time.Time
	got := 0
	for req.expected <= 0 || got < req.expected {
		msg, waitErr := c.next(ctx, sub, req.expected, start, last)
		switch {
		case waitErr == nil:
		case errors.Is(waitErr, nats.ErrSlowConsumer):
			// Some replies were dropped; they will show up as missing.
			continue
		case ctx.Err() != nil:
			return got, stopped(ctx, req, got)
		case errors.Is(waitErr, context.DeadlineExceeded):
			// Our own quiet-gap deadline, not the caller's.
			return got, stopped(ctx, req, got)
		default:
			return got, fmt.Errorf("%s: %w", req.subject, waitErr)
		}
		if isNoResponders(msg) {
			return got, fmt.Errorf("%s: %w", req.subject, nats.ErrNoResponders)
		}
		last = time.Now()
		got++
		onReply(msg)
	}
	return got, nil
}

// next waits for the next reply. With a known count only ctx bounds the
// wait; otherwise the wait also ends MinWait after the request or QuietGap
// after the last reply, whichever is later.
func (c *Client) next(ctx context.Context, sub *nats.Subscription, expected int, start, last time.Time) (*nats.Msg, error) {
	if expected > 0 {
		return sub.NextMsgWithContext(ctx)
	}
	until := start.Add(orDefault(c.MinWait, DefaultMinWait))
	if !last.IsZero() {
		until = later(until, last.Add(orDefault(c.QuietGap, DefaultQuietGap)))
	}
	waitCtx, cancel := context.WithDeadline(ctx, until)
	defer cancel()
	return sub.NextMsgWithContext(waitCtx)
}

// stopped returns the error for a collection that ended by time.
func stopped(ctx context.Context, req request, got int) error {
	switch {
	case req.expected > 0:
		return &IncompleteError{Subject: req.subject, Expected: req.expected, Got: got, Cause: ctx.Err()}
	case got == 0:
		return fmt.Errorf("%s: %w", req.subject, errors.Join(ErrNoReplies, ctx.Err()))
	case errors.Is(ctx.Err(), context.Canceled):
		// Cancellation means the caller gave up, unlike a deadline, which
		// is the documented way to bound an open-ended collection.
		return fmt.Errorf("%s: %w", req.subject, ctx.Err())
	}
	return nil
}

// isNoResponders recognises the status message nats-server sends to the
// inbox when nothing subscribes to the request subject (for instance a
// cluster of MEMORY resolvers asked for CLAIMS.UPDATE).
func isNoResponders(msg *nats.Msg) bool {
	return len(msg.Data) == 0 && msg.Header.Get("Status") == "503"
}

// orDefault returns d unless it is zero or negative.
func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// later returns the later of two times.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
