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

package e2e

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats.go"

	"github.com/natsauth/nats-auth-operator/natsjwt"
	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// mappingTable is shared with natsjwt's unit tests; its header explains the format.
const mappingTable = "../../natsjwt/testdata/mappings.txt"

// mappingRow is one (source, destinations) pair of the table with its expected verdict.
type mappingRow struct {
	line, verdict, source string
	dests                 []string
}

// readMappingRows parses the table. natsjwt's mapping_test.go has the same parser; a test file
// cannot import another package's tests.
func readMappingRows(t *testing.T) []mappingRow {
	t.Helper()
	f, err := os.Open(mappingTable)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []mappingRow
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		verdict, rest, _ := strings.Cut(line, " ")
		var subjects []string
		for rest = strings.TrimSpace(rest); rest != ""; rest = strings.TrimSpace(rest) {
			q, err := strconv.QuotedPrefix(rest)
			if err != nil {
				t.Fatalf("%s: %s: %v", mappingTable, line, err)
			}
			s, _ := strconv.Unquote(q)
			subjects = append(subjects, s)
			rest = rest[len(q):]
		}
		if len(subjects) < 2 {
			t.Fatalf("%s: bad line %s", mappingTable, line)
		}
		rows = append(rows, mappingRow{line: line, verdict: verdict, source: subjects[0], dests: subjects[1:]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// weightedDests gives several destinations weight 10 each, so the weight rules never decide.
func (r mappingRow) weightedDests() []natsjwt.WeightedMapping {
	var weight uint8
	if len(r.dests) > 1 {
		weight = 10
	}
	out := make([]natsjwt.WeightedMapping, len(r.dests))
	for i, d := range r.dests {
		out[i] = natsjwt.WeightedMapping{Subject: d, Weight: weight}
	}
	return out
}

// rawAccountJWT signs an account carrying the row's mapping with jwt/v2 directly: jwt's Encode
// does not validate, so the server sees the mapping whatever natsjwt thinks of it.
func (w *world) rawAccountJWT(t *testing.T, pub string, r mappingRow) string {
	t.Helper()
	ac := jwt.NewAccountClaims(pub)
	ac.Name = "mapping"
	for _, d := range r.weightedDests() {
		ac.Mappings[jwt.Subject(r.source)] = append(ac.Mappings[jwt.Subject(r.source)],
			jwt.WeightedMapping{Subject: jwt.Subject(d.Subject), Weight: d.Weight})
	}
	token, err := ac.Encode(w.opSigning)
	if err != nil {
		t.Fatalf("%s: encode: %v", r.line, err)
	}
	return token
}

// pushVerdict sends an account JWT to $SYS.REQ.CLAIMS.UPDATE and returns the reply code (200
// when stored), the server's message and its version.
func pushVerdict(t *testing.T, sys *nats.Conn, accountJWT string) (int, string, string) {
	t.Helper()
	msg, err := sys.Request("$SYS.REQ.CLAIMS.UPDATE", []byte(accountJWT), 5*time.Second)
	if err != nil {
		t.Fatalf("push: %v", err)
	}
	var reply struct {
		Server struct{ Ver string } `json:"server"`
		Data   *struct {
			Code    int
			Message string
		} `json:"data"`
		Error *struct {
			Code        int
			Description string
		} `json:"error"`
	}
	if err := json.Unmarshal(msg.Data, &reply); err != nil {
		t.Fatalf("push reply %q: %v", msg.Data, err)
	}
	switch {
	case reply.Error != nil:
		return reply.Error.Code, reply.Error.Description, reply.Server.Ver
	case reply.Data != nil:
		return reply.Data.Code, reply.Data.Message, reply.Server.Ver
	}
	t.Fatalf("push reply %q has neither data nor error", msg.Data)
	return 0, "", ""
}

// TestMappingVerdictsMatchNatsServer pushes an account JWT for every row of the mapping table to
// a real nats-server (operator mode, full resolver) as the system account's user, and checks
// that the server stores it exactly when natsjwt.AccountClaims accepts the same mapping. Rows
// marked stricter are the deliberate exceptions: natsjwt refuses, the server stores.
func TestMappingVerdictsMatchNatsServer(t *testing.T) {
	rows := readMappingRows(t)
	w := newWorld(t)
	srv := testbed.StartNatsServer(t, testbed.NatsOptions{OperatorJWT: w.operatorJWT,
		SystemAccountPub: w.sysPub, SystemAccountJWT: w.sysJWT})
	sysCreds, _, _ := creds(t, w.sysPub, w.sysSigning, natsjwt.UserSpec{Name: "pusher"})
	sys, err := connectCreds(t, srv.ClientURL(), sysCreds)
	if err != nil {
		t.Fatalf("system user connect: %v", err)
	}
	defer sys.Close()

	counts := map[string]int{}
	var version string
	for _, r := range rows {
		// A fresh account per row, so no push can be mistaken for an update of an earlier one.
		pub := must(must(natsjwt.NewKey(natsjwt.KindAccount)).PublicKey())
		code, message, ver := pushVerdict(t, sys, w.rawAccountJWT(t, pub, r))
		version = ver
		_, err := natsjwt.AccountClaims(pub, natsjwt.AccountSpec{Name: "mapping",
			Mappings: map[string][]natsjwt.WeightedMapping{r.source: r.weightedDests()}})
		if err != nil && !errors.Is(err, natsjwt.ErrInvalidSpec) {
			t.Fatalf("%s: natsjwt: unexpected error kind: %v", r.line, err)
		}
		serverOK, oursOK := code == 200, err == nil
		counts[r.verdict]++
		switch {
		case r.verdict == "stricter" && (!serverOK || oursOK):
			t.Errorf("%s: want server 200 and natsjwt refusing; server %d %q, natsjwt %v", r.line, code, message, err)
		case r.verdict != "stricter" && serverOK != oursOK:
			t.Errorf("%s: verdicts differ: server %d %q, natsjwt %v", r.line, code, message, err)
		case r.verdict != "stricter" && serverOK != (r.verdict == "ok"):
			t.Errorf("%s: both %s, but the table says %s (server %d %q)", r.line, map[bool]string{true: "accept", false: "refuse"}[serverOK], r.verdict, code, message)
		}
	}
	t.Logf("nats-server %s: %d rows (%d ok, %d bad, %d stricter)", version, len(rows), counts["ok"], counts["bad"], counts["stricter"])
}
