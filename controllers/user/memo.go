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
	"github.com/nats-io/nkeys"
	corev1 "k8s.io/api/core/v1"

	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
)

// secretMemo remembers what each version of an account key Secret's signing seeds parsed to:
// parsing a seed derives an ed25519 key, and every sync of every user of the account needs its
// signing key. A Secret's resourceVersion changes with its data, so an entry is used only for
// the version it was made from (controllerhelpers.Memo). Creds Secrets need no memo: a sync
// trusts their data by its digest (credscache).
//
// The items of a version are a slice, not a map: a Secret has one or two signing keys, and ten
// thousand small maps cost several MiB.
type secretMemo = controllerhelpers.Memo[[]memoEntry]

// memoEntry is what was derived as item (a data key of the Secret).
type memoEntry struct {
	item string
	pub  string
	key  nkeys.KeyPair
}

// memoGet returns what was derived as item from this version of s; a nil memo knows nothing.
func memoGet(m *secretMemo, s *corev1.Secret, item string) (memoEntry, bool) {
	items, _ := m.Get(s)
	for _, it := range items {
		if it.item == item {
			return it, true
		}
	}
	return memoEntry{}, false
}

// memoPut records e as item of this version of s, next to the version's other items; a nil memo
// drops it. The items are copied, never changed in place: a concurrent memoGet may be reading
// them.
func memoPut(m *secretMemo, s *corev1.Secret, item string, e memoEntry) {
	e.item = item
	m.Update(s, func(items []memoEntry, _ bool) []memoEntry {
		out := make([]memoEntry, 0, len(items)+1)
		for _, it := range items {
			if it.item != item {
				out = append(out, it)
			}
		}
		return append(out, e)
	})
}
