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

// Package natssys is the NATS side of the resolver: a client of the $SYS
// subjects that nats-servers in operator mode use to store, list, delete and
// look up account JWTs. It knows nothing about Kubernetes.
//
//	Servers(ctx)                    $SYS.REQ.SERVER.PING: who is out there
//	Update(ctx, accountJWT, n)      $SYS.REQ.CLAIMS.UPDATE: push to every full/cache server
//	List(ctx, n)                    $SYS.REQ.CLAIMS.LIST: what each server stores
//	Delete(ctx, deleteRequest, n)   $SYS.REQ.CLAIMS.DELETE: operator-signed removal
//	ServeLookups(ctx, lookup)       $SYS.REQ.ACCOUNT.*.CLAIMS.LOOKUP: answer servers' misses
//
// # One request, many replies
//
// Every full and every cache server answers UPDATE, LIST and DELETE on its
// own; MEMORY and URL servers do not subscribe at all. A single reply is
// therefore never a cluster-wide acknowledgement. The caller passes the
// number of replies it expects (usually the full and cache servers found by
// Servers) and the client collects until that many arrived or ctx ends.
// Unlike nsc, collection never stops at the first error reply: every
// server's answer lands in the Result, so one bad server cannot hide the
// state of the others.
//
// # Time
//
// The package has no timeouts of its own: each call is bounded by its ctx,
// which should carry a deadline. A call given an expected count returns as
// soon as that many replies are in, and otherwise waits for the deadline,
// so the deadline is the price of a silent server. Servers, which cannot
// know how many replies will come, also stops once replies have stopped
// arriving for Client.QuietGap.
//
// # Connection
//
// The caller builds the *nats.Conn with a system-account user and owns its
// reconnect policy; use nats.MaxReconnects(-1) so that a restarted server
// does not leave the resolver with a closed connection. One connection may
// serve concurrent calls. Calls made while the connection is reconnecting
// are buffered by nats.go and simply run into their ctx deadline if the
// connection does not come back in time.
//
// # Permissions
//
// The user needs publish rights on $SYS.REQ.SERVER.PING and
// $SYS.REQ.CLAIMS.{UPDATE,LIST,DELETE}, subscribe rights on its inbox prefix
// (_INBOX.> by default) and, for ServeLookups, subscribe on
// $SYS.REQ.ACCOUNT.*.CLAIMS.LOOKUP plus publish on $SYS._INBOX.> (or
// allow_responses).
package natssys
