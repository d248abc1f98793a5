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

	"github.com/nats-io/jwt/v2"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/index"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// revocations returns the revocation list the account JWT must carry and how many entries are
// new or raised. The current JWT is the durable store: its entries are kept (pruning is left to
// the performance issue) and only ever raised, so a user that is gone from the cache stays
// revoked. Every NatsUser of the account, in any namespace, adds what DESIGN.md asks for.
func (c *Controller) revocations(acc *natsv1alpha1.NatsAccount, current *jwt.AccountClaims) (map[string]int64, int) {
	var base map[string]int64
	if current != nil {
		base = current.Revocations
	}
	list := maps.Clone(base)
	if list == nil {
		list = map[string]int64{}
	}
	// ByIndex fails only for an unknown index name, and run.go registers it before the informer
	// starts; a failure leaves the list as the current JWT has it.
	objs, _ := c.userIndexer.ByIndex(index.UsersByAccount, index.Key(acc.Namespace, acc.Name))
	for _, obj := range objs {
		if u, ok := obj.(*natsv1alpha1.NatsUser); ok {
			list = revokeUser(list, u)
		}
	}
	added := 0
	for k, v := range list {
		if old, ok := base[k]; !ok || v > old {
			added++
		}
	}
	return list, added
}

// revokeUser raises list for one user:
//   - status.revokedBefore set: the user controller re-issued the credentials at revokedBefore,
//     so every JWT of the key issued before it (the server revokes iat <= ts) is revoked;
//   - being deleted: every JWT issued up to the deletion, or up to the last issue if that was
//     later, is revoked.
//
// list is replaced, never modified in place, only when an entry moves, so the common case of
// nothing to revoke copies nothing.
func revokeUser(list map[string]int64, u *natsv1alpha1.NatsUser) map[string]int64 {
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
	if upTo <= 0 || list[pub] >= upTo {
		return list
	}
	return natsjwt.RevokeUpTo(list, pub, upTo)
}
