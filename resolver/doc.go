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

// Package resolver keeps the account JWTs of every nats-server of one NatsOperator current. It is
// the Kubernetes side of the resolver binary; resolver/natssys is the NATS side.
//
// One controller, keyed by NatsAccount, watches the accounts of one operator and the operator
// itself. A sync checks that the account JWT in status.jwt was issued by one of the operator's
// signing keys (nats-servers store untrusted JWTs and only fail when loading them), pushes it to
// $SYS.REQ.CLAIMS.UPDATE, waits for one reply from every server it expects, and records the
// outcome in the account's Pushed condition, status.pushedClaimsHash and status.pushedIssuer
// (the key that signed the acknowledged JWT, which an operator signing-key rotation waits for)
// with server-side apply under its own field manager, so it never writes a field the controller
// owns.
//
// # When an account is pushed
//
// A JWT is pushed when this process has not yet seen every server acknowledge that exact token.
// That covers a new or re-signed JWT, an earlier partial or failed push, and the first
// sync after start: a resolver that just started cannot know what the servers hold, and
// status.claimsHash ignores the issuer, so a JWT re-signed by a rotated operator key has the
// hash of the one before it. Beyond that an account is pushed again when
//   - the resolver's NATS connection comes back (a restarted server may have lost its store);
//   - a drift check finds a server with a new identity (restarted or joined), a server whose
//     CLAIMS.LIST lacks an account every server had acknowledged, or a full server whose stored
//     JWT of such an account (its CLAIMS.LOOKUP answer, see natssys.Client.Stored) is neither
//     the acknowledged nor the current one.
//
// A drift check also reports orphans, accounts on the servers that no NatsAccount of the
// operator holds, on the NatsOperator (an event; the resolver writes no operator status). It
// deletes one only when the operator allows deletes, the resolver was started with
// --delete-orphan-accounts, and it holds the controller-signed delete request of that account.
//
// # Which servers must answer
//
// Every full and cache server answers a push. The controller pings $SYS.REQ.SERVER.PING at
// most once per server TTL (and after every reconnect) and expects a reply from every server
// seen within the retention window, so a stopped server is reported missing by name instead of
// silently dropping out of the count. A server that answers "jwt update cache skipped" is a
// cache resolver: it is left out of drift checks, because it lists only what it happens to have
// cached.
//
// # Deleted accounts
//
// An account being deleted is never pushed again. When the controller left a delete request in
// status.deleteRequest, the request takes the same path as a push (deliver: one request to every
// expected server, the outcome in a condition, retried with backoff until every server
// acknowledged) to $SYS.REQ.CLAIMS.DELETE, and its outcome is the Deleted condition, applied
// under DeleteFieldManager. The two differ only in what is sent and recorded (operation).
//
// # Lookups
//
// The controller also answers $SYS.REQ.ACCOUNT.*.CLAIMS.LOOKUP from its informer cache, for
// accounts of its operator with a trusted JWT, and stays silent otherwise. Answers are what cache
// servers need; with several full servers a lookup may be concluded "not found" before this
// answer arrives (see natssys.Client.ServeLookups), which is why full servers get every JWT by
// push and drift repair rather than by lookup.
package resolver
