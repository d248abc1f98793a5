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

package resolver

import (
	"context"

	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/klog/v2"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
)

// serveLookups answers lookups until ctx ends or the subscription fails; Run restarts it.
func (c *Controller) serveLookups(ctx context.Context) {
	logger := klog.FromContext(ctx)
	err := c.nats.ServeLookups(ctx, func(accountPub string) (string, bool) {
		return c.lookup(logger, accountPub)
	})
	if err != nil {
		utilruntime.HandleErrorWithContext(ctx, err, "Serving account lookups; restarting")
	}
}

// lookup answers a server's lookup of accountPub from the cache: the JWT of an account of the
// operator whose JWT is trusted, or nothing. Staying silent is the protocol's "not here"; an
// untrusted JWT would be stored by the server and then fail to load.
func (c *Controller) lookup(logger klog.Logger, accountPub string) (string, bool) {
	token, ok := c.trustedJWT(accountPub)
	result := LookupHit
	if !ok {
		result = LookupMiss
	}
	if c.metrics != nil {
		c.metrics.Lookups.WithLabelValues(result).Inc()
	}
	logger.V(4).Info("Answered account lookup", "publicKey", accountPub, "result", result)
	return token, ok
}

// trustedJWT returns the trusted JWT of the operator's account with public key accountPub.
func (c *Controller) trustedJWT(accountPub string) (string, bool) {
	op, err := c.operators.NatsOperators(c.operator.Namespace).Get(c.operator.Name)
	if err != nil {
		return "", false
	}
	objs, err := c.accountIndexer.ByIndex(publicKeyIndex, accountPub)
	if err != nil {
		return "", false
	}
	for _, obj := range objs {
		acc, ok := obj.(*natsv1alpha1.NatsAccount)
		// An account being deleted is not served: a server that lost it, or never had it,
		// must not get it back from the resolver while it is being deleted everywhere.
		if !ok || !c.ownsAccount(acc) || acc.Status.JWT == "" || acc.DeletionTimestamp != nil {
			continue
		}
		if _, err := trustedClaims(acc.Status.JWT, accountPub, op.Status.SigningKeys); err == nil {
			return acc.Status.JWT, true
		}
	}
	return "", false
}
