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
	"errors"
	"maps"
	"slices"
	"sync"
	"time"

	"k8s.io/utils/clock"

	"github.com/natsauth/nats-auth-operator/resolver/natssys"
)

// errNoServers means no nats-server has answered a ping within the retention window, so there
// is nobody to push to and nobody to report as missing.
var errNoServers = errors.New("no nats-server answered $SYS.REQ.SERVER.PING")

// serverView is what a push or drift check needs to know about the servers.
type serverView struct {
	// expected are the names of the servers that must acknowledge a push: every server seen
	// within the retention window, reachable or not.
	expected []string
	// live is the number of servers that answered the latest ping, the count to wait for in a
	// CLAIMS.LIST, which only reachable servers can answer.
	live int
	// restarted are the servers that came back with a new identity, or joined, since the
	// previous ping; their stores may lack or hold stale JWTs.
	restarted []string
}

// seenServer is a server's last known identity.
type seenServer struct {
	id string
	at time.Time
}

// serverSet caches which servers exist so that a sync does not ping on every push. It
// remembers servers by name for the retention window after they were last seen: a stopped
// server then keeps counting as expected and is reported missing, while one that was scaled
// away is eventually forgotten.
type serverSet struct {
	ping      func(ctx context.Context) ([]natssys.ServerInfo, error)
	clock     clock.PassiveClock
	ttl       time.Duration
	retention time.Duration

	mu sync.Mutex
	// fetched is when the last ping ran; zero forces the next use to ping.
	fetched time.Time
	// generation counts invalidations, so that a ping that started before one is not taken
	// for the fresh answer it asked for.
	generation int
	live       int
	seen       map[string]seenServer
	// caches are servers that answered a push with "skipped": cache resolvers.
	caches map[string]bool
}

func newServerSet(ping func(context.Context) ([]natssys.ServerInfo, error), clk clock.PassiveClock, ttl, retention time.Duration) *serverSet {
	return &serverSet{ping: ping, clock: clk, ttl: ttl, retention: retention,
		seen: map[string]seenServer{}, caches: map[string]bool{}}
}

// get returns the cached view and whether it is older than the TTL, in which case the caller
// should have it refreshed in the background: a ping waits for replies to stop arriving (a
// quarter of a second at least), which a push should not pay. Only when there is no view at
// all, at start or after invalidate, does get ping itself.
func (s *serverSet) get(ctx context.Context) (view serverView, stale bool, err error) {
	s.mu.Lock()
	if !s.fetched.IsZero() {
		defer s.mu.Unlock()
		view, err = s.viewLocked(nil)
		return view, s.staleLocked(), err
	}
	s.mu.Unlock()
	view, err = s.refresh(ctx)
	return view, false, err
}

// stale reports whether the cached view is older than the TTL.
func (s *serverSet) stale() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.staleLocked()
}

func (s *serverSet) staleLocked() bool {
	return s.fetched.IsZero() || s.clock.Since(s.fetched) >= s.ttl
}

// refresh pings now, whatever the age of the cached view. The lock is not held during the
// ping, so pushes reading the cached view never wait for one.
func (s *serverSet) refresh(ctx context.Context) (serverView, error) {
	s.mu.Lock()
	generation := s.generation
	s.mu.Unlock()
	infos, pingErr := s.ping(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mergeLocked(infos, pingErr, generation == s.generation)
}

// invalidate makes the next get ping and wait for the answer, for instance after a reconnect,
// when the servers may have changed in any way. A ping already running when it is called
// does not count as that answer.
func (s *serverSet) invalidate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fetched = time.Time{}
	s.generation++
}

// mergeLocked merges a ping's answers into what is known. A ping that failed still updates
// the servers that did answer; the error only matters when nobody is known at all. current
// says no invalidate happened during the ping, so its answer may be cached as fresh.
func (s *serverSet) mergeLocked(infos []natssys.ServerInfo, pingErr error, current bool) (serverView, error) {
	now := s.clock.Now()
	if current {
		s.fetched = now
	}
	s.live = len(infos)
	first := len(s.seen) == 0
	var restarted []string
	for _, info := range infos {
		prev, known := s.seen[info.Name]
		if !first && (!known || prev.id != info.ID) {
			restarted = append(restarted, info.Name)
		}
		s.seen[info.Name] = seenServer{id: info.ID, at: now}
	}
	for name, srv := range s.seen {
		if now.Sub(srv.at) > s.retention {
			delete(s.seen, name)
			delete(s.caches, name)
		}
	}
	view, err := s.viewLocked(restarted)
	if err != nil && pingErr != nil {
		err = errors.Join(err, pingErr)
	}
	return view, err
}

// viewLocked returns the expected servers, sorted.
func (s *serverSet) viewLocked(restarted []string) (serverView, error) {
	if len(s.seen) == 0 {
		return serverView{}, errNoServers
	}
	return serverView{expected: slices.Sorted(maps.Keys(s.seen)), live: s.live, restarted: restarted}, nil
}

// markCache records that name runs a cache resolver.
func (s *serverSet) markCache(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.caches[name] = true
}

// isCache reports whether name is known to run a cache resolver.
func (s *serverSet) isCache(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.caches[name]
}
