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
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/nats-io/jwt/v2"
)

// FuzzParseCreds: a creds file read back (from a Secret anyone with Secret write in the
// namespace may change) never panics; it is either ErrInvalidCreds, with a message that carries
// no part of a seed (the seeds of the corpus are the test seeds), or a user JWT and the key pair of its subject.
func FuzzParseCreds(f *testing.F) {
	valid, err := FormatCreds(signedUser(f), testSeed(f, "user"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(bytes.Replace(valid, []byte("SU"), []byte("SA"), 1))
	f.Add(valid[:len(valid)/2])
	f.Add([]byte("-----BEGIN NATS USER JWT-----\neyJ\n------END NATS USER JWT------\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, creds []byte) {
		token, kp, err := ParseCreds(creds)
		if err != nil {
			if !errors.Is(err, ErrInvalidCreds) {
				t.Fatalf("untyped error: %v", err)
			}
			msg := err.Error()
			for _, seed := range testSeeds() {
				for i := 0; i+12 <= len(seed); i++ {
					if strings.Contains(msg, string(seed[i:i+12])) {
						t.Fatalf("error message carries part of a seed: %q", msg)
					}
				}
			}
			return
		}
		defer kp.Wipe()
		uc, err := jwt.DecodeUserClaims(token)
		if err != nil {
			t.Fatalf("accepted a JWT that does not decode: %v", err)
		}
		if pub, err := kp.PublicKey(); err != nil || pub != uc.Subject {
			t.Fatalf("key %s does not belong to the JWT subject %s (%v)", pub, uc.Subject, err)
		}
	})
}
