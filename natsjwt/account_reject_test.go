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
	"time"
)

// accountRejectCase edits a valid full spec so that it must fail with an
// issue at field whose message contains every frag.
type accountRejectCase struct {
	name  string
	edit  func(*AccountSpec)
	field string
	frag  []string
}

func accountRejectCases(t *testing.T) []accountRejectCase {
	acc2 := testPub(t, "account2")
	return []accountRejectCase{
		{"empty export subject", func(s *AccountSpec) { s.Exports[0].Subject = "" }, "exports[0].subject", []string{"empty"}},
		{"export subject with space", func(s *AccountSpec) { s.Exports[0].Subject = "a b" }, "exports[0].subject", []string{"whitespace"}},
		{"export subject with tab", func(s *AccountSpec) { s.Exports[0].Subject = "a\tb" }, "exports[0].subject", []string{"whitespace"}},
		{"export subject trailing dot", func(s *AccountSpec) { s.Exports[0].Subject = "orders." }, "exports[0].subject", []string{"empty token"}},
		{"export > not last", func(s *AccountSpec) { s.Exports[0].Subject = "a.>.b" }, "exports[0].subject", []string{"last token"}},
		{"export bad type", func(s *AccountSpec) { s.Exports[0].Type = "Stream" }, "exports[0].type", []string{`"stream"`}},
		{"stream with response type", func(s *AccountSpec) { s.Exports[0].ResponseType = "Stream" }, "exports[0].responseType", []string{"only valid for service"}},
		{"service bad response type", func(s *AccountSpec) { s.Exports[1].ResponseType = "Many" }, "exports[1].responseType", []string{"Singleton"}},
		{"negative threshold", func(s *AccountSpec) { s.Exports[1].ResponseThreshold = -time.Second }, "exports[1].responseThreshold", []string{"negative"}},
		{"stream threshold", func(s *AccountSpec) { s.Exports[0].ResponseThreshold = time.Second }, "exports[0].responseThreshold", []string{"only valid"}},
		{"token position not wildcard", func(s *AccountSpec) { s.Exports[1].AccountTokenPosition = 2 }, "exports[1].accountTokenPosition", []string{"token 2"}},
		{"token position too large", func(s *AccountSpec) { s.Exports[1].AccountTokenPosition = 9 }, "exports[1].accountTokenPosition", nil},
		{"overlapping exports", func(s *AccountSpec) {
			s.Exports = append(s.Exports, Export{Subject: "orders.events.new", Type: ExportStream})
		}, "exports[2].subject", []string{"overlaps exports[0]"}},
		{"wildcard export forbidden", func(s *AccountSpec) { s.Limits.Wildcards = ptr(false); s.Limits.Exports = nil }, "exports[0].subject", []string{"limits.wildcards"}},
		{"export info url", func(s *AccountSpec) { s.Exports[1].InfoURL = "example.com" }, "exports[1].infoURL", []string{"scheme"}},
		{"export revocation key type", func(s *AccountSpec) { s.Exports[0].Revocations = map[string]int64{testPub(t, "user"): 5} }, `exports[0].revocations["` + testPub(t, "user") + `"]`, []string{"not an account public key"}},
		{"import bad account", func(s *AccountSpec) { s.Imports[1].Account = testPub(t, "operator") }, "imports[1].account", []string{"operator public key"}},
		{"import missing account", func(s *AccountSpec) { s.Imports[1].Account = "" }, "imports[1].account", []string{"empty"}},
		{"import bad local subject", func(s *AccountSpec) { s.Imports[1].LocalSubject = "ext.$1" }, "imports[1]", []string{">"}},
		{"import token for other importer", func(s *AccountSpec) { s.Imports[0].Token = activationTokenFor(t, "account2", "billing.api") }, "imports[0]", []string{"activation token"}},
		{"import garbage token", func(s *AccountSpec) { s.Imports[0].Token = "eyJnotatoken" }, "imports[0]", []string{"invalid activation token"}},
		{"stream import share", func(s *AccountSpec) { s.Imports[1].Share = true }, "imports[1].share", nil},
		{"service imports overlap", func(s *AccountSpec) {
			s.Imports = append(s.Imports, Import{Subject: "billing.>", Account: acc2, Type: ExportService})
		}, "imports[2]", []string{"overlaps imports[0]"}},
		{"too many imports", func(s *AccountSpec) { s.Limits.Imports = ptr[int64](1) }, "limits.imports", []string{"allows 1 import but the account has 2"}},
		{"limit below -1", func(s *AccountSpec) { s.Limits.Subs = ptr[int64](-2) }, "limits.subs", []string{"-1"}},
		{"jetstream and tiers", func(s *AccountSpec) { s.JetStreamTiers = map[string]JetStreamLimits{"R1": {}} }, "jetStream", []string{"jetStreamTiers"}},
		{"bad tier name", func(s *AccountSpec) { s.JetStream = nil; s.JetStreamTiers = map[string]JetStreamLimits{"r3": {}} }, `jetStreamTiers["r3"]`, []string{"R<replicas>"}},
		{"blank tier name", func(s *AccountSpec) { s.JetStream = nil; s.JetStreamTiers = map[string]JetStreamLimits{"": {}} }, `jetStreamTiers[""]`, nil},
		{"tier limit below -1", func(s *AccountSpec) {
			s.JetStream = nil
			s.JetStreamTiers = map[string]JetStreamLimits{"R3": {Streams: ptr[int64](-3)}}
		}, `jetStreamTiers["R3"].streams`, nil},
		{"max ack pending below -1", func(s *AccountSpec) { s.JetStream.MaxAckPending = ptr[int64](-2) }, "jetStream.maxAckPending", nil},
		{"pub permission with queue", func(s *AccountSpec) { s.DefaultPermissions.PubAllow = []string{"orders.> q"} }, "defaultPermissions.pubAllow[0]", []string{"queue"}},
		{"sub permission too many spaces", func(s *AccountSpec) { s.DefaultPermissions.SubDeny = []string{"a b c"} }, "defaultPermissions.subDeny[0]", nil},
		{"mapping weight over 100", func(s *AccountSpec) { s.Mappings["orders.new"][0].Weight = 150 }, `mappings["orders.new"][0].weight`, []string{"150"}},
		{"mapping weights sum", func(s *AccountSpec) { s.Mappings["orders.new"][1].Weight = 0 }, `mappings["orders.new"]`, []string{"190%"}},
		{"mapping cluster sum", func(s *AccountSpec) {
			s.Mappings["orders.eu"] = []WeightedMapping{{Subject: "x", Cluster: "eu", Weight: 60}, {Subject: "y", Cluster: "eu", Weight: 60}}
		}, `mappings["orders.eu"]`, []string{`cluster "eu"`}},
		{"mapping without destinations", func(s *AccountSpec) { s.Mappings["empty"] = nil }, `mappings["empty"]`, []string{"at least one"}},
		{"mapping bad source", func(s *AccountSpec) { s.Mappings["a..b"] = []WeightedMapping{{Subject: "c"}} }, `mappings["a..b"]`, nil},
		{"mapping bad destination", func(s *AccountSpec) { s.Mappings["a"] = []WeightedMapping{{Subject: "c d"}} }, `mappings["a"][0].subject`, nil},
		{"mapping wildcard the source lacks", func(s *AccountSpec) { s.Mappings["orders.*"] = []WeightedMapping{{Subject: "x.{{wildcard(2)}}"}} },
			`mappings["orders.*"][0].subject`, []string{"uses wildcard 2", `"orders.*" has 1 wildcard`}},
		{"mapping duplicate destination", func(s *AccountSpec) { s.Mappings["orders.new"][1].Subject = "orders.new.v1" },
			`mappings["orders.new"][1].subject`, []string{"already the destination"}},
		{"signing key wrong type", func(s *AccountSpec) { s.SigningKeys = []string{testPub(t, "user")} }, "signingKeys[0]", []string{"is a user public key, not an account public key"}},
		{"signing key is identity", func(s *AccountSpec) { s.SigningKeys = []string{testPub(t, "account")} }, "signingKeys[0]", []string{"identity"}},
		{"signing key twice", func(s *AccountSpec) { s.ScopedSigningKeys[0].Key = testPub(t, "account-signing") }, "scopedSigningKeys[0].key", []string{"signingKeys[0]"}},
		{"scoped template subs 0", func(s *AccountSpec) { s.ScopedSigningKeys[0].Template.Subs = ptr[int64](0) }, "scopedSigningKeys[0].template.subs", []string{"cannot be 0"}},
		{"scoped template bad cidr", func(s *AccountSpec) { s.ScopedSigningKeys[0].Template.Src = []string{"10.0.0.0"} }, "scopedSigningKeys[0].template.src[0]", []string{"CIDR"}},
		{"revocation bad key", func(s *AccountSpec) { s.Revocations = map[string]int64{testPub(t, "account2"): 5} }, `revocations["` + acc2 + `"]`, []string{"not a user public key"}},
		{"revocation zero time", func(s *AccountSpec) { s.Revocations = map[string]int64{"*": 0} }, `revocations["*"]`, []string{"after 1970"}},
		{"expires before 1970", func(s *AccountSpec) { s.Expires = time.Unix(-5, 0) }, "expires", []string{"1970"}},
		{"bad info url", func(s *AccountSpec) { s.InfoURL = "/relative" }, "infoURL", nil},
		{"long description", func(s *AccountSpec) { s.Description = strings.Repeat("x", 8*1024+1) }, "description", []string{"8192"}},
		{"invalid utf-8 name", func(s *AccountSpec) { s.Name = "bad\xff" }, "name", []string{"UTF-8"}},
		{"empty tag", func(s *AccountSpec) { s.Tags = []string{" "} }, "tags[0]", nil},
	}
}

func TestAccountClaimsRejects(t *testing.T) {
	for _, tc := range accountRejectCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			spec := fullAccountSpec(t)
			tc.edit(&spec)
			ac, err := AccountClaims(testPub(t, "account"), spec)
			if ac != nil {
				t.Errorf("got claims along with the error")
			}
			wantIssue(t, err, tc.field, tc.frag...)
		})
	}
}

// activationTokenFor returns an activation for importer (a test key name),
// signed by account2.
func activationTokenFor(t testing.TB, importer, subject string) string {
	t.Helper()
	ac, err := ActivationClaims(testPub(t, importer), subject, ExportService, "", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := Sign(ac, testKey(t, "account2"))
	if err != nil {
		t.Fatal(err)
	}
	return token
}
