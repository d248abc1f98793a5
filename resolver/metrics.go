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

package resolver

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/natsauth/nats-auth-operator/internal/metrics"
)

// Push results, the values of the result label of natsauth_resolver_pushes_total.
const (
	PushSuccess = "success"
	PushPartial = "partial"
	PushFailed  = "failed"
)

// Lookup results, the values of the result label of natsauth_resolver_lookups_total.
const (
	LookupHit  = "hit"
	LookupMiss = "miss"
)

// Reasons for re-pushing accounts outside of a JWT change, the values of the reason label of
// natsauth_resolver_drift_repairs_total and natsauth_resolver_resyncs_total.
const (
	// RepairMissing: a server's CLAIMS.LIST lacked an account that every server had acknowledged.
	RepairMissing = "missing"
	// RepairServerRestarted: a server came back with a new identity, so its store may have lost
	// or missed JWTs that LIST cannot show (a stale JWT is listed like a current one).
	RepairServerRestarted = "server_restarted"
	// RepairStale: a server's stored JWT of an account (its CLAIMS.LOOKUP answer) was not the one
	// every server had acknowledged, nor the account's current one: an older JWT restored or
	// pushed by someone else.
	RepairStale = "stale"
	// ResyncReconnect: the resolver's own NATS connection came back.
	ResyncReconnect = "reconnect"
)

// Metrics are the metrics of the resolver binary, registered next to the shared sync and
// workqueue metrics of metrics.Metrics.
type Metrics struct {
	// Pushes counts account JWT pushes by result (success, partial, failed).
	Pushes *prometheus.CounterVec
	// AckLatency observes, per server, the time from a push to that server's acknowledgement.
	AckLatency *prometheus.HistogramVec
	// Lookups counts answered (hit) and unanswered (miss) account lookups from nats-servers.
	Lookups *prometheus.CounterVec
	// DriftRepairs counts accounts re-pushed because a drift check found a server without them
	// (missing), a server holding another JWT of them (stale) or a restarted server
	// (server_restarted).
	DriftRepairs *prometheus.CounterVec
	// Resyncs counts full re-pushes of every account by reason (reconnect, server_restarted).
	Resyncs *prometheus.CounterVec
	// Deletes counts delete requests of deleted accounts sent to the servers, by result
	// (success, partial, failed, as for Pushes).
	Deletes *prometheus.CounterVec
	// Servers is the number of nats-servers every push is expected to reach.
	Servers prometheus.Gauge
	// PendingPushes is the backlog: accounts whose current JWT, or delete request, not every
	// expected server has acknowledged yet. It grows while NATS is unreachable and returns to 0
	// once everything is delivered.
	PendingPushes prometheus.Gauge
	// DriftChecks counts drift checks that compared the servers' stores (lists, stored JWTs,
	// orphans), so that a wait can be measured in checks.
	DriftChecks prometheus.Counter
	// OrphanAccounts is the number of accounts the last drift check found on the servers that
	// no NatsAccount of the operator holds (the system account aside).
	OrphanAccounts prometheus.Gauge
	// OrphanDeletes counts delete requests sent for orphan accounts, by result (as for Deletes).
	OrphanDeletes *prometheus.CounterVec
}

// NewMetrics registers the resolver metrics in m.Registry.
func NewMetrics(m *metrics.Metrics) *Metrics {
	r := &Metrics{
		Pushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "natsauth", Subsystem: "resolver", Name: "pushes_total",
			Help: "Account JWT pushes by result (success: every server acknowledged; partial; failed: none did).",
		}, []string{"result"}),
		AckLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "natsauth", Subsystem: "resolver", Name: "push_ack_latency_seconds",
			Help: "Time from an account JWT push to each server's acknowledgement, by server name.",
			// 0.5ms to ~8s: loopback acknowledgements take about a millisecond, a loaded
			// cluster across zones tens of milliseconds, and the push timeout caps the rest.
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 15),
		}, []string{"server"}),
		Lookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "natsauth", Subsystem: "resolver", Name: "lookups_total",
			Help: "Account lookups from nats-servers, by result (hit: answered with a JWT; miss: left unanswered).",
		}, []string{"result"}),
		DriftRepairs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "natsauth", Subsystem: "resolver", Name: "drift_repairs_total",
			Help: "Accounts re-pushed because a drift check found a server lacking them (missing), holding another JWT of them (stale), or a restarted server.",
		}, []string{"reason"}),
		Resyncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "natsauth", Subsystem: "resolver", Name: "resyncs_total",
			Help: "Re-pushes of every account, by reason.",
		}, []string{"reason"}),
		Deletes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "natsauth", Subsystem: "resolver", Name: "deletes_total",
			Help: "Delete requests of deleted accounts sent to the servers, by result (success: every server acknowledged; partial; failed: none did).",
		}, []string{"result"}),
		Servers: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "natsauth", Subsystem: "resolver", Name: "servers",
			Help: "nats-servers each push is expected to reach (recently seen servers, down ones included).",
		}),
		PendingPushes: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "natsauth", Subsystem: "resolver", Name: "pending_pushes",
			Help: "Accounts whose current JWT or delete request not every expected server has acknowledged yet; retried with backoff, and all pushed again when NATS reconnects.",
		}),
		DriftChecks: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "natsauth", Subsystem: "resolver", Name: "drift_checks_total",
			Help: "Drift checks that compared every server's stored accounts and JWTs with the NatsAccounts.",
		}),
		OrphanAccounts: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "natsauth", Subsystem: "resolver", Name: "orphan_accounts",
			Help: "Accounts on the nats-servers that no NatsAccount of the operator holds (the system account aside), as of the last drift check.",
		}),
		OrphanDeletes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "natsauth", Subsystem: "resolver", Name: "orphan_deletes_total",
			Help: "Delete requests sent for orphan accounts (--delete-orphan-accounts with spec.resolver.allowDelete), by result.",
		}, []string{"result"}),
	}
	m.Registry.MustRegister(r.Pushes, r.AckLatency, r.Lookups, r.DriftRepairs, r.Resyncs, r.Deletes, r.Servers, r.PendingPushes,
		r.DriftChecks, r.OrphanAccounts, r.OrphanDeletes)
	return r
}
