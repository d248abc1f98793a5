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
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// natsStartAttempts bounds retries when a port chosen as free is taken before nats-server binds.
const natsStartAttempts = 5

var natsServerSeq atomic.Int64

// NatsServer is a nats-server process listening on 127.0.0.1.
type NatsServer struct {
	opts        NatsOptions
	name        string
	dir         string // config and log directory
	jwtDir      string
	configPath  string
	port        int
	monPort     int
	clusterPort int
	proc        *process
}

// StartNatsServer starts a nats-server configured by opts and waits until its /healthz answers.
// It is stopped in t.Cleanup. A missing binary fails the test with a hint to install it.
func StartNatsServer(t testing.TB, opts NatsOptions) *NatsServer {
	t.Helper()
	dir := t.TempDir()
	began := time.Now()
	s, err := startNatsServer(dir, opts, nil)
	if err != nil {
		t.Fatalf("testbed: %v", err)
	}
	t.Cleanup(s.Stop)
	t.Logf("testbed: nats-server %s ready at %s in %s (log %s)", s.name, s.ClientURL(), time.Since(began).Round(time.Millisecond), s.LogPath())
	return s
}

// startNatsServer starts a server in dir. fixedPorts, if not nil, holds client, monitoring and
// cluster ports to use as they are; otherwise fresh ports are picked for every attempt.
func startNatsServer(dir string, opts NatsOptions, fixedPorts []int) (*NatsServer, error) {
	bin, err := BinPath(NatsServerBinary)
	if err != nil {
		return nil, err
	}
	s := &NatsServer{opts: opts, name: opts.ServerName, dir: dir, jwtDir: opts.JWTDir,
		configPath: filepath.Join(dir, "nats-server.conf")}
	if s.name == "" {
		s.name = fmt.Sprintf("testbed-nats-%d", natsServerSeq.Add(1))
	}
	if s.jwtDir == "" {
		s.jwtDir = filepath.Join(dir, "jwt")
	}
	if err := os.MkdirAll(s.jwtDir, 0o755); err != nil {
		return nil, err
	}
	s.proc = &process{
		name:    "nats-server " + s.name,
		path:    bin,
		args:    []string{"-c", s.configPath},
		env:     []string{JWTDirEnv + "=" + s.jwtDir},
		dir:     dir,
		logPath: filepath.Join(dir, "nats-server.log"),
	}
	for attempt := 1; ; attempt++ {
		if fixedPorts != nil {
			s.port, s.monPort, s.clusterPort = fixedPorts[0], fixedPorts[1], fixedPorts[2]
		} else {
			ports, err := freePorts(3)
			if err != nil {
				return nil, err
			}
			s.port, s.monPort, s.clusterPort = ports[0], ports[1], ports[2]
			if opts.Cluster.Port != 0 {
				s.clusterPort = opts.Cluster.Port
			}
		}
		err = s.start()
		if err == nil || !errors.Is(err, errBindConflict) || attempt == natsStartAttempts || fixedPorts != nil {
			return s, err
		}
	}
}

// start writes the config, launches the process and waits for /healthz.
func (s *NatsServer) start() error {
	conf, err := s.renderConfig()
	if err != nil {
		return err
	}
	if err := os.WriteFile(s.configPath, []byte(conf), 0o600); err != nil {
		return err
	}
	if err := s.proc.start(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	url := s.MonitorURL() + "/healthz"
	err = s.proc.waitReady(ctx, 20*time.Millisecond, func(ctx context.Context) error {
		return httpOK(ctx, client, url, nil)
	})
	if err != nil {
		s.proc.stop()
	}
	return err
}

// ClientURL is the URL clients connect to, e.g. "nats://127.0.0.1:4222".
func (s *NatsServer) ClientURL() string { return fmt.Sprintf("nats://127.0.0.1:%d", s.port) }

// MonitorURL is the base URL of the HTTP monitoring endpoint, e.g. "http://127.0.0.1:8222".
func (s *NatsServer) MonitorURL() string { return fmt.Sprintf("http://127.0.0.1:%d", s.monPort) }

// RouteURL is the URL other servers use to route to this one; meaningful only with clustering.
func (s *NatsServer) RouteURL() string {
	return fmt.Sprintf("nats-route://127.0.0.1:%d", s.clusterPort)
}

// Name returns the server_name.
func (s *NatsServer) Name() string { return s.name }

// JWTDir returns the resolver directory, where a full resolver keeps <account>.jwt files.
func (s *NatsServer) JWTDir() string { return s.jwtDir }

// ConfigPath returns the path of the generated config file.
func (s *NatsServer) ConfigPath() string { return s.configPath }

// LogPath returns the file holding the server's output of all runs.
func (s *NatsServer) LogPath() string { return s.proc.logPath }

// Running reports whether the process is running (paused counts as running).
func (s *NatsServer) Running() bool { return s.proc.running() }

// Stop terminates the server (SIGTERM, then SIGKILL after a grace period). It is idempotent
// and safe to call on a paused server.
func (s *NatsServer) Stop() { s.proc.stop() }

// Restart stops the server if it runs and starts it again on the same ports, config and JWT
// directory, so clients can reconnect to the same URL. Call WipeJWTDir in between to start
// from an empty account store.
func (s *NatsServer) Restart(t testing.TB) {
	t.Helper()
	s.proc.stop()
	began := time.Now()
	// The ports were ours a moment ago; a bind conflict can only be a short-lived race, so
	// retry on the same ports for a few seconds.
	err := s.start()
	for errors.Is(err, errBindConflict) && time.Since(began) < 10*time.Second {
		time.Sleep(200 * time.Millisecond)
		err = s.start()
	}
	if err != nil {
		t.Fatalf("testbed: restarting %s: %v", s.name, err)
	}
	t.Logf("testbed: nats-server %s restarted in %s", s.name, time.Since(began).Round(time.Millisecond))
}

// RestartWithConfigText restarts the server as Restart does, with text as its new ConfigText
// (the auth part), as a pod rolled with a changed server-config Secret: nats-server cannot
// reload an operator JWT.
func (s *NatsServer) RestartWithConfigText(t testing.TB, text string) {
	t.Helper()
	s.opts.ConfigText = text
	s.Restart(t)
}

// WipeJWTDir removes every file from the JWT directory. Do it while the server is stopped: a
// running full resolver keeps its accounts in memory and may write them back.
func (s *NatsServer) WipeJWTDir() error {
	entries, err := os.ReadDir(s.jwtDir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(s.jwtDir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// Pause freezes the server with SIGSTOP: connections stay open but nothing is answered, which
// looks like a hung server to clients. Signal delivery is asynchronous, so Pause returns only once
// the kernel reports the process stopped; otherwise a request sent right after could still be
// answered.
func (s *NatsServer) Pause() error {
	if err := s.proc.signal(syscall.SIGSTOP); err != nil {
		return err
	}
	return s.proc.waitState('T', 5*time.Second)
}

// Resume continues a paused server with SIGCONT.
func (s *NatsServer) Resume() error { return s.proc.signal(syscall.SIGCONT) }

// LogContains reports whether the server's output, over all runs, contains substr.
func (s *NatsServer) LogContains(substr string) bool { return s.proc.logContains(substr) }

// LogTail returns the last n lines of the server's output, for failure messages.
func (s *NatsServer) LogTail(n int) string { return s.proc.tail(n) }

// httpOK performs a GET and succeeds on status 200; header may add e.g. a bearer token.
func httpOK(ctx context.Context, client *http.Client, url string, header http.Header) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}
