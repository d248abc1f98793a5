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
//     (CompactRevocations).
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

// CompactRevocations returns a copy of list in which "*" revokes every user
// JWT issued at or before upTo, and the entries that "*" now covers are gone.
// "*" only moves forward (upTo at or below it changes nothing). The caller
// must know that no JWT it still wants valid was issued at or before upTo:
// with a bound on user JWT lifetimes, every live user's current JWT was
// issued within that bound, and every JWT issued before now minus the bound
// has expired, revoked or not. That is what lets an account's list stay
// short however many users come and go (PruneCutoff).
func CompactRevocations(list map[string]int64, upTo int64) map[string]int64 {
	out := cloneList(list)
	if upTo <= 0 || upTo <= out[jwt.All] {
		return out
	}
	for k, ts := range out {
		if ts <= upTo {
			delete(out, k)
		}
	}
	out[jwt.All] = upTo
	return out
}

// PruneCutoff is the upTo for CompactRevocations when no user JWT lives longer
// than maxLifetime and the oldest current JWT of a live user was issued at
// oldestLive (unix seconds; 0 when there is none): the later of what "*"
// already says and now minus maxLifetime minus skew, rounded down to step so
// the account JWT changes at most once a step, and always before oldestLive.
// Zero means nothing can be compacted (no bound).
func PruneCutoff(now time.Time, maxLifetime, skew, step time.Duration, oldestLive int64) int64 {
	if maxLifetime <= 0 {
		return 0
	}
	cut := now.Add(-maxLifetime - skew)
	if step > 0 {
		cut = cut.Truncate(step)
	}
	upTo := cut.Unix()
	if oldestLive > 0 && upTo >= oldestLive {
		upTo = oldestLive - 1
	}
	return max(upTo, 0)
}

// cloneList copies list, returning an empty (non-nil) map for nil so the
// result can always be written to.
func cloneList(list map[string]int64) map[string]int64 {
	if list == nil {
		return map[string]int64{}
	}
	return maps.Clone(list)
}
