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
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/natsauth/nats-auth-operator/controllers/naming"
	natsclientset "github.com/natsauth/nats-auth-operator/generated/clientset/versioned"
	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// natsServers is the size of the benchmark's nats-server cluster.
const natsServers = 3

// natsLogV is the klog verbosity given to the controller and resolver binaries of the NATS
// workload (and to the resolver of every natsStack); 0 keeps their production default. Raise it
// (--nats-log-v 4) to see every push, lookup and sync in the logs under --state-dir.
var natsLogV int

// natsStack is a 3-server nats-server cluster configured from one NatsOperator's rendered
// server-config Secret, plus the resolver binary pushing that operator's accounts to it: what a
// deployment runs next to the controller. W1/W2 start one to count pushes; the NATS workload to
// measure the resolver path.
type natsStack struct {
	operatorNS, operatorName string
	// dir holds each server's config, log and JWT store, the resolver's creds and its log; it
	// is kept after stop for investigation and removed by the next start for the same operator.
	dir      string
	servers  []*testbed.NatsServer
	resolver *testbed.Process
	// metricsURL is the resolver's /metrics endpoint.
	metricsURL string
	// credsFile holds the resolver's system-account user (the <op>-resolver-creds Secret).
	credsFile string
	http      *http.Client
}

// startNATSStack starts, for the operator operatorNS/operatorName, which must be Ready: a cluster
// of 3 nats-servers on loopback, each from the operator's auth.conf with nothing changed but the
// resolver directory (one store per server), and the resolver binary (opts.ResolverBin) with its
// production flags plus what it cannot default: the kubeconfig, --operator, --nats-url (every
// server's URL), --creds and loopback metrics/probe ports. It returns once the resolver is ready
// (connected and synced); whether every account is pushed yet is for the caller to wait for
// (waitPushed). logf reports progress. On error everything started is stopped.
func startNATSStack(ctx context.Context, cp *testbed.ControlPlane, opts options, logf func(string, ...any), operatorNS, operatorName string) (_ *natsStack, err error) {
	if _, err := os.Stat(opts.ResolverBin); err != nil {
		return nil, fmt.Errorf("resolver binary: %w (run `make bench`, which builds it)", err)
	}
	kube, err := kubernetes.NewForConfig(cp.Config())
	if err != nil {
		return nil, err
	}
	natsauth, err := natsclientset.NewForConfig(cp.Config())
	if err != nil {
		return nil, err
	}
	op, err := natsauth.NatsauthV1alpha1().NatsOperators(operatorNS).Get(ctx, operatorName, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	if op.Status.ServerConfigSecret == "" {
		return nil, fmt.Errorf("NatsOperator %s/%s has no server-config Secret yet; wait until it is Ready", operatorNS, operatorName)
	}
	cfg, err := kube.CoreV1().Secrets(operatorNS).Get(ctx, op.Status.ServerConfigSecret, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("the server-config Secret: %w", err)
	}
	auth, err := perServerJWTDir(string(cfg.Data[naming.AuthConf]))
	if err != nil {
		return nil, fmt.Errorf("Secret %s/%s: %w", operatorNS, cfg.Name, err)
	}
	credsName := naming.ResolverCredsSecret(operatorName)
	credsSecret, err := kube.CoreV1().Secrets(operatorNS).Get(ctx, credsName, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("the resolver creds Secret: %w", err)
	}
	creds := credsSecret.Data[naming.UserCreds]
	if len(creds) == 0 {
		return nil, fmt.Errorf("Secret %s/%s has no user.creds", operatorNS, credsName)
	}

	s := &natsStack{operatorNS: operatorNS, operatorName: operatorName,
		dir:  filepath.Join(opts.StateDir, "nats-"+operatorNS+"-"+operatorName),
		http: &http.Client{Timeout: 5 * time.Second}}
	defer func() {
		if err != nil {
			s.stop()
		}
	}()
	if err := os.RemoveAll(s.dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return nil, err
	}
	s.credsFile = filepath.Join(s.dir, "resolver.creds")
	if err := os.WriteFile(s.credsFile, creds, 0o600); err != nil {
		return nil, err
	}

	began := time.Now()
	if s.servers, err = startCluster(ctx, s.dir, natsServers, auth); err != nil {
		return nil, fmt.Errorf("nats-server cluster: %w", err)
	}
	logf("nats-server cluster of %d formed in %s from Secret %s/%s auth.conf (per-server resolver dir; logs under %s)",
		len(s.servers), time.Since(began).Round(time.Millisecond), operatorNS, cfg.Name, s.dir)

	began = time.Now()
	if err := s.startResolver(ctx, cp.Kubeconfig(), opts.ResolverBin); err != nil {
		return nil, fmt.Errorf("resolver: %w", err)
	}
	logf("resolver ready in %s (pid %d, log %s)", time.Since(began).Round(time.Millisecond), s.resolver.Pid(), s.resolver.LogPath())
	return s, nil
}

// dirLine is the resolver dir line of a rendered auth.conf.
var dirLine = regexp.MustCompile(`(?m)^(\s*dir:\s*).*$`)

// perServerJWTDir points the one `dir` of a rendered auth.conf at $TESTBED_JWT_DIR, which testbed
// sets to each server's own store: the servers of a cluster must not share one.
func perServerJWTDir(auth string) (string, error) {
	if n := len(dirLine.FindAllStringIndex(auth, -1)); n != 1 {
		return "", fmt.Errorf("auth.conf has %d resolver dir lines, want 1:\n%s", n, auth)
	}
	return dirLine.ReplaceAllString(auth, "${1}$$"+testbed.JWTDirEnv), nil
}

// startCluster starts n nats-servers named nats-0..nats-<n-1> with auth as their auth part, in
// a route cluster on loopback, and waits until every server routes to all the others. A port
// taken between choosing and binding it restarts the attempt with fresh ports.
func startCluster(ctx context.Context, dir string, n int, auth string) ([]*testbed.NatsServer, error) {
	var lastErr error
	for attempt := 1; attempt <= 5; attempt++ {
		servers, err := startClusterOnce(ctx, dir, n, auth)
		if err == nil {
			return servers, nil
		}
		for _, s := range servers {
			s.Stop()
		}
		lastErr = err
		if !testbed.IsBindConflict(err) {
			break
		}
	}
	return nil, lastErr
}

func startClusterOnce(ctx context.Context, dir string, n int, auth string) ([]*testbed.NatsServer, error) {
	routePorts, err := testbed.FreePorts(n)
	if err != nil {
		return nil, err
	}
	var servers []*testbed.NatsServer
	for i := range n {
		var routes []string
		for j, p := range routePorts {
			if j != i {
				routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", p))
			}
		}
		name := fmt.Sprintf("nats-%d", i)
		srvDir := filepath.Join(dir, name)
		if err := os.RemoveAll(srvDir); err != nil {
			return servers, err
		}
		if err := os.MkdirAll(srvDir, 0o755); err != nil {
			return servers, err
		}
		s, err := testbed.StartNatsServerMain(srvDir, testbed.NatsOptions{
			ServerName: name, ConfigText: auth,
			Cluster: testbed.NatsClusterOptions{Name: "bench", Port: routePorts[i], Routes: routes},
		})
		if s != nil && s.Running() {
			servers = append(servers, s)
		}
		if err != nil {
			return servers, err
		}
	}
	waitCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	return servers, testbed.WaitForRoutes(waitCtx, servers, n-1)
}

// startResolver runs the resolver binary and waits for its /readyz, retrying on a port conflict.
func (s *natsStack) startResolver(ctx context.Context, kubeconfig, bin string) error {
	urls := make([]string, len(s.servers))
	for i, srv := range s.servers {
		urls[i] = srv.ClientURL()
	}
	logPath := filepath.Join(s.dir, "resolver.log")
	for attempt := 1; ; attempt++ {
		ports, err := testbed.FreePorts(2)
		if err != nil {
			return err
		}
		args := []string{
			"--kubeconfig=" + kubeconfig,
			"--operator=" + s.operatorNS + "/" + s.operatorName,
			"--nats-url=" + strings.Join(urls, ","),
			"--creds=" + s.credsFile,
			fmt.Sprintf("--metrics-bind-address=127.0.0.1:%d", ports[0]),
			fmt.Sprintf("--health-probe-bind-address=127.0.0.1:%d", ports[1]),
		}
		if natsLogV > 0 {
			args = append(args, fmt.Sprintf("-v=%d", natsLogV))
		}
		p, err := testbed.StartProcess(testbed.ProcessOptions{Name: "resolver", Path: bin, Args: args, LogPath: logPath})
		if err != nil {
			return err
		}
		err = p.WaitHTTP(ctx, fmt.Sprintf("http://127.0.0.1:%d/readyz", ports[1]))
		if err == nil {
			s.resolver = p
			s.metricsURL = fmt.Sprintf("http://127.0.0.1:%d/metrics", ports[0])
			return nil
		}
		if !testbed.IsBindConflict(err) || attempt == 3 {
			return err
		}
	}
}

// urls returns the servers' client URLs.
func (s *natsStack) urls() []string {
	out := make([]string, len(s.servers))
	for i, srv := range s.servers {
		out[i] = srv.ClientURL()
	}
	return out
}

// metric sums every sample of the resolver's metric name (all label values).
func (s *natsStack) metric(ctx context.Context, name string) (float64, error) {
	if s.resolver == nil {
		return 0, errors.New("the resolver is not running")
	}
	return scrapeSum(ctx, s.http, s.metricsURL, name)
}

// metricMatching sums the samples of the resolver's metric name whose labels contain match.
func (s *natsStack) metricMatching(ctx context.Context, name string, match ...string) (float64, error) {
	if s.resolver == nil {
		return 0, errors.New("the resolver is not running")
	}
	return scrapeSum(ctx, s.http, s.metricsURL, name, match...)
}

// scrapeSum sums every sample of the metric name (all label values, or only those whose label
// set contains match) at a Prometheus text endpoint.
func scrapeSum(ctx context.Context, client *http.Client, url, name string, match ...string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	sum := 0.0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		if !containsAll(line, match) {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %q: %w", name, line, err)
		}
		sum += v
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return sum, nil
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// pushes returns natsauth_resolver_pushes_total summed over its results (success, partial,
// failed): every account JWT push the resolver made since it started.
func (s *natsStack) pushes(ctx context.Context) (float64, error) {
	if s == nil {
		return 0, nil
	}
	return s.metric(ctx, "natsauth_resolver_pushes_total")
}

// waitPushed waits until every account of the operator (its system account, which the servers
// preload, aside) has a claimsHash that the resolver reports acknowledged by every server.
func (s *natsStack) waitPushed(ctx context.Context, natsauth natsclientset.Interface, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var pending []string
	for {
		list, err := natsauth.NatsauthV1alpha1().NatsAccounts(s.operatorNS).List(ctx, metav1.ListOptions{})
		if err == nil {
			pending = pending[:0]
			for _, a := range list.Items {
				if a.Spec.OperatorRef.Name != s.operatorName || a.Labels[naming.LabelSystemAccount] != "" {
					continue
				}
				if a.Status.ClaimsHash == "" || a.Status.PushedClaimsHash != a.Status.ClaimsHash {
					pending = append(pending, a.Name)
				}
			}
			if len(pending) == 0 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			shown := pending
			if len(shown) > 10 {
				shown = append(slices.Clone(shown[:10]), fmt.Sprintf("and %d more", len(pending)-10))
			}
			return fmt.Errorf("accounts %v not pushed to every server within %s (last error %v; see %s)", shown, timeout, err, s.resolver.LogPath())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// stop stops the resolver, then the servers. It is idempotent; the logs stay in s.dir.
func (s *natsStack) stop() {
	if s == nil {
		return
	}
	if s.resolver != nil {
		s.resolver.Stop()
	}
	for _, srv := range s.servers {
		srv.Stop()
	}
	s.http.CloseIdleConnections()
}
