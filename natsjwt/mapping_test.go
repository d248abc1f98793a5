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

package natsjwt

import (
	"strings"
	"testing"

	"github.com/natsauth/nats-auth-operator/natsjwt/mappingtable"
)

// mappingSpec returns an account with the row's mapping only.
func mappingSpec(r mappingtable.Row) AccountSpec {
	dests := make([]WeightedMapping, len(r.Dests))
	for i, d := range r.Dests {
		dests[i] = WeightedMapping{Subject: d, Weight: r.Weight()}
	}
	return AccountSpec{Name: "mapping", Mappings: map[string][]WeightedMapping{r.Source: dests}}
}

// TestMappingTable checks natsjwt's verdict on every row: accepted rows
// sign and decode unchanged, refused rows name a mapping field.
func TestMappingTable(t *testing.T) {
	rows, err := mappingtable.Read("testdata/mappings.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		t.Run(r.Line, func(t *testing.T) {
			ac, err := AccountClaims(testPub(t, "account"), mappingSpec(r))
			if r.Verdict == "ok" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				signDecode(t, ac, "operator-signing")
				return
			}
			if err == nil {
				t.Fatal("accepted, want ErrInvalidSpec")
			}
			for _, f := range issueFields(t, err) {
				if !strings.HasPrefix(f, "mappings[") {
					t.Errorf("issue at %q, want a mappings path: %v", f, err)
				}
			}
		})
	}
}

// TestMappingMessages checks where each kind of problem is reported and
// that the message says what to do.
func TestMappingMessages(t *testing.T) {
	cases := []struct {
		source string
		dests  []string
		field  string
		frag   []string
	}{
		{"orders.*", []string{"x.$2"}, `mappings["orders.*"][0].subject`, []string{`"$2" uses wildcard 2`, `source "orders.*" has 1 wildcard`, "numbered from 1"}},
		{"a.*.*", []string{"{{wildcard(3)}}"}, `mappings["a.*.*"][0].subject`, []string{"wildcard 3", "has 2 wildcards"}},
		{"orders.>", []string{"x.$1.>"}, `mappings["orders.>"][0].subject`, []string{"no '*' wildcard", "'>'"}},
		{"orders.new", []string{"x.{{wildcard(1)}}"}, `mappings["orders.new"][0].subject`, []string{"has none", "partition", "random"}},
		{"orders.new", []string{"{{split(1,-)}}"}, `mappings["orders.new"][0].subject`, []string{"has none"}},
		{"orders.*", []string{"x.*"}, `mappings["orders.*"][0].subject`, []string{"'*' token", "{{wildcard(n)}}"}},
		{"orders.>", []string{"x"}, `mappings["orders.>"][0].subject`, []string{"ends in '>'", "end it in '>' too"}},
		{"orders", []string{"x.>"}, `mappings["orders"][0].subject`, []string{"may end in '>' only when its source does"}},
		{"orders.*", []string{"{{ wildcard(1) }}"}, `mappings["orders.*"][0].subject`, []string{"spaces", "not even inside {{ }}", "{{wildcard(1)}}"}},
		{"orders.*", []string{"{{hash(1)}}"}, `mappings["orders.*"][0].subject`, []string{"not a mapping function", "splitFromLeft", "random"}},
		{"orders.*", []string{"{{WILDCARD(1)}}"}, `mappings["orders.*"][0].subject`, []string{"not a mapping function"}},
		{"orders.*", []string{"{{wildcard()}}"}, `mappings["orders.*"][0].subject`, []string{"needs 1 argument, got 0", "(wildcard index)"}},
		{"orders.*", []string{"{{left(1)}}"}, `mappings["orders.*"][0].subject`, []string{"needs 2 arguments, got 1", "left takes (wildcard index, length)"}},
		{"orders.*", []string{"{{sliceFromLeft(1,2,3)}}"}, `mappings["orders.*"][0].subject`, []string{"got 3"}},
		{"orders.*", []string{"{{right(1,x)}}"}, `mappings["orders.*"][0].subject`, []string{`"x" is not a 32-bit integer`}},
		{"orders.*", []string{"{{splitFromRight(one,2)}}"}, `mappings["orders.*"][0].subject`, []string{`wildcard index "one" is not an integer`}},
		{"orders.*", []string{"{{partition(many,1)}}"}, `mappings["orders.*"][0].subject`, []string{`"many" is not an integer up to 2147483647`}},
		{"orders.*", []string{"{{random(2147483648)}}"}, `mappings["orders.*"][0].subject`, []string{"up to 2147483647"}},
		{"orders.*", []string{"{{split(1,-,_)}}"}, `mappings["orders.*"][0].subject`, []string{"needs 2 arguments, got 3", "(wildcard index, delimiter)"}},
		{"orders", []string{"a", "b", "a"}, `mappings["orders"][2].subject`, []string{`"a" is already the destination at [0]`}},
		{"orders", []string{""}, `mappings["orders"][0].subject`, []string{"empty"}},
		{"orders", []string{"x\x00"}, `mappings["orders"][0].subject`, []string{"control characters", "U+0000"}},
	}
	for _, tc := range cases {
		t.Run(tc.source+" -> "+strings.Join(tc.dests, ","), func(t *testing.T) {
			_, err := AccountClaims(testPub(t, "account"), mappingSpec(mappingtable.Row{Source: tc.source, Dests: tc.dests}))
			wantIssue(t, err, tc.field, tc.frag...)
		})
	}
}

// TestMappingDuplicateAcrossClusters: the server keys destinations by
// subject alone, so the same subject in two clusters is still a duplicate.
func TestMappingDuplicateAcrossClusters(t *testing.T) {
	spec := AccountSpec{Mappings: map[string][]WeightedMapping{
		"orders": {{Subject: "a", Cluster: "east"}, {Subject: "a", Cluster: "west"}},
	}}
	_, err := AccountClaims(testPub(t, "account"), spec)
	wantIssue(t, err, `mappings["orders"][1].subject`, "already the destination at [0]", "different clusters")
}

// TestMappingBadSourceSkipsTransform: a bad source is reported once, at
// the source, not again at every destination that refers to it.
func TestMappingBadSourceSkipsTransform(t *testing.T) {
	spec := AccountSpec{Mappings: map[string][]WeightedMapping{"a..*": {{Subject: "x.$1"}}}}
	_, err := AccountClaims(testPub(t, "account"), spec)
	if got := issueFields(t, err); len(got) != 1 || got[0] != `mappings["a..*"]` {
		t.Errorf("issues at %v, want only the source", got)
	}
}
