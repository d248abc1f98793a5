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

package resolver

import (
	"errors"
	"slices"
	"testing"

	"github.com/natsauth/nats-auth-operator/resolver/natssys"
)

func TestMissingAccounts(t *testing.T) {
	replies := []natssys.ListReply{
		{Server: natssys.ServerInfo{Name: "b"}, Accounts: []string{"A1", "A2"}},
		{Server: natssys.ServerInfo{Name: "c"}, Accounts: []string{"A2"}},
		{Server: natssys.ServerInfo{Name: "a"}, Accounts: []string{"SYS"}},
		// A cache server lists only what it has cached.
		{Server: natssys.ServerInfo{Name: "cache"}, Accounts: nil},
		// A failed reply says nothing about the server's store.
		{Server: natssys.ServerInfo{Name: "broken"}, Err: errors.New("malformed")},
	}
	got := missingAccounts([]string{"A1", "A2"}, replies, func(s string) bool { return s == "cache" })
	want := map[string][]string{"A1": {"a", "c"}, "A2": {"a"}}
	if len(got) != len(want) {
		t.Fatalf("missing %v, want %v", got, want)
	}
	for pub, servers := range want {
		if !slices.Equal(got[pub], servers) {
			t.Errorf("%s missing on %v, want %v", pub, got[pub], servers)
		}
	}
}
