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
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nats-io/jwt/v2"
)

// claimsVersion is the JWT format version jwt/v2 writes on Encode. Builders
// set it (and the claim type) up front so desired claims already look like
// what Decode returns.
const claimsVersion = 2

// subjectWhitespace are the characters the server refuses in subjects. jwt
// only rejects ' ', so a tab or newline would pass jwt and fail at runtime.
const subjectWhitespace = " \t\r\n\f"

// controlChar returns the first ASCII control character (C0 or DEL) in s.
// The server lets most of them through in subjects, but they corrupt logs
// and terminals, no client means them, and the CRDs refuse them; objects
// stored before that rule, and hand-built specs, still reach this package.
func controlChar(s string) (rune, bool) {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return r, true
		}
	}
	return 0, false
}

// checkSubject records problems with a NATS subject, following the server's
// rules: non-empty tokens, no whitespace, '>' only as the last token; and
// ours: valid UTF-8, no control characters.
func checkSubject(is *issues, path, s string) bool {
	switch {
	case s == "":
		is.add(path, "must not be empty")
		return false
	case !utf8.ValidString(s):
		is.add(path, "must be valid UTF-8")
		return false
	case strings.ContainsAny(s, subjectWhitespace):
		is.add(path, "subject %q must not contain whitespace", s)
		return false
	}
	if r, ok := controlChar(s); ok {
		is.add(path, "subject %q must not contain control characters (found %U)", s, r)
		return false
	}
	tokens := strings.Split(s, ".")
	for i, t := range tokens {
		if t == "" {
			is.add(path, "subject %q has an empty token (leading, trailing or double '.')", s)
			return false
		}
		if t == ">" && i != len(tokens)-1 {
			is.add(path, "subject %q may use '>' only as its last token", s)
			return false
		}
	}
	return true
}

// checkPermissionEntry checks one permission subject, optionally followed
// by a single space and a queue group name (subscribe permissions only).
func checkPermissionEntry(is *issues, path, entry string, allowQueue bool) {
	parts := strings.Split(entry, " ")
	switch {
	case len(parts) == 1:
		checkSubject(is, path, entry)
	case len(parts) == 2 && !allowQueue:
		is.add(path, "publish permission %q cannot name a queue group", entry)
	case len(parts) == 2:
		if checkSubject(is, path, parts[0]) {
			checkSubject(is, path, parts[1])
		}
	default:
		is.add(path, "%q must be a subject optionally followed by one space and a queue name", entry)
	}
}

// checkText records an issue when s is not valid UTF-8. JSON would silently
// replace the bad bytes, so the JWT would not say what the spec says.
func checkText(is *issues, path, s string) string {
	if !utf8.ValidString(s) {
		is.add(path, "must be valid UTF-8")
	}
	return s
}

// checkInfo applies jwt's Info rules (8 KiB caps; the URL needs a scheme
// and a host) with field paths.
func checkInfo(is *issues, path, description, infoURL string) jwt.Info {
	checkText(is, field(path, "description"), description)
	if len(description) > jwt.MaxInfoLength {
		is.add(field(path, "description"), "is %d bytes long, the limit is %d", len(description), jwt.MaxInfoLength)
	}
	if infoURL != "" {
		p := field(path, "infoURL")
		u, err := url.Parse(infoURL)
		switch {
		case len(infoURL) > jwt.MaxInfoLength:
			is.add(p, "is %d bytes long, the limit is %d", len(infoURL), jwt.MaxInfoLength)
		case err != nil:
			is.add(p, "is not a valid URL: %v", err)
		case u.Scheme == "" || u.Hostname() == "":
			is.add(p, "%q needs a scheme and a host, like https://example.com/docs", infoURL)
		}
	}
	return jwt.Info{Description: description, InfoURL: infoURL}
}

// limit converts an optional limit: nil means unlimited (-1). Values below
// -1 are rejected although jwt treats every negative number as unlimited,
// so there is exactly one spelling of "unlimited".
func limit(is *issues, path string, v *int64) int64 {
	if v == nil {
		return jwt.NoLimit
	}
	if *v < jwt.NoLimit {
		is.add(path, "is %d; use -1 (or leave it unset) for unlimited, or a number >= 0", *v)
	}
	return *v
}

// zeroUnlimited converts an optional limit whose jwt encoding of
// "unlimited" is 0 (MaxAckPending and the per-stream byte caps): nil, 0 and
// -1 all become 0 so equal meanings hash equally.
func zeroUnlimited(is *issues, path string, v *int64) int64 {
	if v == nil || *v == jwt.NoLimit {
		return 0
	}
	if *v < 0 {
		is.add(path, "is %d; use -1 (or leave it unset) for unlimited, or a number >= 0", *v)
	}
	return *v
}

// unixTime converts an optional time to jwt's unix seconds (0 = unset).
// jwt ignores exp/nbf <= 0, so a time at or before 1970 would silently
// mean "no expiry"; reject it instead.
func unixTime(is *issues, path string, t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	u := t.Unix()
	if u <= 0 {
		is.add(path, "%s is not after 1970-01-01T00:00:00Z; leave it unset instead", t.UTC().Format(time.RFC3339))
		return 0
	}
	return u
}

// buildTags normalises tags the way jwt's TagList.Add does (trim, lower
// case), then sorts and de-duplicates them so the output is deterministic.
// Control characters are refused before trimming, so a trailing tab or
// newline is reported rather than silently dropped.
func buildTags(is *issues, path string, tags []string) jwt.TagList {
	norm := make([]string, 0, len(tags))
	for i, t := range tags {
		p := index(path, i)
		if r, ok := controlChar(t); ok {
			is.add(p, "tag %q must not contain control characters (found %U)", t, r)
			continue
		}
		n := strings.ToLower(strings.TrimSpace(checkText(is, p, t)))
		if n == "" {
			is.add(p, "must not be empty")
			continue
		}
		norm = append(norm, n)
	}
	if len(norm) == 0 {
		return nil
	}
	slices.Sort(norm)
	return jwt.TagList(slices.Compact(norm))
}

// sortedUnique returns a sorted copy of list without duplicates, or nil.
func sortedUnique(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	out := slices.Clone(list)
	slices.Sort(out)
	return slices.Compact(out)
}

// sortedKeys returns the keys of m in order, for deterministic iteration
// and therefore deterministic issue order.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// buildRevocations validates a revocation map: keys are public keys of
// kind or "*", values are unix times after 1970.
func buildRevocations(is *issues, path string, m map[string]int64, kind KeyKind) jwt.RevocationList {
	if len(m) == 0 {
		return nil
	}
	out := make(jwt.RevocationList, len(m))
	for _, k := range sortedKeys(m) {
		p := mapKey(path, k)
		if k != jwt.All {
			checkPublicKey(is, p, k, kind)
		}
		if m[k] <= 0 {
			is.add(p, "revocation time %d must be a unix time after 1970", m[k])
		}
		out[k] = m[k]
	}
	return out
}

// exportType converts a spec type string to jwt's enum.
func exportType(is *issues, path, t string) jwt.ExportType {
	switch t {
	case ExportStream:
		return jwt.Stream
	case ExportService:
		return jwt.Service
	}
	is.add(path, "is %q; must be %q or %q", t, ExportStream, ExportService)
	return jwt.Unknown
}

// describe is a tiny helper for messages that name a count.
func describe(n int, what string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}
