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

package suite

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/klog/v2"
	"k8s.io/klog/v2/ktesting"

	"github.com/natsauth/nats-auth-operator/cmd/controller/app"
	resolverapp "github.com/natsauth/nats-auth-operator/cmd/resolver/app"
	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// StartControllers runs the controller binary's wiring in-process against the control plane
// (no leader election, no listeners) and stops it when the test ends. Options may be adjusted by
// mutate. It returns a stop function for tests that restart the controller midway.
func StartControllers(t testing.TB, mutate ...func(*app.Options)) (stop func()) {
	t.Helper()
	stop, _ = StartControllersWithLogs(t, mutate...)
	return stop
}

// StartControllersWithLogs is StartControllers that also keeps what the controllers logged, for
// tests that assert on what they did with their own objects (the controllers see every
// namespace, so metrics mix in the objects of tests running in parallel).
func StartControllersWithLogs(t testing.TB, mutate ...func(*app.Options)) (stop func(), logs ktesting.Buffer) {
	t.Helper()
	opts := app.NewOptions()
	opts.RestConfig = controlPlane.Config()
	opts.MetricsBindAddress = "0"
	opts.HealthProbeBindAddress = "0"
	opts.Workers = 2
	for _, m := range mutate {
		m(opts)
	}
	logger := ktesting.NewLogger(t, ktesting.NewConfig(ktesting.BufferLogs(true)))
	ctx, cancel := context.WithCancel(klog.NewContext(context.Background(), logger))
	stop = RunInBackground(t, "controller", cancel, func() error { return app.Run(ctx, opts) })
	return stop, logger.GetSink().(ktesting.Underlier).GetBuffer()
}

// RunInBackground runs fn in a goroutine and returns an idempotent stop that cancels it (through
// cancel) and waits up to 30s for it to return; stop also runs at the end of the test.
func RunInBackground(t testing.TB, name string, cancel context.CancelFunc, fn func() error) (stop func()) {
	t.Helper()
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := fn(); err != nil {
			t.Errorf("%s exited: %v", name, err)
		}
	})
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			done := make(chan struct{})
			go func() { wg.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Errorf("%s did not stop within 30s", name)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// Resolver is the resolver binary's wiring running in-process.
type Resolver struct {
	// Stop cancels Run and waits for it; it is idempotent and also runs at cleanup.
	Stop func()
	// MetricsURL is the resolver's /metrics endpoint.
	MetricsURL string
	// ReadyzURL is the resolver's /readyz endpoint.
	ReadyzURL string
	// Logs holds what the resolver logged, for tests that assert on what it reported.
	Logs ktesting.Buffer
}

// StartResolver runs cmd/resolver/app.Run in-process for the operator operatorNS/operatorName,
// connected to natsURL with the creds file, like StartControllers does for the controller
// binary (no leader election). Options may be adjusted by mutate; the drift interval is 1s and
// the push timeout 2s unless changed, so the tests' waits stay short.
func StartResolver(t testing.TB, operatorNS, operatorName, natsURL, credsFile string, mutate ...func(*resolverapp.Options)) *Resolver {
	t.Helper()
	opts := resolverapp.NewOptions()
	opts.RestConfig = controlPlane.Config()
	opts.Operator = operatorNS + "/" + operatorName
	opts.NatsURL = natsURL
	opts.CredsFile = credsFile
	opts.MetricsBindAddress = FreeAddr(t)
	opts.HealthProbeBindAddress = FreeAddr(t)
	opts.DriftInterval = time.Second
	opts.PushTimeout = 2 * time.Second
	for _, m := range mutate {
		m(opts)
	}
	if err := opts.Validate(); err != nil {
		t.Fatalf("resolver options: %v", err)
	}
	logger := ktesting.NewLogger(t, ktesting.NewConfig(ktesting.BufferLogs(true)))
	ctx, cancel := context.WithCancel(klog.NewContext(context.Background(), logger))
	stop := RunInBackground(t, "resolver", cancel, func() error { return resolverapp.Run(ctx, opts) })
	return &Resolver{Stop: stop, MetricsURL: "http://" + opts.MetricsBindAddress + "/metrics",
		ReadyzURL: "http://" + opts.HealthProbeBindAddress + "/readyz", Logs: logger.GetSink().(ktesting.Underlier).GetBuffer()}
}

// Metric returns the sum of every sample of the named metric whose labels include labels
// (such as `result="hit"`), or -1 when the endpoint cannot be read.
func (r *Resolver) Metric(name string, labels ...string) float64 {
	resp, err := http.Get(r.MetricsURL)
	if err != nil {
		return -1
	}
	defer func() { _ = resp.Body.Close() }()
	return SumSamples(resp.Body, name, labels)
}

// Ready reports whether /readyz answers 200.
func (r *Resolver) Ready() bool {
	code, _ := HTTPGet(r.ReadyzURL)
	return code == http.StatusOK
}

// SumSamples sums the samples of the named metric in a Prometheus text exposition whose labels
// include labels.
func SumSamples(body io.Reader, name string, labels []string) float64 {
	sum := 0.0
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		matches := true
		for _, l := range labels {
			matches = matches && strings.Contains(line, l)
		}
		fields := strings.Fields(line)
		if v, err := strconv.ParseFloat(fields[len(fields)-1], 64); err == nil && matches {
			sum += v
		}
	}
	return sum
}

// HTTPGet returns the status code and body of GET url (0 and the error text when it fails).
func HTTPGet(url string) (int, string) {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// handedOut are the ports FreeAddr returned: the kernel may offer a port again once its probe
// listener closed, and a binary given the same port for metrics and probes cannot start.
var (
	handedOutMu sync.Mutex
	handedOut   = map[int]bool{}
)

// FreeAddr returns a free loopback address that no other FreeAddr call of this run returned.
func FreeAddr(t testing.TB) string {
	t.Helper()
	handedOutMu.Lock()
	defer handedOutMu.Unlock()
	for {
		p, err := testbed.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		if !handedOut[p] {
			handedOut[p] = true
			return net.JoinHostPort("127.0.0.1", fmt.Sprint(p))
		}
	}
}

// SyncBuffer is a bytes.Buffer that several goroutines (a process's stdout and stderr) may write.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// resolverDirLine is the resolver dir line of a rendered auth.conf.
var resolverDirLine = regexp.MustCompile(`(?m)^(\s*dir:\s*).*$`)

// ResolverPerServerJWTDir points the one `dir` of a rendered auth.conf at each server's own
// directory (testbed sets $TESTBED_JWT_DIR per server): servers of a cluster must not share a JWT
// store.
func ResolverPerServerJWTDir(t testing.TB, auth string) string {
	t.Helper()
	if n := len(resolverDirLine.FindAllString(auth, -1)); n != 1 {
		t.Fatalf("auth.conf has %d dir lines, want 1:\n%s", n, auth)
	}
	return resolverDirLine.ReplaceAllString(auth, "${1}$$"+testbed.JWTDirEnv)
}
