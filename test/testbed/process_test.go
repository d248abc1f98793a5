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
	"net"
	"strings"
	"testing"
)

// TestBindConflictDetected checks that a start failing on a taken port is recognised (so that
// starters retry) and that the error carries the process's own explanation.
func TestBindConflictDetected(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	busy := l.Addr().(*net.TCPAddr).Port
	ports, err := freePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	s, err := startNatsServer(t.TempDir(), NatsOptions{}, []int{busy, ports[0], ports[1]})
	if err == nil {
		s.Stop()
		t.Fatal("nats-server started on a port that is in use")
	}
	if !errors.Is(err, errBindConflict) {
		t.Fatalf("want errBindConflict, got %v", err)
	}
	if !strings.Contains(err.Error(), "--- last ") {
		t.Fatalf("error lacks the log tail: %v", err)
	}
	if s.Running() {
		t.Fatal("failed server still running")
	}
}
