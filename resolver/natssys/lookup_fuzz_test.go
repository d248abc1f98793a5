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

package natssys

import (
	"strings"
	"testing"

	"github.com/nats-io/nkeys"
)

// FuzzLookupAccount: a lookup subject the servers send (any subject the resolver's
// subscription matches) yields an account only when it has the lookup shape and names a valid
// account public key, and IsAccountPublicKey agrees with nkeys.
func FuzzLookupAccount(f *testing.F) {
	kp, err := nkeys.CreateAccount()
	if err != nil {
		f.Fatal(err)
	}
	pub, _ := kp.PublicKey()
	op, _ := nkeys.CreateOperator()
	opPub, _ := op.PublicKey()
	for _, s := range []string{
		"$SYS.REQ.ACCOUNT." + pub + ".CLAIMS.LOOKUP",
		"$SYS.REQ.ACCOUNT." + opPub + ".CLAIMS.LOOKUP",
		"$SYS.REQ.ACCOUNT." + strings.ToLower(pub) + ".CLAIMS.LOOKUP",
		"$SYS.REQ.ACCOUNT." + pub[:55] + "B.CLAIMS.LOOKUP",
		"$SYS.REQ.ACCOUNT.*.CLAIMS.LOOKUP", "$SYS.REQ.ACCOUNT..CLAIMS.LOOKUP", "", ".....",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, subject string) {
		account, ok := lookupAccount(subject)
		if !ok {
			return
		}
		if subject != "$SYS.REQ.ACCOUNT."+account+".CLAIMS.LOOKUP" && !strings.HasSuffix(subject, "."+account+".CLAIMS.LOOKUP") {
			t.Fatalf("account %q is not the subject's %q", account, subject)
		}
		if !nkeysAccount(account) {
			t.Fatalf("lookupAccount accepted %q, which nkeys does not decode as an account key", account)
		}
	})
}

// nkeysAccount is nkeys' decoding of an account public key (prefix, length, CRC), without the
// weak Ed25519 key check that IsAccountPublicKey leaves out on purpose.
func nkeysAccount(s string) bool {
	raw, err := nkeys.Decode(nkeys.PrefixByteAccount, []byte(s))
	return err == nil && len(raw) == 32 && len(s) == accountKeyLen
}

// FuzzIsAccountPublicKey: the local check agrees with nkeys' decoding on every input.
func FuzzIsAccountPublicKey(f *testing.F) {
	kp, _ := nkeys.CreateAccount()
	pub, _ := kp.PublicKey()
	f.Add(pub)
	f.Add(pub[:55] + "A")
	f.Add("A" + strings.Repeat("A", 55))
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := IsAccountPublicKey(s), nkeysAccount(s); got != want {
			t.Fatalf("IsAccountPublicKey(%q) = %t, nkeys says %t", s, got, want)
		}
	})
}
