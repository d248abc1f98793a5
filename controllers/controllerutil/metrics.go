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

package controllerutil

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/natsauth/nats-auth-operator/internal/metrics"
)

// IssueMetrics are the metrics only the controller binary has: it is the one that signs. They
// are registered next to the shared sync and workqueue metrics, never in the resolver's registry.
// A nil *IssueMetrics counts nothing, so the controllers call it without checking.
type IssueMetrics struct {
	// jwtsIssued counts signed JWTs by kind (operator, account, user, activation).
	jwtsIssued *prometheus.CounterVec
	// revocations counts user keys newly revoked in account JWTs.
	revocations prometheus.Counter
}

// NewIssueMetrics registers the issue metrics in m.Registry.
func NewIssueMetrics(m *metrics.Metrics) *IssueMetrics {
	im := &IssueMetrics{
		jwtsIssued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "natsauth", Name: "jwts_issued_total",
			Help: "JWTs signed, by kind.",
		}, []string{"kind"}),
		revocations: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "natsauth", Name: "revocations_total",
			Help: "User keys newly revoked in account JWTs.",
		}),
	}
	m.Registry.MustRegister(im.jwtsIssued, im.revocations)
	return im
}

// JWTsSigned counts n JWTs of kind just signed.
func (m *IssueMetrics) JWTsSigned(kind string, n int) {
	if m == nil || n == 0 {
		return
	}
	m.jwtsIssued.WithLabelValues(kind).Add(float64(n))
}

// KeysRevoked counts n user keys newly revoked in an account JWT just signed.
func (m *IssueMetrics) KeysRevoked(n int) {
	if m != nil {
		m.revocations.Add(float64(n))
	}
}
