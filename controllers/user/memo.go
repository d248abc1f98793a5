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
	"sync"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// secretMemo remembers what each version of a Secret decoded to. Parsing a seed derives an
// ed25519 key and decoding a JWT verifies a signature: together most of the CPU of a sync that
// changes nothing, and every user is synced several times on its way to convergence and once
// more on every restart. A Secret's resourceVersion
// changes with its data, so an entry is used only for the version it was made from. The values
// are derived from data the informer already holds in memory.
type secretMemo struct {
	mu sync.Mutex
	// entries holds, per Secret, what was derived from it by item: a data key of the Secret, or
	// credsChecked.
	entries map[types.UID]map[string]memoEntry
}

type memoEntry struct {
	resourceVersion string
	pub             string
	key             nkeys.KeyPair
	claims          *jwt.UserClaims
	ok              bool
}

// credsChecked is the memo item that records that a creds Secret's user.creds is the creds file
// of its own user.jwt and user.nk.
const credsChecked = "creds-checked"

// get returns what was derived as item from this version of s; a nil memo knows nothing.
func (m *secretMemo) get(s *corev1.Secret, item string) (memoEntry, bool) {
	if m == nil {
		return memoEntry{}, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[s.UID][item]
	return e, ok && e.resourceVersion == s.ResourceVersion
}

// put records e as item of this version of s; a nil memo drops it.
func (m *secretMemo) put(s *corev1.Secret, item string, e memoEntry) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.entries == nil {
		m.entries = map[types.UID]map[string]memoEntry{}
	}
	if m.entries[s.UID] == nil {
		m.entries[s.UID] = map[string]memoEntry{}
	}
	e.resourceVersion = s.ResourceVersion
	m.entries[s.UID][item] = e
}

// forget drops every entry of a deleted Secret.
func (m *secretMemo) forget(uid types.UID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.entries, uid)
}
