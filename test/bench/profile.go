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
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// saveHeapProfile writes the controller's heap profile (with --heap-profile) to
// <dir>/<workload>-<users>-heap.pb.gz: where the memory of a converged controller goes.
func (r *run) saveHeapProfile(ctx context.Context) error {
	if r.opts.HeapProfileDir == "" {
		return nil
	}
	// gc=1: the live heap after a collection, not as of the last cycle, which may have run
	// mid-sync and counted that sync's garbage as live.
	url := strings.TrimSuffix(r.controllerMetrics, "/metrics") + "/debug/pprof/heap?gc=1"
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("heap profile: %s from %s (is the controller running with --profiling?)", resp.Status, url)
	}
	if err := os.MkdirAll(r.opts.HeapProfileDir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(r.opts.HeapProfileDir, fmt.Sprintf("%s-%d-heap.pb.gz", strings.ToLower(r.w.Name), r.users))
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	r.logf("heap profile: %s", path)
	return f.Close()
}
