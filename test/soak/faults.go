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

package main

import (
	"context"
	"fmt"
	"time"
)

// Fault kinds, as counted in the report.
const (
	faultKillController = "kill leading controller (SIGKILL)"
	faultKillResolver   = "kill leading resolver (SIGKILL)"
	faultRestartAPI     = "restart kube-apiserver"
	faultRestartNats    = "restart nats-server"
	faultRestartWipe    = "restart nats-server with its JWT dir wiped"
	faultFreezeNats     = "freeze nats-server (SIGSTOP/SIGCONT)"
)

var faultKinds = []string{faultKillController, faultKillResolver, faultRestartAPI, faultRestartNats, faultRestartWipe, faultFreezeNats,
	faultDeleteConfig, faultStripOwner, faultTamperCreds, faultKeysMissing, faultControllersDown}

// injectFaults injects one fault at a time. The first round injects every kind once in random
// order, so even a short run sees each; later kinds are drawn the same way. A kind that could not
// be injected (no live leader yet, say) goes back in the queue. It returns once minRun passed and
// every kind was injected at least once, or when ctx ends.
func (s *soak) injectFaults(ctx context.Context, minRun time.Duration) {
	began := time.Now()
	done := map[string]bool{}
	var queue []string
	for sleep(ctx, s.between(s.opts.FaultMinGap, s.opts.FaultMaxGap)) {
		if time.Since(began) >= minRun && len(done) == len(faultKinds) {
			return
		}
		if len(queue) == 0 {
			queue = append([]string(nil), faultKinds...)
			for i := len(queue) - 1; i > 0; i-- {
				j := s.intn(i + 1)
				queue[i], queue[j] = queue[j], queue[i]
			}
		}
		kind := queue[0]
		queue = queue[1:]
		began := time.Now()
		detail, err := s.inject(ctx, kind)
		if err != nil {
			if ctx.Err() == nil {
				s.logf("fault %q not injected: %v", kind, err)
				s.stats.fault("skipped: " + kind)
				queue = append(queue, kind)
			}
			continue
		}
		done[kind] = true
		s.stats.fault(kind)
		s.logf("fault: %s: %s (%s)", kind, detail, time.Since(began).Round(time.Millisecond))
	}
}

// inject runs one fault to its end (a killed process is running again, a frozen server thawed).
func (s *soak) inject(ctx context.Context, kind string) (string, error) {
	switch kind {
	case faultKillController:
		return s.killLeader(ctx, controllerLease, s.controllers)
	case faultKillResolver:
		return s.killLeader(ctx, resolverLease, s.resolvers)
	case faultRestartAPI:
		return "stopped and started on the same port", s.cp.RestartAPIServerMain()
	case faultRestartNats, faultRestartWipe:
		srv := s.servers[s.intn(len(s.servers))]
		srv.Stop()
		if kind == faultRestartWipe {
			if err := srv.WipeJWTDir(); err != nil {
				return "", err
			}
		}
		sleep(ctx, s.between(0, 2*time.Second))
		return srv.Name(), srv.StartAgain()
	case faultDeleteConfig:
		return s.deleteServerConfig(ctx)
	case faultStripOwner:
		return s.stripCredsOwner(ctx)
	case faultTamperCreds:
		return s.tamperCreds(ctx)
	case faultKeysMissing:
		return s.deleteUserWithoutKeys(ctx)
	case faultControllersDown:
		return s.deleteUsersOffline(ctx)
	case faultFreezeNats:
		srv := s.servers[s.intn(len(s.servers))]
		if err := srv.Pause(); err != nil {
			return "", err
		}
		d := s.between(3*time.Second, 12*time.Second)
		sleep(context.WithoutCancel(ctx), d)
		return fmt.Sprintf("%s frozen for %s", srv.Name(), d.Round(time.Millisecond)), srv.Resume()
	}
	return "", fmt.Errorf("unknown fault %q", kind)
}

// killLeader SIGKILLs the replica that holds lease and starts it again after a short pause, as a
// Deployment would; the standby takes over once the Lease expires.
func (s *soak) killLeader(ctx context.Context, lease string, rs []*replica) (string, error) {
	r, err := s.waitLeader(ctx, lease, rs, 30*time.Second)
	if err != nil {
		return "", fmt.Errorf("finding the leader: %w", err)
	}
	r.mu.Lock()
	r.held = true
	p := r.proc
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.held = false
		r.mu.Unlock()
	}()
	pid := p.Pid()
	if err := p.Kill(); err != nil {
		return "", err
	}
	sleep(ctx, s.between(500*time.Millisecond, 3*time.Second))
	startCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	if err := r.start(startCtx); err != nil {
		// The supervisor keeps trying.
		return "", fmt.Errorf("%s (pid %d) killed, restart failed: %w", r.name, pid, err)
	}
	return fmt.Sprintf("%s (pid %d) killed and started again", r.name, pid), nil
}
