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
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/clock"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	natslisters "github.com/natsauth/nats-auth-operator/generated/listers/natsauth/v1alpha1"
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

// ExpiringWithin is the window of natsauth_users_expiring_within_24h.
const ExpiringWithin = 24 * time.Hour

// StateCollector exports what the informer caches say about the objects, computed on every
// scrape: walking the listers is cheap (no API call, no copy) and, unlike gauges kept by the
// syncs, never drifts from the objects when a sync is skipped or an object goes away.
type StateCollector struct {
	accounts   natslisters.NatsAccountLister
	users      natslisters.NatsUserLister
	clock      clock.PassiveClock
	maxJWTSize int
}

var (
	usersNotReadyDesc = prometheus.NewDesc("natsauth_users_not_ready",
		"NatsUsers whose Ready condition is not True, by its reason (Pending: not synced yet).", []string{"reason"}, nil)
	usersExpiringDesc = prometheus.NewDesc("natsauth_users_expiring_within_24h",
		"NatsUsers whose current credentials expire within 24 hours or have expired (validFor credentials are renewed at two thirds of their life).", nil, nil)
	accountRevocationsDesc = prometheus.NewDesc("natsauth_account_revocations",
		"Revoked user keys in the account JWT.", []string{"namespace", "name"}, nil)
	accountJWTBytesDesc = prometheus.NewDesc("natsauth_account_jwt_bytes",
		"Size of the signed account JWT in bytes.", []string{"namespace", "name"}, nil)
	accountJWTMaxBytesDesc = prometheus.NewDesc("natsauth_account_jwt_max_bytes",
		"Largest account JWT the nats-servers take (max_payload); JWTSizeNearLimit turns True at three quarters of it.", nil, nil)
)

// NewStateCollector returns the collector over deps' account and user informers, which must
// be the ones the controllers run on. maxJWTSize is the account controller's limit.
func NewStateCollector(deps Deps, maxJWTSize int) *StateCollector {
	return &StateCollector{accounts: deps.Accounts.Lister(), users: deps.Users.Lister(), clock: deps.Clock, maxJWTSize: maxJWTSize}
}

// Describe implements prometheus.Collector.
func (c *StateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{usersNotReadyDesc, usersExpiringDesc, accountRevocationsDesc, accountJWTBytesDesc, accountJWTMaxBytesDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. A lister fails only for a bad selector, and
// Everything is none; the gauges of a failed list are left out of the scrape.
func (c *StateCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(accountJWTMaxBytesDesc, prometheus.GaugeValue, float64(c.maxJWTSize))
	if accounts, err := c.accounts.List(labels.Everything()); err == nil {
		for _, a := range accounts {
			ch <- prometheus.MustNewConstMetric(accountRevocationsDesc, prometheus.GaugeValue, float64(a.Status.Revocations), a.Namespace, a.Name)
			ch <- prometheus.MustNewConstMetric(accountJWTBytesDesc, prometheus.GaugeValue, float64(len(a.Status.JWT)), a.Namespace, a.Name)
		}
	}
	users, err := c.users.List(labels.Everything())
	if err != nil {
		return
	}
	notReady, expiring := userCounts(users, c.clock.Now().Add(ExpiringWithin))
	for reason, n := range notReady {
		ch <- prometheus.MustNewConstMetric(usersNotReadyDesc, prometheus.GaugeValue, float64(n), reason)
	}
	ch <- prometheus.MustNewConstMetric(usersExpiringDesc, prometheus.GaugeValue, float64(expiring))
}

// userCounts counts the users not Ready by reason, and those whose credentials expire before
// horizon. Users being deleted are left out: their credentials are being revoked anyway.
func userCounts(users []*natsv1alpha1.NatsUser, horizon time.Time) (notReady map[string]int, expiring int) {
	notReady = map[string]int{}
	for _, u := range users {
		if u.DeletionTimestamp != nil {
			continue
		}
		switch c := meta.FindStatusCondition(u.Status.Conditions, natsv1alpha1.ConditionReady); {
		case c == nil:
			notReady["Pending"]++
		case c.Status != metav1.ConditionTrue:
			notReady[c.Reason]++
		}
		if e := u.Status.ExpiresAt; e != nil && e.Time.Before(horizon) {
			expiring++
		}
	}
	return notReady, expiring
}
