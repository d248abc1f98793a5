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
)

// addReplySeeds seeds f with every captured real reply whose file name
// starts with one of prefixes, plus hand-made edge cases.
func addReplySeeds(f *testing.F, prefixes ...string) {
	f.Helper()
	files, err := filepath.Glob(filepath.Join(repliesDir, "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no captured replies in %s: %v", repliesDir, err)
	}
	for _, file := range files {
		for _, p := range prefixes {
			if strings.HasPrefix(filepath.Base(file), p) {
				f.Add(must(os.ReadFile(file)))
			}
		}
	}
	for _, s := range []string{"", "null", "{}", "[]", `{"server":{"id":"N"}}`,
		`{"server":{"id":"N"},"data":null,"error":null}`, `{"server":{"id":"N"},"data":{"code":200}}`,
		`{"server":{"id":"N"},"data":["A"]}`, `{"server":{"id":"N"},"error":{"code":500}}`, "\x00\xff"} {
		f.Add([]byte(s))
	}
}

// FuzzParseUpdateReply checks that no input panics and that the result is
// always consistent: a nil error means a well-formed reply whose outcome
// agrees with OK and Err; an error is a *MalformedReplyError also kept in Err.
func FuzzParseUpdateReply(f *testing.F) {
	addReplySeeds(f, "update-", "delete-")
	f.Fuzz(func(t *testing.T, body []byte) {
		sr, err := ParseUpdateReply(body)
		if err != nil {
			var me *MalformedReplyError
			if !errors.As(err, &me) || sr.Err != err || sr.OK || sr.Outcome != OutcomeFailed {
				t.Fatalf("malformed reply gave %+v, %v", sr, err)
			}
			return
		}
		if sr.Server.ID == "" {
			t.Fatalf("accepted a reply without server id: %q", body)
		}
		switch sr.Outcome {
		case OutcomeApplied, OutcomeSkipped:
			if !sr.OK || sr.Err != nil || sr.Code != 200 {
				t.Fatalf("acknowledged %+v", sr)
			}
		case OutcomeFailed:
			var re *ReplyError
			if sr.OK || !errors.As(sr.Err, &re) || re.Code != sr.Code {
				t.Fatalf("refused %+v", sr)
			}
		default:
			t.Fatalf("outcome %d", sr.Outcome)
		}
	})
}

// FuzzParseListReply checks that no input panics, that an error is always a
// *MalformedReplyError with no accounts, and that success names the server.
func FuzzParseListReply(f *testing.F) {
	addReplySeeds(f, "list-")
	f.Fuzz(func(t *testing.T, body []byte) {
		lr, err := ParseListReply(body)
		if err != nil {
			if !errors.Is(err, ErrMalformedReply) || lr.Err != err || len(lr.Accounts) != 0 {
				t.Fatalf("malformed reply gave %+v, %v", lr, err)
			}
			return
		}
		if lr.Server.ID == "" {
			t.Fatalf("accepted a reply without server id: %q", body)
		}
		var re *ReplyError
		if lr.Err != nil && (!errors.As(lr.Err, &re) || len(lr.Accounts) != 0) {
			t.Fatalf("error reply gave %+v", lr)
		}
	})
}

// FuzzParseServerPing checks that no input panics and that every error is a
// *MalformedReplyError or a *ReplyError, and success names the server.
func FuzzParseServerPing(f *testing.F) {
	addReplySeeds(f, "ping-")
	f.Fuzz(func(t *testing.T, body []byte) {
		info, err := ParseServerPing(body)
		var re *ReplyError
		switch {
		case err == nil, errors.As(err, &re):
			if info.ID == "" {
				t.Fatalf("accepted a reply without server id: %q", body)
			}
		case !errors.Is(err, ErrMalformedReply):
			t.Fatalf("untyped error %v", err)
		}
	})
}
