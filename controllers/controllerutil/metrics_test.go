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

package controllerutil_test

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/controllerutil"
	"github.com/natsauth/nats-auth-operator/controllers/internal/testfixtures"
)

// TestStateCollector: the gauges are what the caches hold at the scrape: users not Ready by
// reason (a user being deleted does not count), credentials expiring within a day (an expired
// one counts, one expiring in two days does not), and per account its revocations and JWT size.
func TestStateCollector(t *testing.T) {
	acc := testfixtures.Account("nats", "orders", "main")
	acc.Status.JWT, acc.Status.Revocations = strings.Repeat("x", 1234), 7
	f := testfixtures.New(t, acc)
	now := f.Clock.Now()
	user := func(name string, ready metav1.ConditionStatus, reason string, expires time.Duration) runtime.Object {
		u := testfixtures.User("apps", name, "nats", "orders")
		if reason != "" {
			u.Status.Conditions = []metav1.Condition{{Type: natsv1alpha1.ConditionReady, Status: ready, Reason: reason}}
		}
		if expires != 0 {
			u.Status.ExpiresAt = &metav1.Time{Time: now.Add(expires)}
		}
		return u
	}
	gone := user("gone", metav1.ConditionFalse, "InvalidSpec", time.Hour).(*natsv1alpha1.NatsUser)
	gone.DeletionTimestamp = &metav1.Time{Time: now}
	for _, o := range []runtime.Object{
		user("ok", metav1.ConditionTrue, "Issued", 0),
		user("soon", metav1.ConditionTrue, "Issued", 23*time.Hour),
		user("expired", metav1.ConditionFalse, "Expired", -time.Minute),
		user("later", metav1.ConditionTrue, "Issued", 48*time.Hour),
		user("bad", metav1.ConditionFalse, "InvalidSpec", 0),
		user("bad2", metav1.ConditionFalse, "InvalidSpec", 0),
		user("new", "", "", 0),
		gone,
	} {
		f.Put(o)
	}
	f.Sync()

	reg := prometheus.NewRegistry()
	reg.MustRegister(controllerutil.NewStateCollector(f.Deps(), 4096))
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`natsauth_users_not_ready{reason="InvalidSpec"} 2`,
		`natsauth_users_not_ready{reason="Expired"} 1`,
		`natsauth_users_not_ready{reason="Pending"} 1`,
		"natsauth_users_expiring_within_24h 2",
		`natsauth_account_revocations{name="orders",namespace="nats"} 7`,
		`natsauth_account_jwt_bytes{name="orders",namespace="nats"} 1234`,
		"natsauth_account_jwt_max_bytes 4096",
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("scrape lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, `reason="Issued"`) {
		t.Errorf("ready users are counted as not ready:\n%s", body)
	}
}
