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

package v1alpha1

import "slices"

// AllowsNamespace applies spec.allowedUserNamespaces: the account's own namespace always may, and
// a single "*" allows every namespace. The user controller refuses to issue for any other
// namespace and the account controller revokes the keys of users there, so both use this one
// definition.
func (a *NatsAccount) AllowsNamespace(ns string) bool {
	return a.Namespace == ns || slices.Contains(a.Spec.AllowedUserNamespaces, ns) ||
		slices.Contains(a.Spec.AllowedUserNamespaces, "*")
}

// AccountSigningGeneration is the generation of the operator signing key that signs account
// JWTs now: the current one, except while a scheduled rotation waits for every nats-server to
// trust it (an account signed by a key a server does not trust is refused by that server).
func (s *NatsOperatorStatus) AccountSigningGeneration() int32 {
	k := s.SigningKey
	switch {
	case k == nil:
		return 0
	case k.Phase == SigningKeyRotating && k.ServersRolledAt == nil && k.PreviousPublicKey != "":
		return k.PreviousGeneration
	}
	return k.Generation
}
