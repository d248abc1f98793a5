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
	"bufio"
	"bytes"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
)

// Tests sign with fixed seeds from testdata/test-seeds.txt (test-only, see
// the file header) so failures and fuzz crashers reproduce exactly.
var testSeeds = sync.OnceValue(func() map[string][]byte {
	data, err := os.ReadFile("testdata/test-seeds.txt")
	if err != nil {
		panic(err)
	}
	seeds := map[string][]byte{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, seed, ok := strings.Cut(line, " ")
		if !ok {
			panic("bad line in test-seeds.txt: " + name)
		}
		seeds[name] = []byte(seed)
	}
	return seeds
})

// testSeed returns a copy of the named test seed.
func testSeed(t testing.TB, name string) []byte {
	t.Helper()
	s, ok := testSeeds()[name]
	if !ok {
		t.Fatalf("no test seed %q", name)
	}
	return bytes.Clone(s)
}

// testKey returns the key pair of the named test seed.
func testKey(t testing.TB, name string) nkeys.KeyPair {
	t.Helper()
	kp, err := nkeys.FromSeed(testSeed(t, name))
	if err != nil {
		t.Fatalf("test seed %q: %v", name, err)
	}
	return kp
}

// testPub returns the public key of the named test seed.
func testPub(t testing.TB, name string) string {
	t.Helper()
	pub, err := testKey(t, name).PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// ptr returns a pointer to v, for the optional spec fields.
func ptr[T any](v T) *T { return &v }

// claimsCmp compares desired with decoded claims: the stamps Encode adds are
// ignored, and nil equals empty (JSON omitempty cannot tell them apart).
var claimsCmp = []cmp.Option{
	cmpopts.IgnoreFields(jwt.ClaimsData{}, "IssuedAt", "ID", "Issuer"),
	cmpopts.EquateEmpty(),
}

// signDecode signs c, decodes the token with jwt.Decode and checks that
// the decoded claims equal c (modulo stamps) and hash equally.
func signDecode(t testing.TB, c jwt.Claims, signer string) jwt.Claims {
	t.Helper()
	token, iat, err := Sign(c, testKey(t, signer))
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	decoded, err := jwt.Decode(token)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if got := decoded.Claims().IssuedAt; got != iat {
		t.Errorf("Sign returned issuedAt %d, token has %d", iat, got)
	}
	if got, want := decoded.Claims().Issuer, testPub(t, signer); got != want {
		t.Errorf("issuer = %s, want %s", got, want)
	}
	if diff := cmp.Diff(c, decoded, claimsCmp...); diff != "" {
		t.Errorf("decoded claims differ from desired (-desired +decoded):\n%s", diff)
	}
	hd, err := Hash(c)
	if err != nil {
		t.Fatal(err)
	}
	hg, err := Hash(decoded)
	if err != nil {
		t.Fatal(err)
	}
	if hd != hg {
		t.Errorf("Hash(desired) %s != Hash(decoded) %s", hd, hg)
	}
	return decoded
}

// issueFields returns the field paths of a *ValidationError, failing the
// test for any other error.
func issueFields(t testing.TB, err error) []string {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v (%T) is not a *ValidationError", err, err)
	}
	if !errors.Is(err, ErrInvalidSpec) {
		t.Errorf("errors.Is(%v, ErrInvalidSpec) = false", err)
	}
	fields := make([]string, len(ve.Issues))
	for i, is := range ve.Issues {
		fields[i] = is.Field
	}
	return fields
}

// wantIssue fails unless err is a *ValidationError with an issue at path
// whose message contains every fragment.
func wantIssue(t testing.TB, err error, path string, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want an issue at %q, got no error", path)
	}
	issueFields(t, err)
	var ve *ValidationError
	errors.As(err, &ve)
	for _, is := range ve.Issues {
		if is.Field != path {
			continue
		}
		ok := true
		for _, f := range fragments {
			ok = ok && strings.Contains(is.Message, f)
		}
		if ok {
			return
		}
	}
	t.Errorf("no issue at %q containing %q in: %v", path, fragments, err)
}

// errorsIs is errors.Is, named for readability in table checks.
func errorsIs(err, target error) bool { return errors.Is(err, target) }
