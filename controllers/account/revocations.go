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

package account

import (
	"maps"
	"time"

	"github.com/nats-io/jwt/v2"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// Compaction of revocations under spec.maxUserLifetime: the cutoff leaves pruneSkew for clocks
// that run behind, and moves in whole pruneSteps so the account JWT changes at most once a step.
const (
	pruneSkew = 5 * time.Minute
	pruneStep = time.Hour
)

// revocations returns the revocation list the account JWT must carry, how many entries are new
// or raised, and when the list can next be compacted (zero: not by time). The current JWT is the
// durable store: its entries are only ever raised, so a user that is gone from the cache stays
// revoked. Every NatsUser of the account, in any namespace, and every creds Secret of the
// account's key that no live user holds add what DESIGN.md asks for.
//
// With spec.maxUserLifetime, every user JWT issued under it expires within that bound, so the
// entries older than now minus the bound are folded into "*" (natsjwt.CompactRevocations). "*"
// stays below the current JWT of every live user of the account, including one not yet
// re-issued under the bound, so it never revokes a JWT the account still wants valid.
func (c *Controller) revocations(acc *natsv1alpha1.NatsAccount, current *jwt.AccountClaims, now time.Time) (map[string]int64, int, time.Duration) {
	var base map[string]int64
	if current != nil {
		base = current.Revocations
	}
	list := maps.Clone(base)
	if list == nil {
		list = map[string]int64{}
	}
	if current == nil {
		if since := c.adoptedAt(acc); since > 0 {
			// The account took over the retained keys of an earlier incarnation, whose JWT, the
			// only record of its revocations, went with it. Every user JWT issued before this
			// object existed is revoked: otherwise a user deleted back then, or while no account
			// was there to revoke it, could connect again with its old creds. Users that still
			// exist are re-issued (the user controller re-issues a JWT its account revokes).
			list = natsjwt.RevokeUpTo(list, jwt.All, since)
		}
	}
	// ByIndex fails only for an unknown index name, and run.go registers it before the informer
	// starts; a failure leaves the list as the current JWT has it.
	objs, _ := c.userIndexer.ByIndex(naming.UsersByAccount, naming.Key(acc.Namespace, acc.Name))
	var oldestLive int64
	for _, obj := range objs {
		u, ok := obj.(*natsv1alpha1.NatsUser)
		if !ok {
			continue
		}
		allowed := acc.AllowsNamespace(u.Namespace)
		list = revokeUser(list, u, allowed)
		if ia := u.Status.IssuedAt; allowed && u.DeletionTimestamp == nil && ia != nil && (oldestLive == 0 || ia.Unix() < oldestLive) {
			oldestLive = ia.Unix()
		}
	}
	// The creds Secrets no live user holds (users deleted while the controller was down, or
	// with their namespace), and what was recorded while the account's keys were missing.
	list = revokeDead(list, c.deadCreds(acc))
	list = revokePending(list, naming.PendingRevocations(acc.Annotations))
	var recheck time.Duration
	if life := maxUserLifetime(acc); life > 0 {
		upTo := natsjwt.PruneCutoff(now, life, pruneSkew, pruneStep, oldestLive)
		if oldest := oldestEntry(list); oldest > 0 && oldest <= upTo {
			list = natsjwt.CompactRevocations(list, upTo)
		}
		if oldest := oldestEntry(list); oldest > 0 {
			// The first moment the cutoff passes the oldest entry left.
			recheck = max(time.Unix(oldest, 0).Add(life+pruneSkew+pruneStep).Sub(now), time.Minute)
		}
	}
	added := 0
	for k, v := range list {
		if old, ok := base[k]; k != jwt.All && (!ok || v > old) {
			added++
		}
	}
	return list, added, recheck
}

// adoptedAt returns the account's creation time (unix seconds) when its key Secret was retained
// from an earlier NatsAccount of the same name; zero otherwise. The Secret names the UID it was
// created for; one from before that annotation is adopted when it is older than the object
// (creation times have whole seconds, so a re-creation within the second would look new).
func (c *Controller) adoptedAt(acc *natsv1alpha1.NatsAccount) int64 {
	secret, err := c.secretLister.Secrets(acc.Namespace).Get(naming.AccountKeysSecret(acc.Name))
	if err != nil {
		return 0
	}
	if uid, ok := secret.Annotations[naming.AnnotationCreatedFor]; ok {
		if uid == string(acc.UID) {
			return 0
		}
		return acc.CreationTimestamp.Unix()
	}
	if !secret.CreationTimestamp.Before(&acc.CreationTimestamp) {
		return 0
	}
	return acc.CreationTimestamp.Unix()
}

// oldestEntry is the earliest revocation time of a user key in list ("*" aside); 0 when none.
func oldestEntry(list map[string]int64) int64 {
	var oldest int64
	for k, ts := range list {
		if k != jwt.All && (oldest == 0 || ts < oldest) {
			oldest = ts
		}
	}
	return oldest
}

// maxUserLifetime is spec.maxUserLifetime; zero when unset.
func maxUserLifetime(acc *natsv1alpha1.NatsAccount) time.Duration {
	if acc.Spec.MaxUserLifetime == nil {
		return 0
	}
	return acc.Spec.MaxUserLifetime.Duration
}

// revokeUser raises list for one user:
//   - status.revokedBefore set: the user controller re-issued the credentials at revokedBefore,
//     so every JWT of the key issued before it (the server revokes iat <= ts) is revoked;
//   - being deleted: every JWT issued up to the deletion, or up to the last issue if that was
//     later, is revoked;
//   - in a namespace the account no longer allows: every JWT issued so far is revoked. The key
//     stays in the user's Secret; allowed again, the user controller issues a later JWT, which
//     this entry does not revoke.
//
// list is replaced, never modified in place, only when an entry moves, so the common case of
// nothing to revoke copies nothing.
func revokeUser(list map[string]int64, u *natsv1alpha1.NatsUser, allowed bool) map[string]int64 {
	pub := u.Status.PublicKey
	if pub == "" {
		return list
	}
	var upTo int64
	if rb := u.Status.RevokedBefore; rb != nil {
		upTo = rb.Unix() - 1
	}
	if dt := u.DeletionTimestamp; dt != nil {
		deleted := dt.Unix()
		if ia := u.Status.IssuedAt; ia != nil && ia.Unix() > deleted {
			deleted = ia.Unix()
		}
		upTo = max(upTo, deleted)
	}
	if ia := u.Status.IssuedAt; !allowed && ia != nil {
		upTo = max(upTo, ia.Unix())
	}
	if upTo <= 0 || list[pub] >= upTo {
		return list
	}
	return natsjwt.RevokeUpTo(list, pub, upTo)
}
