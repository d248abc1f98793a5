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
	"maps"
	"math"
	"time"

	"github.com/nats-io/jwt/v2"
)

// Revocation lists map a public key (or "*" for all) to a unix time. The
// server rejects a user JWT when list[pub] >= iat or list["*"] >= iat
// (NATS-FACTS §11.1). Two consequences drive the helpers below:
//
//   - the comparison is inclusive and in whole seconds, so a replacement JWT
//     issued in the same second as the revocation is revoked too
//     (CanIssueAfter);
//   - an entry is needed only while a JWT it covers could still be valid
//     (PruneRevocations).
//
// The helpers return new maps and never modify their input, so callers can
// build desired state from observed state without aliasing surprises. The
// same rules apply to export revocations, keyed by importing account and
// compared with activation iat.

// RevokeUpTo returns a copy of list in which every JWT for pub issued at or
// before issuedAt (unix seconds) is revoked. Pass the iat of the newest JWT
// to revoke. An existing later entry is kept: entries only move forward, so
// a stale caller can never un-revoke something. issuedAt <= 0 changes
// nothing. pub may be "*" to revoke every user.
func RevokeUpTo(list map[string]int64, pub string, issuedAt int64) map[string]int64 {
	out := cloneList(list)
	if issuedAt <= 0 {
		return out
	}
	if cur, ok := out[pub]; ok && cur >= issuedAt {
		return out
	}
	out[pub] = issuedAt
	return out
}

// RevokedAt returns the effective revocation time for pub: the later of
// list[pub] and list["*"], or 0 when neither exists.
func RevokedAt(list map[string]int64, pub string) int64 {
	return max(list[pub], list[jwt.All])
}

// IsRevoked reports whether the server would reject a JWT for pub issued at
// issuedAt (unix seconds) under list.
func IsRevoked(list map[string]int64, pub string, issuedAt int64) bool {
	if ts, ok := list[jwt.All]; ok && ts >= issuedAt {
		return true
	}
	ts, ok := list[pub]
	return ok && ts >= issuedAt
}

// CanIssueAfter tells whether a JWT signed at now would escape a revocation
// at revokedAt (pass RevokedAt(list, pub)). If not, wait is how long until
// the next whole second after revokedAt, when it would. jwt stamps iat from
// the wall clock at Encode, so pass a now from the same clock and requeue
// after wait rather than sleeping.
func CanIssueAfter(revokedAt int64, now time.Time) (ok bool, wait time.Duration) {
	if revokedAt <= 0 || now.Unix() > revokedAt {
		return true, 0
	}
	return false, time.Unix(revokedAt+1, 0).Sub(now)
}

// PruneRevocations returns a copy of list without the entries that can no
// longer matter: an entry at ts only covers JWTs issued at or before ts, and
// if no user JWT lives longer than maxUserLifetime, all of those expired by
// ts + maxUserLifetime. Entries are dropped once now is past that (in whole
// seconds, as the server's expiry check).
//
// Only meaningful when every JWT the list guards has an exp no later than
// iat + maxUserLifetime. A JWT without exp never expires, so its revocation
// must stay forever: pass maxUserLifetime <= 0 (which prunes nothing) unless
// that bound holds. Include any clock skew allowance in maxUserLifetime.
func PruneRevocations(list map[string]int64, now time.Time, maxUserLifetime time.Duration) map[string]int64 {
	out := cloneList(list)
	if maxUserLifetime <= 0 {
		return out
	}
	life := int64((maxUserLifetime + time.Second - 1) / time.Second)
	n := now.Unix()
	for k, ts := range out {
		if ts > math.MaxInt64-life {
			continue
		}
		if ts+life < n {
			delete(out, k)
		}
	}
	return out
}

// cloneList copies list, returning an empty (non-nil) map for nil so the
// result can always be written to.
func cloneList(list map[string]int64) map[string]int64 {
	if list == nil {
		return map[string]int64{}
	}
	return maps.Clone(list)
}
