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
	"crypto/sha256"
	"encoding/hex"
	"sync"

	"k8s.io/client-go/tools/cache"
)

// pushRecord is a JWT every expected server acknowledged.
type pushRecord struct {
	// digest identifies the token (tokenDigest). Not its jti: jwt/v2 hashes only the standard
	// claims (iss, sub, iat, name...) into the jti, so an account re-signed within the same
	// second, say to add a revocation, keeps the jti of the JWT before it.
	digest string
	// account is the account public key, for drift checks.
	account string
	// message is the Pushed message of that push, so a sync that only repairs the status
	// (after a failed write) reports it again.
	message string
}

// pushState is what this process knows about pushes. It lives in memory only, on purpose: a
// resolver that starts cannot know what the servers hold, so it pushes every account once.
type pushState struct {
	mu sync.Mutex
	// pushed holds the last JWT of each account that every expected server acknowledged.
	pushed map[cache.ObjectName]pushRecord
	// forced marks accounts to push again even though pushed says they are current (a
	// reconnect, a restarted server, drift). The mark is taken by the next sync, so one set
	// while a sync of the same account is running survives it: the queue runs the key again.
	forced map[cache.ObjectName]bool
	// applied is the last status written per account and condition type (Pushed, Deleted),
	// with the resourceVersion it was computed from. Until the informer delivers the result, a
	// sync still sees that old version and would write, and announce, the same outcome again.
	applied map[appliedKey]appliedStatus
	// deleted holds the digest of each account's delete request that every expected server
	// acknowledged, so a sync on a cache that lags behind the Deleted condition sends nothing.
	deleted map[cache.ObjectName]string
	// pending holds the accounts whose current JWT or delete request some expected server has
	// not acknowledged yet: the backlog while NATS is unreachable, retried with backoff.
	pending map[cache.ObjectName]bool
}

// appliedKey names one condition of one account.
type appliedKey struct {
	account   cache.ObjectName
	condition string
}

// appliedStatus is a status write: what was written, on top of which resourceVersion.
type appliedStatus struct {
	fromResourceVersion string
	status              pushedStatus
}

func newPushState() *pushState {
	return &pushState{pushed: map[cache.ObjectName]pushRecord{}, forced: map[cache.ObjectName]bool{},
		applied: map[appliedKey]appliedStatus{},
		deleted: map[cache.ObjectName]string{}, pending: map[cache.ObjectName]bool{}}
}

// applyPending reports whether status was already written for condition on top of
// resourceVersion, so a cache that still shows resourceVersion has merely not caught up.
func (s *pushState) applyPending(condition string, key cache.ObjectName, resourceVersion string, status pushedStatus) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.applied[appliedKey{key, condition}]
	return ok && a.fromResourceVersion == resourceVersion && a.status == status
}

// recordApply remembers a status write of condition made on top of resourceVersion.
func (s *pushState) recordApply(condition string, key cache.ObjectName, resourceVersion string, status pushedStatus) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.applied[appliedKey{key, condition}] = appliedStatus{fromResourceVersion: resourceVersion, status: status}
}

// record remembers a fully acknowledged push.
func (s *pushState) record(key cache.ObjectName, rec pushRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pushed[key] = rec
}

// lookup returns the record of key's last fully acknowledged push.
func (s *pushState) lookup(key cache.ObjectName) (pushRecord, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.pushed[key]
	return rec, ok
}

// forget drops what is known about key's pushes, so its next sync pushes.
func (s *pushState) forget(key cache.ObjectName) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.pushed, key)
}

// remove drops everything known about a deleted account.
func (s *pushState) remove(key cache.ObjectName) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.pushed, key)
	delete(s.forced, key)
	for k := range s.applied {
		if k.account == key {
			delete(s.applied, k)
		}
	}
	delete(s.deleted, key)
}

// recordDeleted remembers that every expected server acknowledged the delete request with
// digest, and drops key's push record: the servers no longer hold the account, so drift
// checks must not expect it.
func (s *pushState) recordDeleted(key cache.ObjectName, digest string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deleted[key] = digest
	delete(s.pushed, key)
	delete(s.forced, key)
}

// wasDeleted reports whether the delete request with digest was acknowledged by every server.
func (s *pushState) wasDeleted(key cache.ObjectName, digest string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.deleted[key]
	return ok && d == digest
}

// setPending marks key as waiting for acknowledgements, or not, and returns how many are.
func (s *pushState) setPending(key cache.ObjectName, pending bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pending {
		s.pending[key] = true
	} else {
		delete(s.pending, key)
	}
	return len(s.pending)
}

// force marks key to be pushed by its next sync.
func (s *pushState) force(key cache.ObjectName) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forced[key] = true
}

// takeForce returns and clears key's mark.
func (s *pushState) takeForce(key cache.ObjectName) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.forced[key]
	delete(s.forced, key)
	return f
}

// acknowledged returns account public key → key for every account whose last push every
// server acknowledged: the accounts a server is expected to list.
func (s *pushState) acknowledged() map[string]cache.ObjectName {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]cache.ObjectName, len(s.pushed))
	for key, rec := range s.pushed {
		out[rec.account] = key
	}
	return out
}

// tokenDigest is a short, fixed-size identity of a JWT, so that the records of a thousand
// accounts do not keep a thousand tokens alive.
func tokenDigest(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
