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
	"time"

	"github.com/nats-io/jwt/v2"
	"k8s.io/client-go/tools/cache"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
)

// maxIssuedLead is how many seconds an account JWT's iat may run ahead of the clock.
//
// Full servers keep, of two JWTs of an account, the one with the later iat (whole seconds) when
// they merge their stores, so every JWT gets an iat after the one it replaces, and changes that
// come faster than one a second borrow seconds from the future: a burst of up to
// maxIssuedLead+1 re-signs goes out at once, then one a second, each carrying whatever arrived in
// the meantime. Nothing compares an account JWT's iat with a clock (not jwt's Validate, not the
// server). The lead only matters to a signer that does not know the previous iat, and
// issueTime covers the one case where that is expected (an account that adopted retained keys).
const maxIssuedLead = 60

// issueTime returns the iat for the account JWT about to be signed: the current second, but
// always after the iat of the JWT it replaces (status.jwt, the record of everything the resolver
// may have pushed: it pushes only what a status write stored), and for an account that adopted
// retained keys, or whose keys come from the user's Secret (spec.keysSecretRef), after every iat
// an earlier incarnation can have used (it signed before this object was created, at most
// maxIssuedLead ahead). When the iat would lead the clock by more
// than maxIssuedLead, it returns how long until the next second instead.
//
// An iat even further ahead comes from a clock that went back or from a signer whose clock ran
// ahead. It is used as it is (order comes first, and waiting for this clock could hold back
// revocations for as long as the gap), but at most one such JWT is signed per second of this
// clock, so that the lead cannot grow while changes keep coming (overCap).
func (c *Controller) issueTime(acc *natsv1alpha1.NatsAccount, current *jwt.AccountClaims, now time.Time) (int64, time.Duration) {
	n := now.Unix()
	iat := n
	switch {
	case current != nil:
		iat = max(iat, current.IssuedAt+1)
	case acc.Status.JWT == "":
		since := c.adoptedAt(acc)
		if acc.Spec.KeysSecretRef != nil {
			// Keys of the user's Secret may have signed for an earlier NatsAccount on the same
			// reference; nothing records its last iat (nsc's own JWTs are older than the object).
			since = acc.CreationTimestamp.Unix()
		}
		if since > 0 {
			iat = max(iat, since+maxIssuedLead+1)
		}
	}
	key := cache.ObjectName{Namespace: acc.Namespace, Name: acc.Name}
	switch {
	case iat == n+maxIssuedLead+1:
		return 0, time.Unix(n+1, 0).Sub(now)
	case iat <= n+maxIssuedLead:
		c.overCap.Delete(key)
	default:
		if last, ok := c.overCap.Load(key); ok && last.(int64) >= n {
			return 0, time.Unix(n+1, 0).Sub(now)
		}
		c.overCap.Store(key, n)
	}
	return iat, 0
}
