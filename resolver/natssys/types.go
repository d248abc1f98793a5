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
	"time"
)

// ResolverType is the account resolver a server runs. No $SYS reply carries
// it, so ServerInfo.Resolver is left for the caller to fill from what it
// knows about the deployment.
type ResolverType string

// Resolver types. Only full and cache servers answer CLAIMS.UPDATE, LIST and
// DELETE, so they are the ones to count as expected replies.
const (
	// ResolverUnknown is the zero value: no reply says which resolver a
	// server runs.
	ResolverUnknown ResolverType = ""
	// ResolverFull stores every pushed account and answers lookups.
	ResolverFull ResolverType = "full"
	// ResolverCache answers pushes but stores only accounts it has loaded.
	ResolverCache ResolverType = "cache"
	// ResolverMemory answers none of the CLAIMS subjects used here.
	ResolverMemory ResolverType = "memory"
)

// ServerInfo identifies a nats-server as it describes itself in the "server"
// object of every $SYS reply. The json tags match nats-server's ServerInfo so
// replies decode straight into it.
type ServerInfo struct {
	// Name is the server_name; unique within a cluster by configuration.
	Name string `json:"name"`
	// ID is the server's nkey public key, new on every start. It is the
	// identity used to match replies from one request with another.
	ID string `json:"id"`
	// Host is the client listen host.
	Host string `json:"host"`
	// Cluster is the route cluster name; empty when not clustered.
	Cluster string `json:"cluster,omitempty"`
	// Domain is the JetStream domain, if any.
	Domain string `json:"domain,omitempty"`
	// Version is the nats-server version, such as "2.15.2".
	Version string `json:"ver"`
	// Tags are the server_tags.
	Tags []string `json:"tags,omitempty"`
	// JetStream reports whether JetStream is enabled on the server.
	JetStream bool `json:"jetstream"`
	// Resolver is never set by this package (see ResolverType); it exists so
	// callers can annotate the list Servers returns.
	Resolver ResolverType `json:"-"`
}

// Outcome classifies one server's answer to an UPDATE or DELETE.
type Outcome int

const (
	// OutcomeApplied means the server answered 200 and stored or applied the
	// request ("jwt updated", "jwt updated cache", "deleted N accounts").
	OutcomeApplied Outcome = iota + 1
	// OutcomeSkipped means the server answered 200 but stored nothing: a
	// cache resolver that has not loaded the account says "jwt update cache
	// skipped". It is an acknowledgement, not a copy of the JWT.
	OutcomeSkipped
	// OutcomeFailed means the server refused, or its reply was malformed.
	OutcomeFailed
)

// String returns "applied", "skipped" or "failed".
func (o Outcome) String() string {
	switch o {
	case OutcomeApplied:
		return "applied"
	case OutcomeSkipped:
		return "skipped"
	case OutcomeFailed:
		return "failed"
	}
	return "unknown"
}

// ServerResult is one server's answer to an UPDATE or DELETE.
type ServerResult struct {
	// Server is the replying server; zero when a malformed reply did not
	// even say who sent it.
	Server ServerInfo
	// Account is the account the reply names; "n/a" when the server could
	// not decode the JWT, empty for DELETE.
	Account string
	// OK is true for a 200 reply: Outcome is OutcomeApplied or
	// OutcomeSkipped.
	OK bool
	// Outcome classifies the answer.
	Outcome Outcome
	// Code is the status code from the reply; 0 when malformed.
	Code int
	// Message is data.message for a 200, error.description otherwise.
	Message string
	// Err is nil when OK, a *ReplyError for a refusal and a
	// *MalformedReplyError for a reply that could not be parsed.
	Err error
	// Latency is the time from sending the request to this reply's
	// arrival, so callers can watch each server's acknowledgement time.
	Latency time.Duration
}

// Result gathers the answers of every server to one UPDATE or DELETE.
// Counts always add up: Applied + Skipped + Failed == len(Replies), and
// Missing is how many expected servers stayed silent.
type Result struct {
	// Expected is the number of replies asked for; 0 or less means unknown.
	Expected int
	// Replies are the answers in arrival order.
	Replies []ServerResult
	// Applied counts OutcomeApplied replies.
	Applied int
	// Skipped counts OutcomeSkipped replies (acknowledged, not stored).
	Skipped int
	// Failed counts refusals and malformed replies.
	Failed int
	// Missing is Expected minus the replies received, never negative.
	Missing int
}

// Acknowledged counts 200 replies, whether they stored anything or not.
func (r Result) Acknowledged() int { return r.Applied + r.Skipped }

// Err joins the errors of the failed replies; nil when none failed. Missing
// replies are reported by the call's own error, not here.
func (r Result) Err() error {
	var errs []error
	for _, sr := range r.Replies {
		if sr.Err != nil {
			errs = append(errs, sr.Err)
		}
	}
	return errors.Join(errs...)
}

// MissingFrom returns the servers of a previous Servers call that did not
// reply, matched by server ID. The request itself cannot name the silent
// servers; only a list of who should have answered can.
func (r Result) MissingFrom(servers []ServerInfo) []ServerInfo {
	return missingFrom(servers, r.Replies, func(sr ServerResult) string { return sr.Server.ID })
}

// add records one reply and keeps the counts in step.
func (r *Result) add(sr ServerResult) {
	r.Replies = append(r.Replies, sr)
	switch sr.Outcome {
	case OutcomeApplied:
		r.Applied++
	case OutcomeSkipped:
		r.Skipped++
	default:
		r.Failed++
	}
	r.Missing = max(r.Expected-len(r.Replies), 0)
}

// ListReply is one server's answer to CLAIMS.LIST.
type ListReply struct {
	// Server is the replying server; zero when a malformed reply did not say.
	Server ServerInfo
	// Accounts are the account public keys stored on the server, as sent.
	// They are not validated: a stray file in the JWT directory shows up
	// here as is, and the caller decides what to do with it.
	Accounts []string
	// Err is nil for a good reply, a *ReplyError or *MalformedReplyError
	// otherwise; Accounts is then empty.
	Err error
}

// MissingListFrom returns the servers of a previous Servers call that are
// not among replies, matched by server ID.
func MissingListFrom(servers []ServerInfo, replies []ListReply) []ServerInfo {
	return missingFrom(servers, replies, func(lr ListReply) string { return lr.Server.ID })
}

// missingFrom returns the servers whose ID is not the id of any reply.
func missingFrom[T any](servers []ServerInfo, replies []T, id func(T) string) []ServerInfo {
	seen := make(map[string]bool, len(replies))
	for _, r := range replies {
		seen[id(r)] = true
	}
	var missing []ServerInfo
	for _, s := range servers {
		if !seen[s.ID] {
			missing = append(missing, s)
		}
	}
	return missing
}
