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
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// srv is the server object used by the synthetic replies below.
const srv = `"server":{"name":"n1","id":"NID1","ver":"2.15.2","cluster":"c","jetstream":true}`

// reply reads a captured real reply from testdata/replies.
func reply(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repliesDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseUpdateReply(t *testing.T) {
	tests := []struct {
		name      string
		body      []byte
		file      string // a captured reply instead of body
		outcome   Outcome
		code      int
		account   string
		message   string // prefix of Message
		malformed bool
		refused   bool // Err is a *ReplyError
	}{
		{name: "full stored", file: "update-full-jwt-updated.json", outcome: OutcomeApplied, code: 200, message: "jwt updated"},
		{name: "cache skipped", file: "update-cache-jwt-update-cache-skipped.json", outcome: OutcomeSkipped, code: 200, message: "jwt update cache skipped"},
		{name: "cache updated", file: "update-cache-jwt-updated-cache.json", outcome: OutcomeApplied, code: 200, message: "jwt updated cache"},
		{name: "full refuses garbage", file: "update-full-expected-3-chunks.json", outcome: OutcomeFailed, code: 500, account: "n/a",
			message: "jwt update resulted in error - expected 3 chunks", refused: true},
		{name: "cache refuses garbage", file: "update-cache-expected-3-chunks.json", outcome: OutcomeFailed, code: 500, account: "n/a", refused: true},
		{name: "delete applied", file: "delete-full-deleted-1-accounts.json", outcome: OutcomeApplied, code: 200, message: "deleted 1 accounts"},
		{name: "delete refused", file: "delete-full-delete-must-be-enabled.json", outcome: OutcomeFailed, code: 500, refused: true,
			message: "delete accounts request by O"},
		{name: "memory skipped", body: []byte(`{` + srv + `,"data":{"account":"A1","code":200,"message":"jwt update skipped"}}`),
			outcome: OutcomeSkipped, code: 200, account: "A1"},
		{name: "unknown 200 message counts as applied", body: []byte(`{` + srv + `,"data":{"code":200,"message":"something new"}}`),
			outcome: OutcomeApplied, code: 200},
		{name: "non-200 data is a refusal", body: []byte(`{` + srv + `,"data":{"code":503,"message":"busy"}}`),
			outcome: OutcomeFailed, code: 503, refused: true},
		{name: "empty body", body: nil, outcome: OutcomeFailed, malformed: true},
		{name: "blank body", body: []byte(" \n"), outcome: OutcomeFailed, malformed: true},
		{name: "not JSON", body: []byte("jwt updated"), outcome: OutcomeFailed, malformed: true},
		{name: "JSON array", body: []byte(`[1]`), outcome: OutcomeFailed, malformed: true},
		{name: "JSON null", body: []byte(`null`), outcome: OutcomeFailed, malformed: true},
		{name: "no server", body: []byte(`{"data":{"code":200,"message":"jwt updated"}}`), outcome: OutcomeFailed, malformed: true},
		{name: "server without id", body: []byte(`{"server":{"name":"n1"},"data":{"code":200}}`), outcome: OutcomeFailed, malformed: true},
		{name: "neither data nor error", body: []byte(`{` + srv + `}`), outcome: OutcomeFailed, malformed: true},
		{name: "null data", body: []byte(`{` + srv + `,"data":null}`), outcome: OutcomeFailed, malformed: true},
		{name: "both", body: []byte(`{` + srv + `,"data":{"code":200},"error":{"code":500}}`), outcome: OutcomeFailed, malformed: true},
		{name: "data is a list", body: []byte(`{` + srv + `,"data":["A"]}`), outcome: OutcomeFailed, malformed: true},
		{name: "data without code", body: []byte(`{` + srv + `,"data":{"message":"jwt updated"}}`), outcome: OutcomeFailed, malformed: true},
		{name: "code is a string", body: []byte(`{` + srv + `,"data":{"code":"200"}}`), outcome: OutcomeFailed, malformed: true},
		{name: "truncated", body: []byte(`{` + srv + `,"data":{"code":200`), outcome: OutcomeFailed, malformed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.body
			if tt.file != "" {
				body = reply(t, tt.file)
			}
			sr, err := ParseUpdateReply(body)
			if got := err != nil; got != tt.malformed {
				t.Fatalf("error = %v, want malformed %t", err, tt.malformed)
			}
			if tt.malformed {
				var me *MalformedReplyError
				if !errors.As(err, &me) || !errors.Is(err, ErrMalformedReply) || sr.Err != err {
					t.Fatalf("error %v (%T) is not a *MalformedReplyError kept in Err (%v)", err, err, sr.Err)
				}
			}
			if sr.Outcome != tt.outcome || sr.OK != (tt.outcome != OutcomeFailed) {
				t.Errorf("outcome %s ok %t, want %s", sr.Outcome, sr.OK, tt.outcome)
			}
			if sr.Code != tt.code {
				t.Errorf("code %d, want %d", sr.Code, tt.code)
			}
			if tt.account != "" && sr.Account != tt.account {
				t.Errorf("account %q, want %q", sr.Account, tt.account)
			}
			if !strings.HasPrefix(sr.Message, tt.message) {
				t.Errorf("message %q, want prefix %q", sr.Message, tt.message)
			}
			var re *ReplyError
			if got := errors.As(sr.Err, &re); got != tt.refused {
				t.Errorf("Err %v: *ReplyError %t, want %t", sr.Err, got, tt.refused)
			} else if got && (re.Code != tt.code || re.Server != sr.Server.Name) {
				t.Errorf("ReplyError %+v does not carry code %d and server %q", re, tt.code, sr.Server.Name)
			}
			if tt.outcome == OutcomeFailed && sr.Err == nil {
				t.Error("failed result has no Err")
			}
			if tt.file != "" && (sr.Server.ID == "" || sr.Server.Name == "" || sr.Server.Version == "") {
				t.Errorf("server identity not parsed from a real reply: %+v", sr.Server)
			}
		})
	}
}

func TestParseListReply(t *testing.T) {
	tests := []struct {
		name      string
		body      []byte
		file      string
		accounts  int
		malformed bool
		refused   bool
	}{
		{name: "full", file: "list-full-2-accounts.json", accounts: 2},
		{name: "cache", file: "list-cache-1-accounts.json", accounts: 1},
		{name: "empty list", body: []byte(`{` + srv + `,"data":[]}`)},
		{name: "error object", body: []byte(`{` + srv + `,"error":{"code":500,"description":"boom"}}`), refused: true},
		{name: "newline list as the docs describe", body: []byte("AAA\nBBB\n"), malformed: true},
		{name: "data is an object", body: []byte(`{` + srv + `,"data":{"code":200}}`), malformed: true},
		{name: "data holds a number", body: []byte(`{` + srv + `,"data":["A",1]}`), malformed: true},
		{name: "no data", body: []byte(`{` + srv + `}`), malformed: true},
		{name: "null data", body: []byte(`{` + srv + `,"data":null}`), malformed: true},
		{name: "both", body: []byte(`{` + srv + `,"data":[],"error":{"code":500}}`), malformed: true},
		{name: "no server", body: []byte(`{"data":["A"]}`), malformed: true},
		{name: "empty", body: []byte{}, malformed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.body
			if tt.file != "" {
				body = reply(t, tt.file)
			}
			lr, err := ParseListReply(body)
			if got := err != nil; got != tt.malformed {
				t.Fatalf("error = %v, want malformed %t", err, tt.malformed)
			}
			if tt.malformed && (!errors.Is(err, ErrMalformedReply) || lr.Err != err) {
				t.Fatalf("error %v is not ErrMalformedReply kept in Err (%v)", err, lr.Err)
			}
			var re *ReplyError
			if got := errors.As(lr.Err, &re); got != tt.refused {
				t.Errorf("Err %v: *ReplyError %t, want %t", lr.Err, got, tt.refused)
			}
			if len(lr.Accounts) != tt.accounts {
				t.Errorf("accounts %v, want %d", lr.Accounts, tt.accounts)
			}
			for _, a := range lr.Accounts {
				if tt.file != "" && !IsAccountPublicKey(a) {
					t.Errorf("listed %q is not an account key", a)
				}
			}
		})
	}
}

func TestParseServerPing(t *testing.T) {
	info, err := ParseServerPing(reply(t, "ping-full.json"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != "mixed-0-full" || info.Cluster != "mixed" || info.Version == "" || info.ID == "" ||
		info.Resolver != ResolverUnknown {
		t.Errorf("ping parsed to %+v", info)
	}
	info, err = ParseServerPing([]byte(`{` + srv + `,"statsz":{}}`))
	if err != nil || info.Name != "n1" || !info.JetStream || info.Cluster != "c" {
		t.Errorf("synthetic ping parsed to %+v, %v", info, err)
	}
	info, err = ParseServerPing([]byte(`{` + srv + `,"error":{"code":400,"description":"bad filter"}}`))
	var re *ReplyError
	if !errors.As(err, &re) || re.Code != 400 || info.ID != "NID1" {
		t.Errorf("error ping gave %+v, %v", info, err)
	}
	for _, body := range []string{"", "{}", `{"server":{}}`, `{"server":"n1"}`, `{"server":{"id":7}}`, "PONG"} {
		if _, err := ParseServerPing([]byte(body)); !errors.Is(err, ErrMalformedReply) {
			t.Errorf("ParseServerPing(%q) = %v, want ErrMalformedReply", body, err)
		}
	}
}

func TestResultCounts(t *testing.T) {
	var r Result
	r.Expected, r.Missing = 4, 4
	for _, f := range []string{"update-full-jwt-updated.json", "update-cache-jwt-update-cache-skipped.json", "update-full-expected-3-chunks.json"} {
		sr, _ := ParseUpdateReply(reply(t, f))
		r.add(sr)
	}
	sr, _ := ParseUpdateReply([]byte("garbage"))
	r.add(sr)
	if r.Applied != 1 || r.Skipped != 1 || r.Failed != 2 || r.Missing != 0 || r.Acknowledged() != 2 {
		t.Errorf("counts %+v", r)
	}
	err := r.Err()
	if !errors.Is(err, ErrMalformedReply) {
		t.Errorf("Err() = %v, want the malformed reply in it", err)
	}
	var re *ReplyError
	if !errors.As(err, &re) || re.Code != 500 {
		t.Errorf("Err() = %v, want the refusal in it", err)
	}
	if (Result{}).Err() != nil {
		t.Error("an empty result has an error")
	}
	servers := []ServerInfo{{Name: "a", ID: "1"}, {Name: "b", ID: "2"}, {Name: "c", ID: "3"}}
	got := Result{Replies: []ServerResult{{Server: ServerInfo{ID: "2"}}}}.MissingFrom(servers)
	if len(got) != 2 || got[0].Name != "a" || got[1].Name != "c" {
		t.Errorf("MissingFrom = %+v", got)
	}
	if got := MissingListFrom(servers, []ListReply{{Server: ServerInfo{ID: "1"}}, {Server: ServerInfo{ID: "3"}}}); len(got) != 1 || got[0].Name != "b" {
		t.Errorf("MissingListFrom = %+v", got)
	}
}

func TestIsAccountPublicKey(t *testing.T) {
	account, _ := newKey(natsjwt.KindAccount)
	user, _ := newKey(natsjwt.KindUser)
	operator, _ := newKey(natsjwt.KindOperator)
	_, seed := newKey(natsjwt.KindAccount)
	flipped := []byte(account)
	flipped[30] = map[bool]byte{true: 'B', false: 'C'}[flipped[30] != 'B']
	tests := map[string]bool{
		account:                       true,
		user:                          false,
		operator:                      false,
		string(seed):                  false,
		string(flipped):               false, // CRC mismatch
		strings.ToLower(account):      false,
		account[:55]:                  false,
		account + "A":                 false,
		"":                            false,
		"*":                           false,
		"A" + strings.Repeat("=", 55): false,
	}
	for in, want := range tests {
		if got := IsAccountPublicKey(in); got != want {
			t.Errorf("IsAccountPublicKey(%q) = %t, want %t", in, got, want)
		}
	}
}

func TestLookupAccount(t *testing.T) {
	account, _ := newKey(natsjwt.KindAccount)
	user, _ := newKey(natsjwt.KindUser)
	tests := []struct {
		subject string
		ok      bool
	}{
		{"$SYS.REQ.ACCOUNT." + account + ".CLAIMS.LOOKUP", true},
		{"$SYS.REQ.ACCOUNT." + user + ".CLAIMS.LOOKUP", false},
		{"$SYS.REQ.ACCOUNT.SYS.CLAIMS.LOOKUP", false},
		{"$SYS.REQ.ACCOUNT." + account + ".CLAIMS.UPDATE", false},
		{"$SYS.REQ.ACCOUNT." + account + ".CLAIMS.LOOKUP.extra", false},
		{"$SYS.REQ.ACCOUNT..CLAIMS.LOOKUP", false},
	}
	for _, tt := range tests {
		got, ok := lookupAccount(tt.subject)
		if ok != tt.ok || (ok && got != account) {
			t.Errorf("lookupAccount(%q) = %q, %t; want ok %t", tt.subject, got, ok, tt.ok)
		}
	}
}
