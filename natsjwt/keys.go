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
	"fmt"

	"github.com/nats-io/nkeys"
)

// KeyKind is the kind of nkey this package deals with. Only the three kinds
// that appear in the operator → account → user chain are modelled; the zero
// value is invalid so a forgotten kind is caught instead of defaulting.
type KeyKind int

const (
	// KindOperator keys (public O…, seed SO…) sign the operator and account JWTs.
	KindOperator KeyKind = iota + 1
	// KindAccount keys (public A…, seed SA…) sign user and activation JWTs.
	KindAccount
	// KindUser keys (public U…, seed SU…) identify a client connection.
	KindUser
)

// String returns the lower-case kind name used in messages.
func (k KeyKind) String() string {
	switch k {
	case KindOperator:
		return "operator"
	case KindAccount:
		return "account"
	case KindUser:
		return "user"
	}
	return fmt.Sprintf("KeyKind(%d)", int(k))
}

// withArticle returns "an operator", "an account" or "a user" for messages.
func (k KeyKind) withArticle() string {
	if k == KindUser {
		return "a user"
	}
	return "an " + k.String()
}

// letter is the first character of a public key of this kind.
func (k KeyKind) letter() string {
	return map[KeyKind]string{KindOperator: "O", KindAccount: "A", KindUser: "U"}[k]
}

// prefix maps the kind to the nkeys public prefix byte.
func (k KeyKind) prefix() (nkeys.PrefixByte, bool) {
	switch k {
	case KindOperator:
		return nkeys.PrefixByteOperator, true
	case KindAccount:
		return nkeys.PrefixByteAccount, true
	case KindUser:
		return nkeys.PrefixByteUser, true
	}
	return nkeys.PrefixByteUnknown, false
}

// prefixName names any nkeys prefix, including those this package does not
// model, so a wrong-type message can say what the key actually is.
func prefixName(p nkeys.PrefixByte) string {
	switch p {
	case nkeys.PrefixByteOperator:
		return "operator"
	case nkeys.PrefixByteAccount:
		return "account"
	case nkeys.PrefixByteUser:
		return "user"
	case nkeys.PrefixByteServer:
		return "server"
	case nkeys.PrefixByteCluster:
		return "cluster"
	case nkeys.PrefixByteCurve:
		return "curve (xkey)"
	}
	return "unknown"
}

// NewKey creates a fresh key pair of the given kind. Callers own the pair
// and should Wipe it once its seed has been stored.
func NewKey(kind KeyKind) (nkeys.KeyPair, error) {
	switch kind {
	case KindOperator:
		return nkeys.CreateOperator()
	case KindAccount:
		return nkeys.CreateAccount()
	case KindUser:
		return nkeys.CreateUser()
	}
	return nil, fmt.Errorf("%w: cannot create a key of kind %s", ErrWrongKeyType, kind)
}

// ParseSeed decodes a seed and checks that it is a seed of the given kind.
// Surrounding whitespace is ignored because Secret values are often written
// with a trailing newline. Errors never contain the seed, not even a prefix
// of it: they only name the kind that was found ("seed is not an account
// seed (it is a user seed)"). The caller owns the returned pair.
func ParseSeed(seed []byte, kind KeyKind) (nkeys.KeyPair, error) {
	want, ok := kind.prefix()
	if !ok {
		return nil, fmt.Errorf("%w: cannot parse a seed of kind %s", ErrWrongKeyType, kind)
	}
	trimmed := bytes.TrimSpace(seed)
	got, raw, err := nkeys.DecodeSeed(trimmed)
	clear(raw)
	if err != nil {
		// nkeys errors are fixed strings or base32 offsets; neither reveals
		// seed material, so the cause is kept for debugging.
		return nil, fmt.Errorf("%w: seed is not a valid nkey seed: %v", ErrInvalidKey, err)
	}
	if got != want {
		return nil, fmt.Errorf("%w: seed is not %s seed (it is %s seed)",
			ErrWrongKeyType, kind.withArticle(), articleFor(prefixName(got)))
	}
	kp, err := nkeys.FromSeed(trimmed)
	if err != nil {
		return nil, fmt.Errorf("%w: seed is not a valid nkey seed: %v", ErrInvalidKey, err)
	}
	return kp, nil
}

// ValidatePublicKey checks that pub is a public key of the given kind. The
// value is echoed in the error only when it is a valid public key of another
// kind; anything else might be a mistyped seed and is never printed.
func ValidatePublicKey(pub string, kind KeyKind) error {
	msg, wrongType := publicKeyProblem(pub, kind)
	switch {
	case msg == "":
		return nil
	case wrongType:
		return fmt.Errorf("%w: %s", ErrWrongKeyType, msg)
	default:
		return fmt.Errorf("%w: %s", ErrInvalidKey, msg)
	}
}

// publicKeyProblem returns "" when pub is a valid key of kind, otherwise a
// message and whether the key was well formed but of the wrong type.
func publicKeyProblem(pub string, kind KeyKind) (string, bool) {
	want, ok := kind.prefix()
	if !ok {
		return fmt.Sprintf("unsupported key kind %s", kind), true
	}
	if pub == "" {
		return fmt.Sprintf("must be %s public key, got an empty string", kind.withArticle()), false
	}
	if _, _, err := nkeys.DecodeSeed([]byte(pub)); err == nil {
		return fmt.Sprintf("is a private seed, not %s public key; seeds belong in Secrets only (value not shown)",
			kind.withArticle()), false
	}
	if !nkeys.IsValidPublicKey(pub) {
		return fmt.Sprintf("is not a valid nkey public key (expected %s public key: 56 characters starting with %q; value not shown)",
			kind.withArticle(), kind.letter()), false
	}
	if got := nkeys.Prefix(pub); got != want {
		return fmt.Sprintf("%q is %s public key, not %s public key",
			pub, articleFor(prefixName(got)), kind.withArticle()), true
	}
	return "", false
}

// articleFor prefixes a kind name with "a" or "an" ("a user": the u is
// pronounced "you").
func articleFor(name string) string {
	if name == "user" {
		return "a user"
	}
	switch name[0] {
	case 'a', 'e', 'i', 'o', 'u':
		return "an " + name
	}
	return "a " + name
}

// checkPublicKey records an issue at path when pub is not a key of kind.
func checkPublicKey(is *issues, path, pub string, kind KeyKind) bool {
	if msg, _ := publicKeyProblem(pub, kind); msg != "" {
		is.add(path, "%s", msg)
		return false
	}
	return true
}
