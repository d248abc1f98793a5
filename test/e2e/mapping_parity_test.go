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
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats.go"

	"github.com/natsauth/nats-auth-operator/natsjwt"
	"github.com/natsauth/nats-auth-operator/natsjwt/mappingtable"
	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// mappingTable is shared with natsjwt's unit tests; its header explains the format.
const mappingTable = "../../natsjwt/testdata/mappings.txt"

// weightedDests is the row's destinations as natsjwt takes them.
func weightedDests(r mappingtable.Row) []natsjwt.WeightedMapping {
	out := make([]natsjwt.WeightedMapping, len(r.Dests))
	for i, d := range r.Dests {
		out[i] = natsjwt.WeightedMapping{Subject: d, Weight: r.Weight()}
	}
	return out
}

// rawAccountJWT signs an account carrying the row's mapping with jwt/v2 directly: jwt's Encode
// does not validate, so the server sees the mapping whatever natsjwt thinks of it.
func (w *world) rawAccountJWT(t *testing.T, pub string, r mappingtable.Row) string {
	t.Helper()
	ac := jwt.NewAccountClaims(pub)
	ac.Name = "mapping"
	for _, d := range weightedDests(r) {
		ac.Mappings[jwt.Subject(r.Source)] = append(ac.Mappings[jwt.Subject(r.Source)],
			jwt.WeightedMapping{Subject: jwt.Subject(d.Subject), Weight: d.Weight})
	}
	token, err := ac.Encode(w.opSigning)
	if err != nil {
		t.Fatalf("%s: encode: %v", r.Line, err)
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
	rows, err := mappingtable.Read(mappingTable)
	if err != nil {
		t.Fatal(err)
	}
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
			Mappings: map[string][]natsjwt.WeightedMapping{r.Source: weightedDests(r)}})
		if err != nil && !errors.Is(err, natsjwt.ErrInvalidSpec) {
			t.Fatalf("%s: natsjwt: unexpected error kind: %v", r.Line, err)
		}
		serverOK, oursOK := code == 200, err == nil
		counts[r.Verdict]++
		switch {
		case r.Verdict == "stricter" && (!serverOK || oursOK):
			t.Errorf("%s: want server 200 and natsjwt refusing; server %d %q, natsjwt %v", r.Line, code, message, err)
		case r.Verdict != "stricter" && serverOK != oursOK:
			t.Errorf("%s: verdicts differ: server %d %q, natsjwt %v", r.Line, code, message, err)
		case r.Verdict != "stricter" && serverOK != (r.Verdict == "ok"):
			t.Errorf("%s: both %s, but the table says %s (server %d %q)", r.Line, map[bool]string{true: "accept", false: "refuse"}[serverOK], r.Verdict, code, message)
		}
	}
	t.Logf("nats-server %s: %d rows (%d ok, %d bad, %d stricter)", version, len(rows), counts["ok"], counts["bad"], counts["stricter"])
}
