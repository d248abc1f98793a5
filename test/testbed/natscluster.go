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
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"
)

// StartNatsCluster starts n nats-servers that form a route cluster on loopback, each with
// routes to all the others, and waits until every server sees a route to each of the n-1
// others. opts applies to every server; ServerName (default "testbed-nats") gets a "-<i>"
// suffix, Cluster.Name defaults to "testbed", Cluster.Port and Routes are set here, and a
// non-empty JWTDir becomes <JWTDir>/<server name> since servers must not share a store.
func StartNatsCluster(t testing.TB, n int, opts NatsOptions) []*NatsServer {
	t.Helper()
	if n < 1 {
		t.Fatalf("testbed: StartNatsCluster needs n >= 1, got %d", n)
	}
	dirs := make([]string, n)
	for i := range dirs {
		dirs[i] = t.TempDir()
	}
	began := time.Now()
	var servers []*NatsServer
	var err error
	for attempt := 1; attempt <= natsStartAttempts; attempt++ {
		servers, err = startNatsCluster(dirs, opts)
		if !errors.Is(err, errBindConflict) {
			break
		}
	}
	for _, s := range servers {
		t.Cleanup(s.Stop)
	}
	if err != nil {
		t.Fatalf("testbed: %v", err)
	}
	t.Logf("testbed: nats cluster of %d formed in %s", n, time.Since(began).Round(time.Millisecond))
	return servers
}

// startNatsCluster makes one attempt; on failure it stops what it started and returns no
// servers, so the caller can retry with fresh ports.
func startNatsCluster(dirs []string, opts NatsOptions) (servers []*NatsServer, err error) {
	n := len(dirs)
	defer func() {
		if err != nil {
			for _, s := range servers {
				s.Stop()
			}
			servers = nil
		}
	}()
	// Route ports must be known before any server starts, since every config lists all peers.
	routePorts, err := freePorts(n)
	if err != nil {
		return nil, err
	}
	base := opts.ServerName
	if base == "" {
		base = "testbed-nats"
	}
	for i := range n {
		o := opts
		o.ServerName = fmt.Sprintf("%s-%d", base, i)
		if o.Cluster.Name == "" {
			o.Cluster.Name = "testbed"
		}
		o.Cluster.Port = routePorts[i]
		o.Cluster.Routes = nil
		for j, p := range routePorts {
			if j != i {
				o.Cluster.Routes = append(o.Cluster.Routes, fmt.Sprintf("nats-route://127.0.0.1:%d", p))
			}
		}
		if opts.JWTDir != "" {
			o.JWTDir = filepath.Join(opts.JWTDir, o.ServerName)
		}
		s, err := startNatsServer(dirs[i], o, nil)
		if s != nil && s.proc.running() {
			servers = append(servers, s)
		}
		if err != nil {
			return servers, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := WaitForRoutes(ctx, servers, n-1); err != nil {
		return servers, err
	}
	return servers, nil
}

// WaitForRoutes waits until each server's /routez lists routes to want distinct remote servers.
// Distinct server ids are counted because nats-server pools several connections per peer, so
// num_routes is a multiple of the peer count.
func WaitForRoutes(ctx context.Context, servers []*NatsServer, want int) error {
	client := &http.Client{Timeout: 2 * time.Second}
	for _, s := range servers {
		var got int
		err := poll(ctx, 50*time.Millisecond, func() (bool, error) {
			peers, err := routePeers(ctx, client, s)
			got = len(peers)
			return err == nil && got >= want, err
		})
		if err != nil {
			return fmt.Errorf("nats-server %s sees %d of %d route peers: %v%s", s.name, got, want, err, s.proc.tailNote())
		}
	}
	return nil
}

// routePeers returns the set of remote server ids that s has routes to.
func routePeers(ctx context.Context, client *http.Client, s *NatsServer) (map[string]bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.MonitorURL()+"/routez", nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /routez: %s", resp.Status)
	}
	var rz struct {
		Routes []struct {
			RemoteID string `json:"remote_id"`
		} `json:"routes"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&rz); err != nil {
		return nil, err
	}
	peers := map[string]bool{}
	for _, r := range rz.Routes {
		if r.RemoteID != "" {
			peers[r.RemoteID] = true
		}
	}
	return peers, nil
}
