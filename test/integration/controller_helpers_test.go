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

package integration

import (
	"context"
	"sync"
	"testing"
	"time"

	"k8s.io/klog/v2"
	"k8s.io/klog/v2/ktesting"

	"github.com/natsauth/nats-auth-operator/cmd/controller/app"
)

// startControllers runs the controller binary's wiring in-process against the test control plane
// (no leader election, no listeners) and stops it when the test ends. Options may be adjusted by
// mutate. It returns a stop function for tests that restart the controller midway.
func startControllers(t *testing.T, mutate ...func(*app.Options)) (stop func()) {
	t.Helper()
	opts := app.NewOptions()
	opts.RestConfig = controlPlane.Config()
	opts.MetricsBindAddress = "0"
	opts.HealthProbeBindAddress = "0"
	opts.Workers = 2
	for _, m := range mutate {
		m(opts)
	}
	_, logCtx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(klog.NewContext(context.Background(), klog.FromContext(logCtx)))
	return runInBackground(t, "controller", cancel, func() error { return app.Run(ctx, opts) })
}

// runInBackground runs fn in a goroutine and returns an idempotent stop that cancels it (through
// cancel) and waits up to 30s for it to return; stop also runs at the end of the test.
func runInBackground(t *testing.T, name string, cancel context.CancelFunc, fn func() error) (stop func()) {
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
