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
	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
)

// usersByCredsSecret maps "namespace/secret" to the NatsUsers that want their credentials in that
// Secret. A user refused with SecretConflict because another NatsUser's Secret has the name is
// re-queued through it when that Secret goes away. It lives here rather than in package naming
// because only this controller uses it.
const usersByCredsSecret = "usersByCredsSecret"

// credsSecretIndex is the index function of usersByCredsSecret.
func credsSecretIndex(obj any) ([]string, error) {
	u, ok := obj.(*natsv1alpha1.NatsUser)
	if !ok {
		return nil, nil
	}
	return []string{naming.Key(u.Namespace, naming.UserCredsSecret(u))}, nil
}
