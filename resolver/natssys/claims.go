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
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	"github.com/nats-io/nats.go"
)

// Servers pings every server reachable in the system account (over routes
// and gateways) and returns one ServerInfo per server, sorted by name then
// ID. The number of replies is unknown up front, so collection ends when
// replies stop for QuietGap (after at least MinWait) or at the ctx deadline.
// A reply that cannot be parsed leaves its server out of the list; the list
// is still returned, with an error matching ErrMalformedReply. Resolver is
// left unset: no reply says which resolver a server runs.
func (c *Client) Servers(ctx context.Context) ([]ServerInfo, error) {
	var servers []ServerInfo
	var errs []error
	seen := map[string]bool{}
	_, err := c.gather(ctx, request{subject: SubjectServerPing}, func(msg *nats.Msg) {
		info, perr := ParseServerPing(msg.Data)
		if perr != nil {
			errs = append(errs, perr)
			return
		}
		// A server answers once per ping; a duplicate would only come from a
		// misbehaving peer and must not be counted twice.
		if !seen[info.ID] {
			seen[info.ID] = true
			servers = append(servers, info)
		}
	})
	slices.SortFunc(servers, func(a, b ServerInfo) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	if err != nil {
		errs = append(errs, err)
	}
	return servers, errors.Join(errs...)
}

// Update pushes accountJWT to every full and cache server and collects
// their answers until expected replies arrived or ctx ends; expected <= 0
// collects until replies go quiet, as Servers does. Every reply is recorded,
// refusals and malformed replies included; collection never stops at the
// first failure. A cache server that has not loaded the account answers
// "jwt update cache skipped", counted in Result.Skipped. The JWT is sent
// as is: nats-server stores any decodable account JWT, even one from an
// untrusted issuer, so the caller must check the issuer before pushing.
//
// The Result is returned in every case. The error is nil when the expected
// replies all arrived (whatever they said), *IncompleteError when ctx ended
// first, nats.ErrNoResponders when no server takes pushes on this subject
// (a MEMORY or URL resolver), or a transport error.
func (c *Client) Update(ctx context.Context, accountJWT string, expected int) (Result, error) {
	return c.claimsRequest(ctx, request{subject: SubjectClaimsUpdate, body: []byte(accountJWT), expected: expected})
}

// Delete sends a delete request (a generic-claims JWT signed by an operator
// signing key, listing the accounts, as made by natsjwt.DeleteRequest) to
// every full and cache server, with the same collection and error rules as
// Update. A full server without allow_delete refuses with a 500 that shows
// up as a failed reply. A 200 says "deleted N accounts"; N counts the
// accounts the server had.
func (c *Client) Delete(ctx context.Context, deleteRequestJWT string, expected int) (Result, error) {
	return c.claimsRequest(ctx, request{subject: SubjectClaimsDelete, body: []byte(deleteRequestJWT), expected: expected})
}

// claimsRequest runs an UPDATE or DELETE and folds the replies into a Result.
func (c *Client) claimsRequest(ctx context.Context, req request) (Result, error) {
	res := Result{Expected: req.expected, Missing: max(req.expected, 0)}
	began := time.Now()
	_, err := c.gather(ctx, req, func(msg *nats.Msg) {
		// A parse error is already in sr.Err, which add counts as failed.
		sr, _ := ParseUpdateReply(msg.Data)
		sr.Latency = time.Since(began)
		res.add(sr)
	})
	return res, err
}

// List asks every full and cache server which accounts it stores and
// returns one ListReply per reply, in arrival order, with the same
// collection and error rules as Update. A malformed reply becomes a
// ListReply with Err set. Cache servers list what they happen to have
// cached, so only full servers' lists say what a cluster stores.
func (c *Client) List(ctx context.Context, expected int) ([]ListReply, error) {
	var replies []ListReply
	_, err := c.gather(ctx, request{subject: SubjectClaimsList, expected: expected}, func(msg *nats.Msg) {
		lr, _ := ParseListReply(msg.Data)
		replies = append(replies, lr)
	})
	return replies, err
}
