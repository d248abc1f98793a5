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

// Package mappingtable reads natsjwt/testdata/mappings.txt, the table of subject mappings that
// natsjwt's unit tests check and test/e2e pushes to a real nats-server, so both read it alike.
package mappingtable

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Row is one (source, destinations) pair of the table with its expected verdict.
type Row struct {
	Line    string
	Verdict string // ok, bad or stricter (the server accepts it, natsjwt refuses it)
	Source  string
	Dests   []string
}

// Weight is the weight each destination gets: 10 when there are several, so that only the
// subjects decide a verdict, never the weight rules; 0 (meaning 100) for one.
func (r Row) Weight() uint8 {
	if len(r.Dests) > 1 {
		return 10
	}
	return 0
}

// Read parses the table at path (its header explains the format).
func Read(path string) ([]Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows []Row
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		row, err := parseRow(line)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		rows = append(rows, row)
	}
	return rows, sc.Err()
}

// parseRow reads `verdict "source" "dest"...`, the subjects as Go-quoted strings.
func parseRow(line string) (Row, error) {
	verdict, rest, _ := strings.Cut(line, " ")
	var subjects []string
	for rest = strings.TrimSpace(rest); rest != ""; rest = strings.TrimSpace(rest) {
		q, err := strconv.QuotedPrefix(rest)
		if err != nil {
			return Row{}, fmt.Errorf("%s: %v", line, err)
		}
		s, _ := strconv.Unquote(q)
		subjects = append(subjects, s)
		rest = rest[len(q):]
	}
	if len(subjects) < 2 || (verdict != "ok" && verdict != "bad" && verdict != "stricter") {
		return Row{}, fmt.Errorf("bad line %s", line)
	}
	return Row{Line: line, Verdict: verdict, Source: subjects[0], Dests: subjects[1:]}, nil
}
