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
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/nats-io/jwt/v2"
)

// Hash returns a stable hex SHA-256 of what claims say, for
// status.claimsHash: re-sign only when Hash(desired) differs from the stored
// hash (or the signing key changed), never on every sync.
//
// It hashes the claims' JSON with these normalisations, on a copy (the input
// is not modified):
//
//   - iat and jti are dropped: Encode stamps them from the clock;
//   - iss is dropped: desired claims are unsigned, so callers compare the
//     issuer (the signing key) separately;
//   - nats.type and nats.version are set to what Encode writes, so claims
//     built by hand hash like decoded ones;
//   - nats.exports and nats.imports are sorted by content, because Encode's
//     sort by subject is not stable for equal subjects.
//
// Numbers keep their exact text (no float64 round trip), so limits near
// 2^63 hash correctly. The result is equal for the builders' output and for
// jwt.Decode* of the token Sign produced from it.
func Hash(c jwt.Claims) (string, error) {
	if isNilClaims(c) {
		return "", errors.New("natsjwt: Hash needs claims")
	}
	raw, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("natsjwt: encoding claims for hashing: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return "", fmt.Errorf("natsjwt: decoding claims for hashing: %w", err)
	}
	if doc == nil {
		return "", errors.New("natsjwt: claims do not encode as a JSON object")
	}
	delete(doc, "iat")
	delete(doc, "jti")
	delete(doc, "iss")
	if err := normaliseNats(doc, c); err != nil {
		return "", err
	}
	canonical, err := json.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("natsjwt: encoding canonical claims: %w", err)
	}
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:]), nil
}

// normaliseNats applies the nats.* normalisations described on Hash.
func normaliseNats(doc map[string]any, c jwt.Claims) error {
	nats, _ := doc["nats"].(map[string]any)
	typ := claimTypeOf(c)
	if typ == "" {
		// Generic claims: Encode adds version to the data map only; drop it
		// so desired and decoded delete requests hash alike.
		if nats != nil {
			delete(nats, "version")
			if len(nats) == 0 {
				delete(doc, "nats")
			}
		}
		return nil
	}
	if nats == nil {
		nats = map[string]any{}
		doc["nats"] = nats
	}
	nats["type"] = typ
	nats["version"] = json.Number(fmt.Sprint(claimsVersion))
	for _, k := range []string{"exports", "imports"} {
		list, ok := nats[k].([]any)
		if !ok {
			continue
		}
		if err := sortByJSON(list); err != nil {
			return err
		}
	}
	return nil
}

// claimTypeOf returns the type Encode writes for the typed claims.
func claimTypeOf(c jwt.Claims) string {
	switch c.(type) {
	case *jwt.OperatorClaims:
		return jwt.OperatorClaim
	case *jwt.AccountClaims:
		return jwt.AccountClaim
	case *jwt.UserClaims:
		return jwt.UserClaim
	case *jwt.ActivationClaims:
		return jwt.ActivationClaim
	}
	return ""
}

// sortByJSON orders list elements by their canonical JSON text.
func sortByJSON(list []any) error {
	keys := make(map[int][]byte, len(list))
	idx := make([]int, len(list))
	for i, v := range list {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("natsjwt: encoding list element for hashing: %w", err)
		}
		keys[i] = b
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return bytes.Compare(keys[a], keys[b]) })
	sorted := make([]any, len(list))
	for i, j := range idx {
		sorted[i] = list[j]
	}
	copy(list, sorted)
	return nil
}
