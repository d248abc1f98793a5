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
	"bytes"
	"encoding/json"
	"net/http"
)

// skippedMessages are the 200 messages with which a server acknowledges an
// update without storing it: a cache resolver (and, on the per-account
// subject, a MEMORY or URL resolver) only refreshes accounts it has loaded.
// Matching exact strings is deliberate: an unknown message is counted as
// applied, which is what nats-server means by a 200 everywhere else.
var skippedMessages = map[string]bool{
	"jwt update cache skipped": true,
	"jwt update skipped":       true,
}

// Reply kinds named in MalformedReplyError.Kind.
const (
	kindUpdate = "update"
	kindList   = "list"
	kindPing   = "server ping"
)

// envelope is the shape shared by every $SYS reply used here: the sender in
// "server", and either "data" (an object for UPDATE/DELETE, an array for
// LIST) or "error". Ping replies carry "statsz" instead of data, which is
// not needed and therefore not decoded.
type envelope struct {
	Server *ServerInfo      `json:"server"`
	Data   json.RawMessage  `json:"data"`
	Error  *claimErrorReply `json:"error"`
}

// claimErrorReply is the "error" object of a refusal.
type claimErrorReply struct {
	Account     string `json:"account"`
	Code        int    `json:"code"`
	Description string `json:"description"`
}

// claimDataReply is the "data" object of an UPDATE or DELETE acknowledgement.
type claimDataReply struct {
	Account string `json:"account"`
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// decodeEnvelope decodes body and checks that it names its server, since a
// reply that cannot be attributed cannot be counted against anyone.
func decodeEnvelope(kind string, body []byte) (envelope, error) {
	var env envelope
	if len(bytes.TrimSpace(body)) == 0 {
		return env, &MalformedReplyError{Kind: kind, Reason: "empty body"}
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return envelope{}, &MalformedReplyError{Kind: kind, Reason: "not a JSON reply object", Err: err}
	}
	if env.Server == nil || env.Server.ID == "" {
		return env, &MalformedReplyError{Kind: kind, Reason: "no server identity"}
	}
	return env, nil
}

// hasData reports whether "data" was present and not null.
func (env envelope) hasData() bool {
	return len(env.Data) > 0 && !bytes.Equal(bytes.TrimSpace(env.Data), []byte("null"))
}

// server returns the sender, or the zero value when absent.
func (env envelope) server() ServerInfo {
	if env.Server == nil {
		return ServerInfo{}
	}
	return *env.Server
}

// replyError turns the "error" object into a *ReplyError.
func (env envelope) replyError() *ReplyError {
	return &ReplyError{Server: env.server().Name, Account: env.Error.Account,
		Code: env.Error.Code, Description: env.Error.Description}
}

// ParseUpdateReply parses one server's answer to CLAIMS.UPDATE or
// CLAIMS.DELETE, both of which use the same reply type:
//
//	{"server":{...},"data":{"account":"A…","code":200,"message":"jwt updated"}}
//	{"server":{...},"error":{"account":"n/a","code":500,"description":"…"}}
//
// A refusal parses fine: the result has OutcomeFailed and a *ReplyError in
// Err, and the returned error is nil. Only a reply that is not of this shape
// returns a *MalformedReplyError; the result then still says
// OutcomeFailed, carries the same error, and holds the sender if it could
// be read, so the caller can record it against that server.
func ParseUpdateReply(body []byte) (ServerResult, error) {
	env, err := decodeEnvelope(kindUpdate, body)
	sr := ServerResult{Server: env.server(), Outcome: OutcomeFailed}
	if err != nil {
		sr.Err = err
		return sr, err
	}
	switch {
	case env.hasData() && env.Error != nil:
		return malformedUpdate(sr, "both data and error")
	case env.Error != nil:
		sr.Account, sr.Code, sr.Message = env.Error.Account, env.Error.Code, env.Error.Description
		sr.Err = env.replyError()
		return sr, nil
	case !env.hasData():
		return malformedUpdate(sr, "neither data nor error")
	}
	var data claimDataReply
	if err := json.Unmarshal(env.Data, &data); err != nil {
		sr.Err = &MalformedReplyError{Kind: kindUpdate, Reason: "data is not an object", Err: err}
		return sr, sr.Err
	}
	if data.Code == 0 {
		return malformedUpdate(sr, "data has no code")
	}
	sr.Account, sr.Code, sr.Message = data.Account, data.Code, data.Message
	switch {
	case data.Code != http.StatusOK:
		// nats-server only puts 200 in data; anything else is treated as the
		// refusal it would mean in HTTP rather than silently as success.
		sr.Err = &ReplyError{Server: sr.Server.Name, Account: data.Account, Code: data.Code, Description: data.Message}
	case skippedMessages[data.Message]:
		sr.OK, sr.Outcome = true, OutcomeSkipped
	default:
		sr.OK, sr.Outcome = true, OutcomeApplied
	}
	return sr, nil
}

// malformedUpdate records reason as the result's error and returns both.
func malformedUpdate(sr ServerResult, reason string) (ServerResult, error) {
	sr.Err = &MalformedReplyError{Kind: kindUpdate, Reason: reason}
	return sr, sr.Err
}

// ParseListReply parses one server's answer to CLAIMS.LIST:
//
//	{"server":{...},"data":["A…","A…"]}
//
// (JSON, although the NATS docs describe a newline-separated list). An
// "error" object, which nats-server 2.x never sends for LIST but might,
// parses to a reply with a *ReplyError in Err and a nil error. A body of
// another shape returns a *MalformedReplyError, also stored in Err, with
// the sender filled in when it could be read.
func ParseListReply(body []byte) (ListReply, error) {
	env, err := decodeEnvelope(kindList, body)
	lr := ListReply{Server: env.server()}
	if err != nil {
		lr.Err = err
		return lr, err
	}
	switch {
	case env.hasData() && env.Error != nil:
		lr.Err = &MalformedReplyError{Kind: kindList, Reason: "both data and error"}
		return lr, lr.Err
	case env.Error != nil:
		lr.Err = env.replyError()
		return lr, nil
	case !env.hasData():
		lr.Err = &MalformedReplyError{Kind: kindList, Reason: "no data"}
		return lr, lr.Err
	}
	var accounts []string
	if err := json.Unmarshal(env.Data, &accounts); err != nil {
		lr.Err = &MalformedReplyError{Kind: kindList, Reason: "data is not a list of strings", Err: err}
		return lr, lr.Err
	}
	lr.Accounts = accounts
	return lr, nil
}

// ParseServerPing parses one server's answer to $SYS.REQ.SERVER.PING
// (a STATSZ message: {"server":{...},"statsz":{...}}) and returns the
// sender. An "error" object, sent for a bad ping filter, returns the sender
// with a *ReplyError; any other shape returns a *MalformedReplyError.
func ParseServerPing(body []byte) (ServerInfo, error) {
	env, err := decodeEnvelope(kindPing, body)
	if err != nil {
		return env.server(), err
	}
	if env.Error != nil {
		return env.server(), env.replyError()
	}
	return env.server(), nil
}
