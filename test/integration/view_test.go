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
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/cmd/controller/app"
	"github.com/natsauth/nats-auth-operator/controllers/account"
	"github.com/natsauth/nats-auth-operator/controllers/user"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestAccountJWTSizeGuard: with a small MaxJWTSize (4 KiB, so a few dozen revocations reach
// it instead of ten thousand), an account without maxUserLifetime whose deleted users' keys
// push its JWT past three quarters of the limit gets JWTSizeNearLimit=True
// (RevocationsUnbounded) while Ready stays True, one Warning event however many re-signs follow,
// Normal Revoked events, the columns of kubectl get -o wide, and the gauges on /metrics.
func TestAccountJWTSizeGuard(t *testing.T) {
	const limit, users = 4096, 30
	metricsAddr := suite.FreeAddr(t)
	suite.StartControllers(t, func(o *app.Options) {
		o.AccountMaxJWTSize = limit
		o.MetricsBindAddress = metricsAddr
	})
	ns := controlPlane.NewNamespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	suite.CreateOperator(t, ns, "main", nil)
	acc := readyAccount(t, ns, "orders", "main")
	if c := meta.FindStatusCondition(acc.Status.Conditions, natsv1alpha1.ConditionJWTSizeNearLimit); c == nil ||
		c.Status != metav1.ConditionFalse || len(acc.Status.JWT) >= limit/4*3 {
		t.Fatalf("new account: size condition %+v for a %d-byte JWT, want False below %d", c, len(acc.Status.JWT), limit/4*3)
	}
	nc := suite.NatsClient(t).NatsauthV1alpha1()
	for i := range users {
		if _, err := nc.NatsUsers(ns).Create(ctx, newUser(ns, fmt.Sprintf("u%d", i), natsv1alpha1.NatsAccountReference{Name: "orders"}), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range users {
		suite.WaitUserReady(t, ns, fmt.Sprintf("u%d", i))
	}
	for i := range users {
		if err := nc.NatsUsers(ns).Delete(ctx, fmt.Sprintf("u%d", i), metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var got *natsv1alpha1.NatsAccount
	suite.WaitFor(t, ctx, "the account JWT revokes every deleted user", func() bool {
		a, err := nc.NatsAccounts(ns).Get(ctx, "orders", metav1.GetOptions{})
		got = a
		return err == nil && a.Status.Revocations >= users
	})
	c := meta.FindStatusCondition(got.Status.Conditions, natsv1alpha1.ConditionJWTSizeNearLimit)
	if c == nil || c.Status != metav1.ConditionTrue || c.Reason != account.ReasonRevocationsUnbounded ||
		!meta.IsStatusConditionTrue(got.Status.Conditions, natsv1alpha1.ConditionReady) {
		t.Fatalf("%d-byte JWT: conditions %+v, want JWTSizeNearLimit True %s and Ready True", len(got.Status.JWT), got.Status.Conditions, account.ReasonRevocationsUnbounded)
	}
	suite.WaitFor(t, ctx, "the Warning event", func() bool { return warningEvents(t, ctx, ns, "orders", account.EventJWTSizeNearLimit) == 1 })
	consistently(t, ctx, "one Warning event", 2*time.Second, func() bool {
		return warningEvents(t, ctx, ns, "orders", account.EventJWTSizeNearLimit) == 1
	})
	if n := countEvents(t, ctx, ns, "NatsAccount", "orders", corev1.EventTypeNormal, account.EventRevoked); n < 1 {
		t.Errorf("%d Normal %s events, want at least one", n, account.EventRevoked)
	}
	out := string(suite.Kubectl(t, nil, "get", "-n", ns, "nacc", "orders", "-o", "wide"))
	for _, want := range []string{"REVOCATIONS", "JWT SIZE", account.ReasonRevocationsUnbounded, fmt.Sprint(got.Status.Revocations)} {
		if !strings.Contains(out, want) {
			t.Errorf("kubectl get nacc -o wide lacks %q:\n%s", want, out)
		}
	}
	url := "http://" + metricsAddr + "/metrics"
	labels := fmt.Sprintf(`name="orders",namespace="%s"`, ns)
	suite.WaitFor(t, ctx, "the gauges show the stored account", func() bool {
		a, err := nc.NatsAccounts(ns).Get(ctx, "orders", metav1.GetOptions{})
		return err == nil && scrape(t, url, "natsauth_account_revocations", labels) == float64(a.Status.Revocations) &&
			scrape(t, url, "natsauth_account_jwt_bytes", labels) == float64(len(a.Status.JWT))
	})
	if got := scrape(t, url, "natsauth_account_jwt_max_bytes"); got != limit {
		t.Errorf("natsauth_account_jwt_max_bytes = %v, want %d", got, limit)
	}
}

// TestUserViewEventsAndMetrics: an edit re-issues a user's credentials with exactly one Normal
// Reissued event, and /metrics counts users that are not Ready by reason and credentials that
// expire within a day, from the controller's caches.
func TestUserViewEventsAndMetrics(t *testing.T) {
	metricsAddr := suite.FreeAddr(t)
	suite.StartControllers(t, func(o *app.Options) { o.MetricsBindAddress = metricsAddr })
	ns := controlPlane.NewNamespace(t)
	ctx := suite.Context(t)
	nc := suite.NatsClient(t).NatsauthV1alpha1()
	suite.CreateOperator(t, ns, "main", nil)
	readyAccount(t, ns, "orders", "main")
	short := newUser(ns, "api", natsv1alpha1.NatsAccountReference{Name: "orders"}, func(u *natsv1alpha1.NatsUser) {
		u.Spec.ValidFor = &metav1.Duration{Duration: time.Hour}
	})
	lost := newUser(ns, "lost", natsv1alpha1.NatsAccountReference{Name: "nowhere"})
	for _, u := range []*natsv1alpha1.NatsUser{short, lost} {
		if _, err := nc.NatsUsers(ns).Create(ctx, u, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	ready := suite.WaitUserReady(t, ns, "api")
	if ready.Status.Account != ns+"/orders" {
		t.Errorf("status.account %q, want %s/orders", ready.Status.Account, ns)
	}
	url := "http://" + metricsAddr + "/metrics"
	// Other tests' objects may still be in the apiserver, so the counts are lower bounds.
	suite.WaitFor(t, ctx, "the user gauges", func() bool {
		return scrape(t, url, "natsauth_users_not_ready", `reason="`+user.ReasonAccountNotFound+`"`) >= 1 &&
			scrape(t, url, "natsauth_users_expiring_within_24h") >= 1
	})

	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		u, err := nc.NatsUsers(ns).Get(ctx, "api", metav1.GetOptions{})
		if err != nil {
			return err
		}
		u.Spec.Tags = []natsv1alpha1.Tag{"team:a"}
		_, err = nc.NatsUsers(ns).Update(ctx, u, metav1.UpdateOptions{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	reissued := func() int {
		return countEvents(t, ctx, ns, "NatsUser", "api", corev1.EventTypeNormal, user.EventReissued)
	}
	suite.WaitFor(t, ctx, "the Reissued event", func() bool { return reissued() == 1 })
	consistently(t, ctx, "one Reissued event", 2*time.Second, func() bool { return reissued() == 1 })
	after := suite.WaitUserReady(t, ns, "api")
	if after.Status.RevokedBefore == nil || after.Status.IssuedAt.Equal(ready.Status.IssuedAt) {
		t.Errorf("the edit did not re-issue and revoke: %+v", after.Status)
	}
}

// countEvents sums the events (with their aggregation counts) of type and reason about the
// object kind/name.
func countEvents(t *testing.T, ctx context.Context, ns, kind, name, eventType, reason string) int {
	t.Helper()
	list, err := controlPlane.KubeClient().CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list events: %v", err)
	}
	n := 0
	for _, e := range list.Items {
		if e.InvolvedObject.Kind == kind && e.InvolvedObject.Name == name && e.Type == eventType && e.Reason == reason {
			n += int(max(e.Count, 1))
		}
	}
	return n
}

// scrape returns the sum of the samples of the named metric at url whose labels include
// labels, or -1 when the endpoint cannot be read.
func scrape(t *testing.T, url, name string, labels ...string) float64 {
	t.Helper()
	code, body := suite.HTTPGet(url)
	if code != 200 {
		return -1
	}
	return suite.SumSamples(strings.NewReader(body), name, labels)
}
