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

package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/util/workqueue"
)

// workqueueProvider exports the metrics of every named client-go workqueue.
type workqueueProvider struct {
	depth, unfinished, longestRunning *prometheus.GaugeVec
	addsC, retriesC                   *prometheus.CounterVec
	latency, workDuration             *prometheus.HistogramVec
}

// RegisterWorkqueueMetrics makes client-go's named queues report into m.Registry. client-go
// accepts one provider per process, so call it once, before any queue is created.
func RegisterWorkqueueMetrics(m *Metrics) {
	gauge := func(name, help string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Subsystem: "workqueue", Name: name, Help: help}, []string{"name"})
	}
	counter := func(name, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Subsystem: "workqueue", Name: name, Help: help}, []string{"name"})
	}
	hist := func(name, help string) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Subsystem: "workqueue", Name: name, Help: help,
			Buckets: prometheus.ExponentialBuckets(1e-6, 10, 10)}, []string{"name"})
	}
	p := &workqueueProvider{
		depth:          gauge("depth", "Current depth of the workqueue."),
		addsC:          counter("adds_total", "Adds handled by the workqueue."),
		latency:        hist("queue_duration_seconds", "Seconds an item stays in the workqueue before being requested."),
		workDuration:   hist("work_duration_seconds", "Seconds processing an item takes."),
		unfinished:     gauge("unfinished_work_seconds", "Seconds of work in progress not yet observed by work_duration."),
		longestRunning: gauge("longest_running_processor_seconds", "Seconds the longest running processor has been running."),
		retriesC:       counter("retries_total", "Retries handled by the workqueue."),
	}
	m.Registry.MustRegister(p.depth, p.addsC, p.latency, p.workDuration, p.unfinished, p.longestRunning, p.retriesC)
	workqueue.SetProvider(p)
}

func (p *workqueueProvider) NewDepthMetric(name string) workqueue.GaugeMetric {
	return p.depth.WithLabelValues(name)
}
func (p *workqueueProvider) NewAddsMetric(name string) workqueue.CounterMetric {
	return p.addsC.WithLabelValues(name)
}
func (p *workqueueProvider) NewLatencyMetric(name string) workqueue.HistogramMetric {
	return p.latency.WithLabelValues(name)
}
func (p *workqueueProvider) NewWorkDurationMetric(name string) workqueue.HistogramMetric {
	return p.workDuration.WithLabelValues(name)
}
func (p *workqueueProvider) NewUnfinishedWorkSecondsMetric(name string) workqueue.SettableGaugeMetric {
	return p.unfinished.WithLabelValues(name)
}
func (p *workqueueProvider) NewLongestRunningProcessorSecondsMetric(name string) workqueue.SettableGaugeMetric {
	return p.longestRunning.WithLabelValues(name)
}
func (p *workqueueProvider) NewRetriesMetric(name string) workqueue.CounterMetric {
	return p.retriesC.WithLabelValues(name)
}
