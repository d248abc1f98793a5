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
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// storedMarker is a token of the reply subject of every lookup Stored sends.
// ServeLookups never answers a request carrying it, so the answers Stored
// collects are the servers' stored copies and never the resolver's own.
const storedMarker = "natsauth-stored"

// storedBatch bounds the lookups in flight, so that a thousand accounts on
// a few servers never queue more replies than the subscription holds.
const storedBatch = 128

// Stored is what the full servers hold for one account, as their answers to
// $SYS.REQ.ACCOUNT.<account>.CLAIMS.LOOKUP say. The answers are raw JWT bytes
// without the server's identity, so they can be counted and compared but not
// attributed to a server.
type Stored struct {
	// Tokens are the non-empty answers, one per server storing the account.
	Tokens []string
	// Absent counts the empty answers: servers that do not store it.
	Absent int
}

// Stored asks every full server for its stored JWT of each account, with
// one LOOKUP per account (at most storedBatch in flight). It is the only
// request every full server answers with the JWT itself: CLAIMS.LIST names
// the accounts only, and CLAIMS.PACK is answered by one server of a queue
// group. Cache servers do not answer lookups. A batch ends when servers
// answers per account arrived, or, with servers <= 0 or a missing answer,
// when answers stop for QuietGap (after at least MinWait) or ctx ends. The
// map has an entry for every account that got an answer; the error is nil
// unless the request itself failed or ctx was cancelled.
func (c *Client) Stored(ctx context.Context, accounts []string, servers int) (map[string]Stored, error) {
	out := make(map[string]Stored, len(accounts))
	for start := 0; start < len(accounts); start += storedBatch {
		batch := accounts[start:min(start+storedBatch, len(accounts))]
		if err := c.storedBatch(ctx, batch, servers, out); err != nil {
			return out, err
		}
	}
	return out, nil
}

// storedBatch sends the lookups of batch, each with its index as the last
// token of the reply subject, and folds the answers into out.
func (c *Client) storedBatch(ctx context.Context, batch []string, servers int, out map[string]Stored) error {
	inbox := c.nc.NewInbox() + "." + storedMarker
	sub, err := c.nc.SubscribeSync(inbox + ".*")
	if err != nil {
		return fmt.Errorf("stored lookups: subscribe reply inbox: %w", err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	for i, account := range batch {
		subject := "$SYS.REQ.ACCOUNT." + account + ".CLAIMS.LOOKUP"
		if err := c.nc.PublishRequest(subject, inbox+"."+strconv.Itoa(i), nil); err != nil {
			return fmt.Errorf("%s: publish: %w", subject, err)
		}
	}
	want := servers * len(batch)
	start := time.Now()
	var last time.Time
	for got := 0; want <= 0 || got < want; got++ {
		msg, err := c.next(ctx, sub, 0, start, last)
		switch {
		case err == nil:
		case errors.Is(err, nats.ErrSlowConsumer):
			continue
		case ctx.Err() != nil && errors.Is(ctx.Err(), context.Canceled):
			return fmt.Errorf("stored lookups: %w", ctx.Err())
		case ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded):
			// Out of time or quiet: what arrived is the answer.
			return nil
		default:
			return fmt.Errorf("stored lookups: %w", err)
		}
		last = time.Now()
		addStored(out, batch, msg)
	}
	return nil
}

// addStored records one answer under the account its reply subject names.
func addStored(out map[string]Stored, batch []string, msg *nats.Msg) {
	i, err := strconv.Atoi(msg.Subject[strings.LastIndexByte(msg.Subject, '.')+1:])
	if err != nil || i < 0 || i >= len(batch) || isNoResponders(msg) {
		return
	}
	s := out[batch[i]]
	if len(msg.Data) == 0 {
		s.Absent++
	} else {
		s.Tokens = append(s.Tokens, string(msg.Data))
	}
	out[batch[i]] = s
}

// isStoredLookup reports whether reply is the reply subject of a lookup that
// Stored sent, which only servers are to answer.
func isStoredLookup(reply string) bool {
	return strings.Contains(reply, "."+storedMarker+".")
}
