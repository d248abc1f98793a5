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
	"context"
	"errors"
	"net/http"
	"time"
)

// This file holds variants for programs (the demo) that have no testing.TB: they return errors
// and leave cleanup to the caller.

// ProcessOptions describes a child process started by StartProcess.
type ProcessOptions struct {
	// Name is a short name for messages, such as "controller".
	Name string
	// Path is the executable.
	Path string
	// Args are its arguments.
	Args []string
	// Env holds extra KEY=VALUE entries on top of this process's environment.
	Env []string
	// Dir is the working directory; empty means the current one.
	Dir string
	// LogPath receives stdout and stderr, appended, so a restart keeps the earlier output.
	LogPath string
}

// Process is a child process started by StartProcess. Like the test bed's own processes it is
// killed by the kernel when its parent dies, so a crashed demo leaves nothing holding ports.
type Process struct{ p *process }

// StartProcess starts a binary (the controller or the resolver under a demo, for example). It
// does not wait for readiness; see WaitHTTP.
func StartProcess(o ProcessOptions) (*Process, error) {
	p := &process{name: o.Name, path: o.Path, args: o.Args, env: o.Env, dir: o.Dir, logPath: o.LogPath}
	if err := p.start(); err != nil {
		return nil, err
	}
	return &Process{p: p}, nil
}

// WaitHTTP waits until GET url answers 200, the process exits, or ctx ends (bounded by the
// package's start timeout). Errors carry the tail of the log. On failure the process is stopped.
func (p *Process) WaitHTTP(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	defer client.CloseIdleConnections()
	err := p.p.waitReady(ctx, 50*time.Millisecond, func(ctx context.Context) error {
		return httpOK(ctx, client, url, nil)
	})
	if err != nil {
		p.p.stop()
	}
	return err
}

// Stop sends SIGTERM and waits, killing the process after a grace period. It is idempotent.
func (p *Process) Stop() { p.p.stop() }

// Running reports whether the process has not exited.
func (p *Process) Running() bool { return p.p.running() }

// Pid returns the process id.
func (p *Process) Pid() int {
	p.p.mu.Lock()
	defer p.p.mu.Unlock()
	return p.p.cmd.Process.Pid
}

// LogPath returns the file holding the process's output.
func (p *Process) LogPath() string { return p.p.logPath }

// LogTail returns the last n lines of the output, for failure messages.
func (p *Process) LogTail(n int) string { return p.p.tail(n) }

// IsBindConflict reports whether a start failed because a port chosen as free was taken in the
// meantime; the caller should retry with fresh ports.
func IsBindConflict(err error) bool { return errors.Is(err, errBindConflict) }

// FreePorts returns n distinct TCP ports on 127.0.0.1 that were free a moment ago.
func FreePorts(n int) ([]int, error) { return freePorts(n) }

// StartNatsServerMain is StartNatsServer for programs: dir holds the config and the log (and the
// JWT directory unless opts.JWTDir is set), the caller calls Stop and removes dir.
func StartNatsServerMain(dir string, opts NatsOptions) (*NatsServer, error) {
	return startNatsServer(dir, opts, nil)
}
