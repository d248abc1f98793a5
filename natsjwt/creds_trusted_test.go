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
	"testing"
)

// FormatTrustedCreds skips FormatCreds' checks, so its output must be the very same bytes: a
// Secret written by one is compared with a file made by the other.
func TestFormatTrustedCredsMatchesFormatCreds(t *testing.T) {
	token := signedUser(t)
	for _, seed := range [][]byte{testSeed(t, "user"), append(testSeed(t, "user"), '\n'), append([]byte(" "), testSeed(t, "user")...)} {
		want, err := FormatCreds(token, seed)
		if err != nil {
			t.Fatal(err)
		}
		got, err := FormatTrustedCreds(token, seed)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("FormatTrustedCreds differs from FormatCreds:\n%q\n%q", got, want)
		}
	}
	for _, bad := range []string{"account", "operator"} {
		if _, err := FormatTrustedCreds(token, testSeed(t, bad)); !errors.Is(err, ErrInvalidCreds) {
			t.Errorf("%s seed: err = %v, want ErrInvalidCreds", bad, err)
		}
	}
}

func BenchmarkFormatCreds(b *testing.B) {
	token, seed := signedUser(b), testSeed(b, "user")
	b.Run("checked", func(b *testing.B) {
		for b.Loop() {
			if _, err := FormatCreds(token, seed); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("trusted", func(b *testing.B) {
		for b.Loop() {
			if _, err := FormatTrustedCreds(token, seed); err != nil {
				b.Fatal(err)
			}
		}
	})
}
