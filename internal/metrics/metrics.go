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

// Package metrics holds the registry and the sync metrics both binaries serve, and exports
// client-go's workqueue metrics into the same registry. Each binary registers its own metrics
// next to them (controllerutil.NewIssueMetrics, resolver.NewMetrics), so neither serves the
// other's.
package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the registry of one binary and the sync metrics its controllers update.
type Metrics struct {
	Registry *prometheus.Registry

	syncs        *prometheus.CounterVec
	syncDuration *prometheus.HistogramVec
}

// New returns metrics registered in a fresh registry, together with Go and process collectors.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		syncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "natsauth", Name: "syncs_total",
			Help: "Syncs by controller and result (success, error, requeue, terminal).",
		}, []string{"controller", "result"}),
		syncDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "natsauth", Name: "sync_duration_seconds",
			Help:    "Duration of one sync by controller.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 15),
		}, []string{"controller"}),
	}
	m.Registry.MustRegister(m.syncs, m.syncDuration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// SyncResult classifies a sync error for the syncs_total metric.
type SyncResult func(err error) string

// Observer adapts Metrics to controllerhelpers.SyncObserver with a classifier for errors.
type Observer struct {
	M        *Metrics
	Classify SyncResult
}

// ObserveSync records one sync.
func (o Observer) ObserveSync(controller string, d time.Duration, err error) {
	if o.M == nil {
		return
	}
	o.M.syncDuration.WithLabelValues(controller).Observe(d.Seconds())
	o.M.syncs.WithLabelValues(controller, o.Classify(err)).Inc()
}
