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
	"strconv"
	"strings"

	"github.com/nats-io/jwt/v2"
)

// AccountClaims builds the unsigned claims of an account JWT for
// accountPub. Sign it with an operator key (identity or signing key).
//
// Determinism: exports are ordered by subject, type and name, imports by
// subject, account, type, local subject and name (jwt's Encode re-sorts by
// subject only, which is not stable for equal subjects, so Hash does not
// depend on that order); permission lists and tags are sorted; maps are
// emitted in key order by encoding/json.
//
// Semantics (NATS-FACTS §4): unset limits are -1 (unlimited). JetStream nil
// and no tiers means JetStream disabled (all JetStream limits 0). JetStream
// and JetStreamTiers are mutually exclusive. See JetStreamLimits for how
// nil JetStream fields map.
//
// Validation reports every problem with its field path. No clock-based
// checks are done; see CheckTimes. The builder cannot know whether this is
// the system account: callers must not give the system account JetStream
// (a JetStream-enabled server refuses to start with such a JWT).
func AccountClaims(accountPub string, spec AccountSpec) (*jwt.AccountClaims, error) {
	if err := ValidatePublicKey(accountPub, KindAccount); err != nil {
		return nil, fmt.Errorf("account public key: %w", err)
	}
	is := &issues{}
	ac := jwt.NewAccountClaims(accountPub)
	ac.Name = checkText(is, "name", spec.Name)
	ac.Info = checkInfo(is, "", spec.Description, spec.InfoURL)
	ac.Tags = buildTags(is, "tags", spec.Tags)
	ac.Expires = unixTime(is, "expires", spec.Expires)
	ac.Limits = buildAccountLimits(is, spec)
	ac.DefaultPermissions = buildPermissions(is, "defaultPermissions", spec.DefaultPermissions)
	ac.Exports = buildExports(is, spec.Exports, ac.Limits.WildcardExports)
	ac.Imports = buildImports(is, accountPub, spec.Imports)
	ac.Mappings = buildMappings(is, spec.Mappings)
	buildSigningKeys(is, accountPub, ac.SigningKeys, spec.SigningKeys, spec.ScopedSigningKeys)
	ac.Revocations = buildRevocations(is, "revocations", spec.Revocations, KindUser)
	checkCount(is, "limits.imports", ac.Limits.Imports, len(ac.Imports), "import")
	checkCount(is, "limits.exports", ac.Limits.Exports, len(ac.Exports), "export")
	ac.Type = jwt.AccountClaim
	ac.Version = claimsVersion
	if err := is.finish("account", ac); err != nil {
		return nil, err
	}
	return ac, nil
}

// buildAccountLimits converts the NATS, account and JetStream limits.
func buildAccountLimits(is *issues, spec AccountSpec) jwt.OperatorLimits {
	l := spec.Limits
	var out jwt.OperatorLimits
	out.Subs = limit(is, "limits.subs", l.Subs)
	out.Data = limit(is, "limits.data", l.Data)
	out.Payload = limit(is, "limits.payload", l.Payload)
	out.Imports = limit(is, "limits.imports", l.Imports)
	out.Exports = limit(is, "limits.exports", l.Exports)
	out.Conn = limit(is, "limits.conn", l.Conn)
	out.LeafNodeConn = limit(is, "limits.leafConn", l.LeafConn)
	out.WildcardExports = l.Wildcards == nil || *l.Wildcards
	out.DisallowBearer = l.DisallowBearer
	out.JetStreamTieredLimits = jwt.JetStreamTieredLimits{}
	if spec.JetStream != nil && len(spec.JetStreamTiers) > 0 {
		is.add("jetStream", "cannot be combined with jetStreamTiers; use either account-wide limits or per-tier limits (jwt would drop the account-wide ones)")
	}
	if spec.JetStream != nil {
		out.JetStreamLimits = buildJetStream(is, "jetStream", *spec.JetStream)
	}
	for _, name := range sortedKeys(spec.JetStreamTiers) {
		p := mapKey("jetStreamTiers", name)
		checkTierName(is, p, name)
		out.JetStreamTieredLimits[name] = buildJetStream(is, p, spec.JetStreamTiers[name])
	}
	return out
}

// buildJetStream converts one set of JetStream limits; see JetStreamLimits
// for the nil mapping.
func buildJetStream(is *issues, path string, j JetStreamLimits) jwt.JetStreamLimits {
	return jwt.JetStreamLimits{
		MemoryStorage:        limit(is, field(path, "memStorage"), j.MemStorage),
		DiskStorage:          limit(is, field(path, "diskStorage"), j.DiskStorage),
		Streams:              limit(is, field(path, "streams"), j.Streams),
		Consumer:             limit(is, field(path, "consumers"), j.Consumers),
		MaxAckPending:        zeroUnlimited(is, field(path, "maxAckPending"), j.MaxAckPending),
		MemoryMaxStreamBytes: zeroUnlimited(is, field(path, "memMaxStreamBytes"), j.MemMaxStreamBytes),
		DiskMaxStreamBytes:   zeroUnlimited(is, field(path, "diskMaxStreamBytes"), j.DiskMaxStreamBytes),
		MaxBytesRequired:     j.MaxBytesRequired,
	}
}

// checkTierName enforces "R<replicas>": the server looks tiers up by that
// name only, so any other name would be silently unused.
func checkTierName(is *issues, path, name string) {
	n, err := strconv.Atoi(strings.TrimPrefix(name, "R"))
	if !strings.HasPrefix(name, "R") || err != nil || n < 1 || strconv.Itoa(n) != name[1:] {
		is.add(path, "tier name must be R<replicas> such as R1 or R3; the server ignores other names")
	}
}

// checkCount compares the number of imports or exports with their limit.
func checkCount(is *issues, path string, max int64, n int, what string) {
	if max >= 0 && int64(n) > max {
		is.add(path, "allows %s but the account has %d", describe(int(max), what), n)
	}
}

// buildSigningKeys fills sk with the plain and scoped signing keys. A key
// may appear once: jwt keys the set by public key, so a duplicate would
// silently drop one entry.
func buildSigningKeys(is *issues, accountPub string, sk jwt.SigningKeys, plain []string, scoped []ScopedSigningKey) {
	seen := map[string]string{}
	claim := func(path, key string) bool {
		if !checkPublicKey(is, path, key, KindAccount) {
			return false
		}
		if key == accountPub {
			is.add(path, "is the account identity key; list only separate signing keys")
			return false
		}
		if prev, dup := seen[key]; dup {
			is.add(path, "is listed twice (also at %s)", prev)
			return false
		}
		seen[key] = path
		return true
	}
	for i, k := range plain {
		if claim(index("signingKeys", i), k) {
			sk.Add(k)
		}
	}
	for i, s := range scoped {
		p := index("scopedSigningKeys", i)
		ok := claim(field(p, "key"), s.Key)
		us := jwt.NewUserScope()
		us.Key = s.Key
		us.Role = checkText(is, field(p, "role"), s.Role)
		us.Description = checkText(is, field(p, "description"), s.Description)
		us.Template = buildUserPermissionLimits(is, field(p, "template"), s.Template, true)
		if ok {
			// Must be the *UserScope: jwt's ScopeType.MarshalJSON has a
			// pointer receiver, and a value would encode kind as a number
			// that Decode then rejects.
			sk.AddScopedSigner(us)
		}
	}
}
