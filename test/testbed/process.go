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
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// stopGrace is how long a process may take to exit after SIGTERM before it is killed. The
// measured stops take about a second; the apiserver can hang far longer when etcd is gone.
const stopGrace = 15 * time.Second

// logTailLines is how many log lines an error message carries.
const logTailLines = 40

// errBindConflict marks a start that failed because a port chosen as free was taken meanwhile;
// callers retry with fresh ports (or, for restarts, the same ports after a pause).
var errBindConflict = errors.New("address already in use")

// sysProcAttr returns the attributes for child processes; sysproc_linux.go adds a parent-death
// signal. Elsewhere only t.Cleanup stops the children.
var sysProcAttr = func() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }

// process is one child process whose output goes to a log file that survives restarts, so that
// a test can look at everything the component said.
type process struct {
	name    string   // short name for messages, e.g. "etcd"
	path    string   // executable
	args    []string // arguments; kept for restarts
	env     []string // extra KEY=VALUE entries
	dir     string   // working directory; relative paths in configs resolve here
	logPath string

	mu        sync.Mutex
	cmd       *exec.Cmd
	done      chan struct{} // closed once the process is reaped
	waitErr   error
	logOffset int64 // log size when the current run started, to look at this run only
	starts    int
}

// start launches the process; it does not wait for readiness.
func (p *process) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil && !isClosed(p.done) {
		return fmt.Errorf("%s is already running", p.name)
	}
	f, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	// The child gets its own copy of the descriptor, so ours can be closed right after Start.
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	p.starts++
	fmt.Fprintf(f, "=== testbed: start #%d of %s at %s\n", p.starts, p.name, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(p.path, p.args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Dir = p.dir
	cmd.Env = append(os.Environ(), p.env...)
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", p.name, err)
	}
	done := make(chan struct{})
	p.cmd, p.done, p.waitErr, p.logOffset = cmd, done, nil, fi.Size()
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		p.waitErr = err
		p.mu.Unlock()
		close(done)
	}()
	return nil
}

// waitReady polls ready until it succeeds, the process exits, or ctx ends. Errors carry the
// tail of the log because "not ready" alone never tells why.
func (p *process) waitReady(ctx context.Context, interval time.Duration, ready func(context.Context) error) error {
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	var last error
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if isClosed(done) {
			return p.exitError()
		}
		if last = ready(ctx); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: %v (last check: %v)%s", p.name, ctx.Err(), last, p.tailNote())
		case <-done:
		case <-tick.C:
		}
	}
}

// exitError describes an unexpected exit; it wraps errBindConflict when the log says so.
func (p *process) exitError() error {
	p.mu.Lock()
	werr := p.waitErr
	p.mu.Unlock()
	err := fmt.Errorf("%s exited during start (%v)%s", p.name, werr, p.tailNote())
	if strings.Contains(p.currentLog(), "address already in use") {
		return fmt.Errorf("%w: %w", errBindConflict, err)
	}
	return err
}

// running reports whether the process has been started and not yet reaped.
func (p *process) running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd != nil && !isClosed(p.done)
}

// pid returns the process id of a running process, 0 otherwise (also for a nil p).
func (p *process) pid() int {
	if p == nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.cmd.Process == nil || isClosed(p.done) {
		return 0
	}
	return p.cmd.Process.Pid
}

// signal sends sig to a running process; it is a no-op otherwise.
func (p *process) signal(sig syscall.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || isClosed(p.done) {
		return nil
	}
	return p.cmd.Process.Signal(sig)
}

// waitState polls /proc/<pid>/stat until the process is in state (for example 'T', stopped).
func (p *process) waitState(state byte, timeout time.Duration) error {
	p.mu.Lock()
	cmd := p.cmd
	p.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return nil
	}
	path := fmt.Sprintf("/proc/%d/stat", cmd.Process.Pid)
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		// The state follows the parenthesised command name: "pid (comm) S ...".
		if i := bytes.LastIndexByte(b, ')'); i >= 0 && i+2 < len(b) && b[i+2] == state {
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("process %d did not reach state %c within %s", cmd.Process.Pid, state, timeout)
}

// stop sends SIGTERM and waits; after the grace period it kills. SIGCONT follows SIGTERM so that
// a paused process can act on it. Stopping a stopped process does nothing.
func (p *process) stop() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil || isClosed(done) {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Process.Signal(syscall.SIGCONT)
	select {
	case <-done:
		return
	case <-time.After(stopGrace):
	}
	_ = cmd.Process.Kill()
	<-done
}

// currentLog returns what the process wrote since its last start.
func (p *process) currentLog() string {
	p.mu.Lock()
	off := p.logOffset
	p.mu.Unlock()
	b, err := readFrom(p.logPath, off, -1)
	if err != nil {
		return ""
	}
	return string(b)
}

// logContains reports whether the whole log (all runs) contains s.
func (p *process) logContains(s string) bool {
	b, err := os.ReadFile(p.logPath)
	return err == nil && bytes.Contains(b, []byte(s))
}

// tail returns the last n lines of the log. Only the last 64 KiB are read: the apiserver log
// can be large and only its end matters for a failure.
func (p *process) tail(n int) string {
	fi, err := os.Stat(p.logPath)
	if err != nil {
		return ""
	}
	const window = 64 << 10
	off := max(fi.Size()-window, 0)
	b, err := readFrom(p.logPath, off, window)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// tailNote formats the log tail for an error message.
func (p *process) tailNote() string {
	return fmt.Sprintf("\n--- last %d lines of %s ---\n%s\n--- end of log ---", logTailLines, p.logPath, p.tail(logTailLines))
}

// readFrom reads up to limit bytes (all if limit < 0) of a file starting at off.
func readFrom(path string, off, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return nil, err
	}
	var r io.Reader = f
	if limit >= 0 {
		r = io.LimitReader(f, limit)
	}
	return io.ReadAll(r)
}

// isClosed reports whether ch is closed; a nil channel counts as open.
func isClosed(ch chan struct{}) bool {
	if ch == nil {
		return false
	}
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
