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
	"fmt"
	"testing"
	"time"
)

// controlChars are the characters checkSubject refuses beyond whitespace:
// C0 controls that are not whitespace, and DEL.
var controlChars = []string{"\x00", "\x01", "\x1b", "\x1f", "\x7f", "\v"}

// controlCase puts a control character c into one field of a builder's
// spec and returns the builder's error.
type controlCase struct {
	name  string
	field string
	build func(t *testing.T, c string) error
}

func controlCases() []controlCase {
	account := func(edit func(*AccountSpec, string)) func(*testing.T, string) error {
		return func(t *testing.T, c string) error {
			spec := fullAccountSpec(t)
			edit(&spec, c)
			_, err := AccountClaims(testPub(t, "account"), spec)
			return err
		}
	}
	user := func(edit func(*UserSpec, string)) func(*testing.T, string) error {
		return func(t *testing.T, c string) error {
			spec := fullUserSpec(t)
			edit(&spec, c)
			_, err := UserClaims(testPub(t, "user"), spec)
			return err
		}
	}
	return []controlCase{
		{"export subject", "exports[0].subject", account(func(s *AccountSpec, c string) { s.Exports[0].Subject = "orders" + c + ".>" })},
		{"import subject", "imports[1].subject", account(func(s *AccountSpec, c string) { s.Imports[1].Subject = "prices.*." + c })},
		{"import local subject", "imports[1].localSubject", account(func(s *AccountSpec, c string) { s.Imports[1].LocalSubject = "ext" + c + ".$1.>" })},
		{"mapping source", "", account(func(s *AccountSpec, c string) { s.Mappings["a"+c+"b"] = []WeightedMapping{{Subject: "x"}} })},
		{"mapping destination", `mappings["orders.new"][0].subject`, account(func(s *AccountSpec, c string) { s.Mappings["orders.new"][0].Subject = "v1" + c })},
		{"mapping function", `mappings["orders.new"][1].subject`, account(func(s *AccountSpec, c string) {
			s.Mappings["orders.new"][1].Subject = "{{random(" + c + "3)}}"
		})},
		{"default pub permission", "defaultPermissions.pubAllow[0]", account(func(s *AccountSpec, c string) { s.DefaultPermissions.PubAllow[0] = c + "orders.>" })},
		{"default queue name", "defaultPermissions.subAllow[0]", account(func(s *AccountSpec, c string) { s.DefaultPermissions.SubAllow[0] = "orders.* work" + c })},
		{"scoped template subject", "scopedSigningKeys[0].template.pubAllow[0]", account(func(s *AccountSpec, c string) {
			s.ScopedSigningKeys[0].Template.PubAllow = []string{"a." + c}
		})},
		{"account tag", "tags[1]", account(func(s *AccountSpec, c string) { s.Tags[1] = "env:" + c + "prod" })},
		{"account tag trailing", "tags[0]", account(func(s *AccountSpec, c string) { s.Tags[0] = "team" + c })},
		{"user pub deny", "pubDeny[0]", user(func(s *UserSpec, c string) { s.PubDeny[0] = "orders." + c })},
		{"user queue name", "subAllow[0]", user(func(s *UserSpec, c string) { s.SubAllow[0] = "orders.jobs " + c + "workers" })},
		{"user tag", "tags[0]", user(func(s *UserSpec, c string) { s.Tags[0] = c })},
		{"operator tag", "tags[0]", func(t *testing.T, c string) error {
			spec := fullOperatorSpec(t)
			spec.Tags[0] = "prod" + c
			_, err := OperatorClaims(testPub(t, "operator"), spec)
			return err
		}},
		{"activation subject", "subject", func(t *testing.T, c string) error {
			_, err := ActivationClaims(testPub(t, "account"), "billing"+c+".api", ExportService, "", time.Time{})
			return err
		}},
	}
}

// TestControlCharactersRefused puts every control character into every
// field that carries a subject, a queue name or a tag.
func TestControlCharactersRefused(t *testing.T) {
	for _, tc := range controlCases() {
		for _, c := range controlChars {
			t.Run(fmt.Sprintf("%s/%U", tc.name, []rune(c)[0]), func(t *testing.T) {
				field := tc.field
				if field == "" { // the mapping source is itself the path
					field = mapKey("mappings", "a"+c+"b")
				}
				wantIssue(t, tc.build(t, c), field, "control character", fmt.Sprintf("%U", []rune(c)[0]))
			})
		}
	}
}

// TestWhitespaceStillSaysWhitespace keeps the older, clearer message for
// tabs and newlines, which are controls and whitespace at once.
func TestWhitespaceStillSaysWhitespace(t *testing.T) {
	for _, c := range []string{"\t", "\n", "\r", "\f"} {
		spec := fullAccountSpec(t)
		spec.Exports[0].Subject = "a" + c + "b"
		_, err := AccountClaims(testPub(t, "account"), spec)
		wantIssue(t, err, "exports[0].subject", "whitespace")
	}
}
