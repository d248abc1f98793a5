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
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/nats-io/jwt/v2"
)

// Sentinel errors. Controllers classify with errors.Is and never by matching
// message text. Every error caused by the input (spec, keys, claims, creds)
// wraps one of them; *ValidationError matches ErrInvalidSpec. All of them
// are terminal: retrying with the same input fails the same way. Errors
// wrapping none are programming errors (nil arguments, unsupported claim
// types) or failures inside jwt/nkeys that should not happen.
var (
	// ErrInvalidSpec means the spec (or hand-built claims) cannot produce a
	// valid JWT. Retrying does not help; the user has to change the input.
	ErrInvalidSpec = errors.New("invalid spec")
	// ErrInvalidKey means a public key or seed is not a well-formed nkey.
	ErrInvalidKey = errors.New("invalid nkey")
	// ErrWrongKeyType means a well-formed nkey has the wrong type for its use,
	// for example an account seed where an operator seed was expected.
	ErrWrongKeyType = errors.New("wrong nkey type")
	// ErrExpired means claims would be (or are) past their expiry.
	ErrExpired = errors.New("claims expired")
	// ErrNotYetValid means claims carry a not-before time in the future.
	ErrNotYetValid = errors.New("claims not yet valid")
	// ErrInvalidCreds means a creds file or its parts do not fit together.
	ErrInvalidCreds = errors.New("invalid creds")
)

// Issue is one problem found while validating a spec.
type Issue struct {
	// Field is the path of the offending spec field, such as
	// `exports[0].subject` or `jetStreamTiers["R3"].memStorage`. Paths use
	// the lowerCamelCase names of the spec types so controllers can prefix
	// them with their CRD path (for example "spec."). Field is empty when the
	// issue concerns the claims as a whole.
	Field string
	// Message says what is wrong in words a user can act on. It never
	// contains a private seed.
	Message string
}

// String renders the issue as "field: message".
func (i Issue) String() string {
	if i.Field == "" {
		return i.Message
	}
	return i.Field + ": " + i.Message
}

// ValidationError lists every blocking problem found in one spec, so a user
// can fix them all in one edit instead of one per reconcile.
type ValidationError struct {
	// Claim is the claim kind that failed: operator, account, user,
	// activation or delete request.
	Claim string
	// Issues holds at least one issue, in the order they were found.
	Issues []Issue
}

// Error joins all issues into one line.
func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Issues))
	for i, is := range e.Issues {
		parts[i] = is.String()
	}
	return fmt.Sprintf("invalid %s claims: %s", e.Claim, strings.Join(parts, "; "))
}

// Is makes errors.Is(err, ErrInvalidSpec) true for every ValidationError.
func (e *ValidationError) Is(target error) bool {
	return target == ErrInvalidSpec
}

// secretPattern matches encoded nkey seeds (S + 57 base32 chars) and raw
// private keys (P + 106). jwt/v2 echoes offending values in some of its
// messages ("%s is not an operator public key"), so a seed pasted into a
// key field would otherwise end up in an error, a status condition and an
// event.
var secretPattern = regexp.MustCompile(`S[A-Z2-7]{57}|P[A-Z2-7]{106}`)

// redact replaces anything that looks like a seed or private key.
func redact(s string) string {
	return secretPattern.ReplaceAllString(s, "<redacted secret>")
}

// issues collects Issue values while a builder walks a spec. Builders keep
// going after the first problem so the final error lists all of them.
type issues struct {
	list []Issue
}

// add records a problem at path. Every message passes through redact.
func (s *issues) add(path, format string, args ...any) {
	s.list = append(s.list, Issue{Field: path, Message: redact(fmt.Sprintf(format, args...))})
}

// count reports how many issues were recorded so far; builders compare
// counts to know whether one element added problems.
func (s *issues) count() int {
	return len(s.list)
}

// addJWT copies the blocking issues from a jwt validation run. Time checks
// are skipped on purpose: jwt computes them from the wall clock, which would
// make the builders non-deterministic; see CheckTimes and Sign instead.
func (s *issues) addJWT(path string, vr *jwt.ValidationResults) {
	for _, vi := range vr.Issues {
		if vi.Blocking {
			s.add(path, "%s", vi.Description)
		}
	}
}

// finish runs jwt's own Validate as a safety net when our checks found
// nothing, then turns the collected issues into an error. Our checks are a
// stricter superset of jwt's (with field paths); running jwt's only when they
// pass avoids reporting the same problem twice in two wordings, while still
// guaranteeing we never return claims jwt itself considers invalid.
func (s *issues) finish(claim string, c jwt.Claims) error {
	if len(s.list) == 0 && c != nil {
		vr := jwt.CreateValidationResults()
		c.Validate(vr)
		s.addJWT("", vr)
	}
	return s.err(claim)
}

// err returns nil or a *ValidationError holding a copy of the issues.
func (s *issues) err(claim string) error {
	if len(s.list) == 0 {
		return nil
	}
	return &ValidationError{Claim: claim, Issues: append([]Issue(nil), s.list...)}
}

// Path helpers. They keep path formatting in one place so every builder
// produces the same shapes.

// field joins a parent path and a field name with a dot.
func field(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// index appends a list index: exports[3].
func index(parent string, i int) string {
	return fmt.Sprintf("%s[%d]", parent, i)
}

// mapKey appends a quoted map key: mappings["foo.*"].
func mapKey(parent, k string) string {
	return fmt.Sprintf("%s[%q]", parent, redact(k))
}
