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
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// Mapping destinations are checked as nats-server 2.15.2 checks them when
// an account JWT is pushed: claimValidate runs validateAccountClaimMappings
// (server/accounts.go), which runs ValidateMapping (server/sublist.go) and
// NewSubjectTransform (server/subject_transform.go) on every destination.
// One destination the server cannot build makes it refuse the whole JWT,
// so such a spec must fail here, before anything is signed.
//
// The rules, in the server's terms:
//   - both subjects are valid; the destination has no '*' token;
//   - the destination ends in '>' exactly when the source does;
//   - a token "$N" (N an integer) reads wildcard N; "$x" is literal;
//   - a token that starts with "{{", ends with "}}" and is longer than 4
//     bytes must name a known function with well-formed arguments, even
//     where the source has no wildcards;
//   - a source without '*' or '>' allows only partition and random;
//   - otherwise no wildcard index may exceed the number of '*' in the
//     source. The server sets no lower bound (0 and negative indexes read
//     the first token), so neither do we.

// destFunc is a function nats-server knows in a destination token, such as
// {{wildcard(1)}}.
type destFunc struct {
	name  string
	usage string // argument list, for messages
	args  argShape
	re    *regexp.Regexp
}

// argShape is how a function's arguments are parsed.
type argShape int

const (
	argIndex     argShape = iota // (wildcard index)
	argPartition                 // (count, wildcard index...)
	argIndexInt                  // (wildcard index, int32)
	argSplit                     // (wildcard index, delimiter)
	argCount                     // (count)
)

// destFuncs are in the order the server tries them: a token that matches
// two patterns (possible, since they are not anchored) is the first one's.
var destFuncs = []destFunc{
	newDestFunc("wildcard", "(wildcard index)", argIndex),
	newDestFunc("partition", "(number of partitions, wildcard index...)", argPartition),
	newDestFunc("splitFromLeft", "(wildcard index, position)", argIndexInt),
	newDestFunc("splitFromRight", "(wildcard index, position)", argIndexInt),
	newDestFunc("sliceFromLeft", "(wildcard index, slice size)", argIndexInt),
	newDestFunc("sliceFromRight", "(wildcard index, slice size)", argIndexInt),
	newDestFunc("right", "(wildcard index, length)", argIndexInt),
	newDestFunc("left", "(wildcard index, length)", argIndexInt),
	newDestFunc("split", "(wildcard index, delimiter)", argSplit),
	newDestFunc("random", "(number of values)", argCount),
}

// destFuncNames lists the functions for the unknown-function message.
var destFuncNames = func() string {
	names := make([]string, len(destFuncs))
	for i, f := range destFuncs {
		names[i] = f.name
	}
	return strings.Join(names, ", ")
}()

// newDestFunc builds the server's pattern for a function name: the first
// letter of each camel-case word may be either case, whitespace may
// surround the name and the parentheses, and the match is not anchored
// (the token only has to start with "{{" and end with "}}").
func newDestFunc(name, usage string, args argShape) destFunc {
	var b strings.Builder
	b.WriteString(`\{\{\s*`)
	for i, r := range name {
		if i == 0 || unicode.IsUpper(r) {
			fmt.Fprintf(&b, "[%c%c]", unicode.ToLower(r), unicode.ToUpper(r))
		} else {
			b.WriteRune(r)
		}
	}
	b.WriteString(`\s*\((.*)\)\s*\}\}`)
	return destFunc{name: name, usage: usage, args: args, re: regexp.MustCompile(b.String())}
}

// destToken is what one destination token does: fn is "" for a literal
// token, and indexes are the source wildcards it reads.
type destToken struct {
	fn      string
	indexes []int
}

// parseDestToken reads one destination token. The problem is "" when the
// server would accept the token on its own.
func parseDestToken(tok string) (destToken, string) {
	if len(tok) > 1 && tok[0] == '$' {
		// Legacy $N. The server treats anything else after '$' as literal.
		if n, err := strconv.Atoi(tok[1:]); err == nil {
			return destToken{fn: "wildcard", indexes: []int{n}}, ""
		}
		return destToken{}, ""
	}
	if len(tok) <= 4 || !strings.HasPrefix(tok, "{{") || !strings.HasSuffix(tok, "}}") {
		return destToken{}, ""
	}
	for _, f := range destFuncs {
		if m := f.re.FindStringSubmatch(tok); m != nil {
			return f.parse(tok, splitArgs(m[1]))
		}
	}
	return destToken{}, fmt.Sprintf("%q is not a mapping function nats-server knows (%s); write for example {{wildcard(1)}}", tok, destFuncNames)
}

// splitArgs splits an argument list at commas, dropping whitespace after
// each comma, as the server does. An empty list is one empty argument.
func splitArgs(s string) []string {
	parts := strings.Split(s, ",")
	for i := 1; i < len(parts); i++ {
		parts[i] = strings.TrimLeft(parts[i], " \t\n\f\r")
	}
	return parts
}

// parse checks the arguments of a token that matched f.
func (f destFunc) parse(tok string, args []string) (destToken, string) {
	bad := func(problem string) (destToken, string) {
		return destToken{}, fmt.Sprintf("%q: %s; %s takes %s", tok, problem, f.name, f.usage)
	}
	indexes, problem := f.checkArgs(args)
	if problem != "" {
		return bad(problem)
	}
	dt := destToken{fn: f.name, indexes: make([]int, 0, len(indexes))}
	for _, a := range indexes {
		n, ok := intArg(a, math.MaxInt)
		if !ok {
			return bad(fmt.Sprintf("the wildcard index %q is not an integer", a))
		}
		dt.indexes = append(dt.indexes, n)
	}
	return dt, ""
}

// checkArgs checks the number of arguments and those that are not
// wildcard indexes, and returns the wildcard indexes still to parse.
func (f destFunc) checkArgs(args []string) ([]string, string) {
	given := len(args)
	if given == 1 && args[0] == "" {
		given = 0
	}
	count := func(want int) string {
		return fmt.Sprintf("needs %s, got %d", describe(want, "argument"), given)
	}
	switch f.args {
	case argIndex:
		if given != 1 {
			return nil, count(1)
		}
		return args, ""
	case argCount:
		if given != 1 {
			return nil, count(1)
		}
		return nil, countProblem(args[0])
	case argPartition:
		if p := countProblem(args[0]); p != "" {
			return nil, p
		}
		return args[1:], ""
	case argIndexInt:
		if len(args) != 2 {
			return nil, count(2)
		}
		if _, err := strconv.ParseInt(strings.Trim(args[1], " "), 10, 32); err != nil {
			return nil, fmt.Sprintf("%q is not a 32-bit integer", args[1])
		}
	case argSplit:
		if len(args) != 2 {
			return nil, count(2)
		}
		if strings.ContainsAny(args[1], " .") {
			return nil, fmt.Sprintf("the delimiter %q contains a space or '.'", args[1])
		}
	}
	return args[:1], ""
}

// countProblem checks a count argument (partitions, random values); the
// server caps it at the int32 maximum but sets no lower bound.
func countProblem(a string) string {
	if _, ok := intArg(a, math.MaxInt32); !ok {
		return fmt.Sprintf("%q is not an integer up to %d", a, math.MaxInt32)
	}
	return ""
}

// intArg parses a decimal argument the way the server does (spaces around
// it ignored, an optional sign) and applies an upper bound.
func intArg(s string, limit int) (int, bool) {
	n, err := strconv.Atoi(strings.Trim(s, " "))
	return n, err == nil && n <= limit
}

// transformProblem says why nats-server would refuse dest as a mapping
// destination of src, or returns "". Both must have passed checkSubject.
func transformProblem(src, dest string) string {
	stoks, dtoks := strings.Split(src, "."), strings.Split(dest, ".")
	npwc := 0
	for _, t := range stoks {
		if t == "*" {
			npwc++
		}
	}
	sfwc, dfwc := stoks[len(stoks)-1] == ">", dtoks[len(dtoks)-1] == ">"
	for _, t := range dtoks {
		if t == "*" {
			return fmt.Sprintf("destination %q has a '*' token, which a destination cannot have; write {{wildcard(n)}} (or $n) to insert what the source's n-th '*' matched", dest)
		}
	}
	switch {
	case sfwc && !dfwc:
		return fmt.Sprintf("the source %q ends in '>' but the destination %q does not; end it in '>' too, which passes on the tokens '>' matched", src, dest)
	case dfwc && !sfwc:
		return fmt.Sprintf("the destination %q ends in '>' but the source %q does not; a destination may end in '>' only when its source does", dest, src)
	}
	for _, t := range dtoks {
		dt, problem := parseDestToken(t)
		if problem == "" {
			problem = indexProblem(t, dt, src, npwc, sfwc)
		}
		if problem != "" {
			return problem
		}
	}
	return ""
}

// indexProblem checks the wildcards a destination token reads against the
// source, which has npwc '*' tokens and ends in '>' when fwc.
func indexProblem(tok string, dt destToken, src string, npwc int, fwc bool) string {
	switch {
	case dt.fn == "" || dt.fn == "random":
		return ""
	case npwc == 0 && !fwc:
		if dt.fn == "partition" {
			return "" // the server ignores its indexes here and hashes the whole subject
		}
		return fmt.Sprintf("%q reads a wildcard, but the source %q has none; a source without wildcards allows only {{partition(n)}} and {{random(n)}}", tok, src)
	}
	for _, n := range dt.indexes {
		switch {
		case n <= npwc:
		case npwc == 0:
			return fmt.Sprintf("%q uses wildcard %d but the source %q has no '*' wildcard; what '>' matches cannot be referenced, only passed on by ending the destination in '>'", tok, n, src)
		default:
			return fmt.Sprintf("%q uses wildcard %d but the source %q has %s; wildcards are numbered from 1 in source order", tok, n, src, describe(npwc, "wildcard"))
		}
	}
	return ""
}

// checkMappingDest records why nats-server would refuse dest as a
// destination of src. srcOK says src passed checkSubject; without it only
// dest's own syntax is checked.
func checkMappingDest(is *issues, path, src, dest string, srcOK bool) {
	if strings.Contains(dest, " ") {
		// The server's transform parser allows "{{ wildcard(1) }}", but
		// jwt's Subject.Validate, which the server runs first, refuses
		// any space, so the whole account JWT is refused.
		is.add(path, "destination %q must not contain spaces, not even inside {{ }}: nats-server refuses the account JWT; write for example {{wildcard(1)}}", dest)
		return
	}
	if !checkSubject(is, path, dest) || !srcOK {
		return
	}
	if problem := transformProblem(src, dest); problem != "" {
		is.add(path, "%s", problem)
	}
}
