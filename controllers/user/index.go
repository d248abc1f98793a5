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

package user

import (
	"k8s.io/client-go/tools/cache"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
)

// usersByCredsSecret maps "namespace/secret" to the NatsUsers that want their credentials in that
// Secret under another name than their own (spec.secretName). A user refused with
// SecretConflict because another NatsUser's Secret has the name is re-queued through it when
// that Secret goes away. Users whose Secret has their own name, nearly all of them, are left out
// and found by name (usersWantingSecret): a one-element set per user cost about 350 bytes of
// heap, 35 MiB at 100,000 users. It lives here rather than in package naming because only this
// controller uses it.
const usersByCredsSecret = "usersByCredsSecret"

// credsSecretIndex is the index function of usersByCredsSecret.
func credsSecretIndex(obj any) ([]string, error) {
	u, ok := obj.(*natsv1alpha1.NatsUser)
	if !ok {
		return nil, nil
	}
	if name := naming.UserCredsSecret(u); name != u.Name {
		return []string{naming.Key(u.Namespace, name)}, nil
	}
	return nil, nil
}

// usersWantingSecret are the NatsUsers that want their credentials in the Secret namespace/name:
// the user of that name, unless it names another Secret, and those the index holds.
func (c *Controller) usersWantingSecret(namespace, name string) []cache.ObjectName {
	keys := controllerhelpers.KeysFromIndex(c.userIndexer, usersByCredsSecret, naming.Key(namespace, name))
	if u, err := c.users.NatsUsers(namespace).Get(name); err == nil && naming.UserCredsSecret(u) == name {
		keys = append(keys, cache.ObjectName{Namespace: namespace, Name: name})
	}
	return keys
}
