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

package testbed

import (
	"errors"
	"fmt"
	"syscall"
	"time"
)

// This file holds fault-injection variants for programs without a testing.TB (the chaos soak):
// they return errors instead of failing a test, and leave cleanup to the caller.

// StartNatsClusterMain is StartNatsCluster for programs: dirs holds one directory per server
// (config, log and, unless opts.JWTDir is set, the JWT store); the caller stops the servers.
func StartNatsClusterMain(dirs []string, opts NatsOptions) ([]*NatsServer, error) {
	if len(dirs) < 1 {
		return nil, errors.New("testbed: StartNatsClusterMain needs at least one directory")
	}
	var servers []*NatsServer
	var err error
	for attempt := 1; attempt <= natsStartAttempts; attempt++ {
		servers, err = startNatsCluster(dirs, opts)
		if !errors.Is(err, errBindConflict) {
			break
		}
	}
	return servers, err
}

// RestartMain is Restart for programs: it stops the server if it runs (a paused one too) and
// starts it again on the same ports, config and JWT directory.
func (s *NatsServer) RestartMain() error {
	s.proc.stop()
	return s.StartAgain()
}

// StartAgain starts a stopped server again on the same ports, config and JWT directory, retrying
// for a few seconds when a port is still held. Call WipeJWTDir before it to start from an empty
// account store.
func (s *NatsServer) StartAgain() error {
	began := time.Now()
	err := s.start()
	for errors.Is(err, errBindConflict) && time.Since(began) < 10*time.Second {
		time.Sleep(200 * time.Millisecond)
		err = s.start()
	}
	if err != nil {
		return fmt.Errorf("testbed: restarting %s: %w", s.name, err)
	}
	return nil
}

// RestartAPIServerMain is RestartAPIServer for programs: kube-apiserver stops and starts again on
// the same port against the same etcd, so clients keep their config.
func (cp *ControlPlane) RestartAPIServerMain() error {
	cp.apiserver.stop()
	stopped := time.Now()
	err := cp.runAPIServer()
	for errors.Is(err, errBindConflict) && time.Since(stopped) < 10*time.Second {
		time.Sleep(200 * time.Millisecond)
		err = cp.runAPIServer()
	}
	if err != nil {
		return fmt.Errorf("testbed: restarting kube-apiserver: %w", err)
	}
	return nil
}

// Kill sends SIGKILL, as a crashing node or an OOM kill would, and waits until the process is
// reaped. It is a no-op on a process that already exited.
func (p *Process) Kill() error {
	if err := p.p.signal(syscall.SIGKILL); err != nil {
		return err
	}
	p.p.mu.Lock()
	done := p.p.done
	p.p.mu.Unlock()
	if done == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	case <-time.After(stopGrace):
		return fmt.Errorf("%s did not exit within %s of SIGKILL", p.p.name, stopGrace)
	}
}

// ExitError returns how the process ended (nil while it runs or after a clean exit).
func (p *Process) ExitError() error {
	p.p.mu.Lock()
	defer p.p.mu.Unlock()
	if !isClosed(p.p.done) {
		return nil
	}
	return p.p.waitErr
}
