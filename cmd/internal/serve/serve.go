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

// Package serve runs the observability endpoints both binaries share: Prometheus /metrics and the
// /healthz and /readyz probes.
package serve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"k8s.io/klog/v2"
)

// Check reports nil when healthy, else why not.
type Check func() error

// Readiness is a settable readiness flag with a reason.
type Readiness struct{ reason atomic.Pointer[string] }

// NewReadiness starts not ready with reason.
func NewReadiness(reason string) *Readiness {
	r := &Readiness{}
	r.NotReady(reason)
	return r
}

// Ready marks ready.
func (r *Readiness) Ready() { r.reason.Store(nil) }

// NotReady marks not ready with reason.
func (r *Readiness) NotReady(reason string) { r.reason.Store(&reason) }

// Check implements Check.
func (r *Readiness) Check() error {
	if p := r.reason.Load(); p != nil {
		return errors.New(*p)
	}
	return nil
}

// Listen binds addr ("0" or "" disables and returns nil, nil). Binding early lets a caller fail
// before leader election when the port is taken, and lets tests pass ":0" and read the port.
func Listen(addr string) (net.Listener, error) {
	if addr == "" || addr == "0" {
		return nil, nil
	}
	return net.Listen("tcp", addr)
}

// ListenBoth opens the metrics and the health probe listeners of a binary (each may be off, see
// Listen), closing the first when the second fails.
func ListenBoth(metricsAddr, probeAddr string) (metrics, probe net.Listener, err error) {
	if metrics, err = Listen(metricsAddr); err != nil {
		return nil, nil, fmt.Errorf("metrics listener: %w", err)
	}
	if probe, err = Listen(probeAddr); err != nil {
		if metrics != nil {
			metrics.Close()
		}
		return nil, nil, fmt.Errorf("health probe listener: %w", err)
	}
	return metrics, probe, nil
}

// Profiling adds Go's /debug/pprof handlers to a server; pass it to Run behind a flag only: the
// profiles show the process's internals to whoever reaches the port.
func Profiling(mux *http.ServeMux) {
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
}

// Run serves on l until ctx ends. metrics may be nil; healthz and readyz are always served; extra
// adds handlers (Profiling).
func Run(ctx context.Context, l net.Listener, registry *prometheus.Registry, healthz, readyz Check, extra ...func(*http.ServeMux)) error {
	if l == nil {
		<-ctx.Done()
		return nil
	}
	mux := http.NewServeMux()
	if registry != nil {
		mux.Handle("/metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{Registry: registry}))
	}
	mux.Handle("/healthz", probe(healthz))
	mux.Handle("/readyz", probe(readyz))
	for _, add := range extra {
		add(mux)
	}
	// Timeouts so a slow client cannot hold connections open forever.
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		klog.FromContext(ctx).Error(err, "Shutting down the observability server")
	}
	return nil
}

func probe(check Check) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if check != nil {
			if err := check(); err != nil {
				http.Error(w, err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		_, _ = w.Write([]byte("ok"))
	})
}
