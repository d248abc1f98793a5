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
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/cmd/controller/app"
	"github.com/natsauth/nats-auth-operator/controllers/account"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/natsjwt"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// secretGets counts the controller's GETs of single Secrets by namespace/name (lists and
// watches, which the per-Secret informers make, are not GETs of /secrets/<name>).
type secretGets struct {
	mu sync.Mutex
	n  map[string]int
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func (g *secretGets) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		// /api/v1/namespaces/<ns>/secrets/<name>
		parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
		if r.Method == http.MethodGet && len(parts) == 6 && parts[0] == "api" && parts[2] == "namespaces" && parts[4] == "secrets" {
			g.mu.Lock()
			g.n[parts[3]+"/"+parts[5]]++
			g.mu.Unlock()
		}
		return rt.RoundTrip(r)
	})
}

// inNamespace is the number of GETs of any Secret of namespace ns.
func (g *secretGets) inNamespace(ns string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for k, v := range g.n {
		if strings.HasPrefix(k, ns+"/") {
			n += v
		}
	}
	return n
}

func (g *secretGets) of(ns, name string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.n[ns+"/"+name]
}

// adoptEnv is a controller whose Secret GETs are counted and whose metrics are served, a
// namespace with an operator of generated keys, and an account "app" adopted from nsc.
type adoptEnv struct {
	t       *testing.T
	ctx     context.Context
	ns      string
	nsc     *nscSetup
	gets    *secretGets
	metrics string
	rv      string // the resourceVersion of the user's Secret nsc-app
}

func newAdoptEnv(t *testing.T, mutate ...func(*app.Options)) *adoptEnv {
	t.Helper()
	e := &adoptEnv{t: t, gets: &secretGets{n: map[string]int{}}, metrics: suite.FreeAddr(t)}
	suite.StartControllers(t, append([]func(*app.Options){func(o *app.Options) {
		o.RestConfig = rest.CopyConfig(o.RestConfig)
		o.RestConfig.Wrap(e.gets.wrap)
		o.MetricsBindAddress = e.metrics
	}}, mutate...)...)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	e.ctx, e.ns, e.nsc = ctx, controlPlane.NewNamespace(t), newNscSetup(t)
	e.rv = createUserSecret(t, ctx, e.ns, "nsc-app", accountSecretData(t, e.nsc.account, e.nsc.accountSigning))
	suite.CreateOperator(t, e.ns, "main", nil)
	createAccount(t, ctx, &natsv1alpha1.NatsAccount{ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: e.ns},
		Spec: natsv1alpha1.NatsAccountSpec{OperatorRef: natsv1alpha1.LocalObjectReference{Name: "main"},
			KeysSecretRef: &natsv1alpha1.KeysSecretReference{Name: "nsc-app"}}})
	expectNscSigning(t, waitAccountReady(t, ctx, e.ns, "app"), publicKey(t, e.nsc.accountSigning))
	return e
}

// userSyncs is the user controller's sync count on /metrics.
func (e *adoptEnv) userSyncs() float64 {
	return scrape(e.t, "http://"+e.metrics+"/metrics", "natsauth_syncs_total", `controller="user-controller"`)
}

// waitUserSyncs waits until the user controller synced at least n more times than from.
func (e *adoptEnv) waitUserSyncs(from float64, n int) {
	e.t.Helper()
	suite.WaitFor(e.t, e.ctx, fmt.Sprintf("%d more user syncs", n), func() bool { return e.userSyncs() >= from+float64(n) })
}

// expectNoGets fails when the controller ever read the user's Secret with a GET.
func (e *adoptEnv) expectNoGets() {
	e.t.Helper()
	if n := e.gets.of(e.ns, "nsc-app"); n != 0 {
		e.t.Fatalf("the controller made %d GET(s) of the adopted Secret nsc-app; want it served from its cache", n)
	}
}

// updateUserSecret changes the user's Secret as its owner would and returns its new version.
func (e *adoptEnv) updateUserSecret(mut func(data map[string][]byte)) string {
	e.t.Helper()
	s := suite.GetSecret(e.t, e.ns, "nsc-app")
	mut(s.Data)
	got, err := controlPlane.KubeClient().CoreV1().Secrets(e.ns).Update(e.ctx, s, metav1.UpdateOptions{})
	if err != nil {
		e.t.Fatalf("update Secret nsc-app: %v", err)
	}
	return got.ResourceVersion
}

// expectNscSigning fails unless the account JWT trusts the signing key pub.
func expectNscSigning(t *testing.T, acc *natsv1alpha1.NatsAccount, pub string) {
	t.Helper()
	if claims := decodeAccount(t, acc); !claims.SigningKeys.Contains(pub) {
		t.Fatalf("account JWT signing keys %v, want %s", claims.SigningKeys.Keys(), pub)
	}
}

// TestAdoptedKeysServedFromCache: the users of an account with spec.keysSecretRef are issued,
// re-synced by a label change each, and re-queued by a change of the user's Secret, and the
// controller never GETs that Secret: it is served from its own informer, which also noticed
// the change (no timer re-queues a Ready user).
func TestAdoptedKeysServedFromCache(t *testing.T) {
	const users = 5
	e := newAdoptEnv(t)
	for i := range users {
		createReadyUser(t, e.ctx, e.ns, fmt.Sprintf("u%d", i), "app")
	}
	e.expectNoGets()

	from, gets := e.userSyncs(), e.gets.inNamespace(e.ns)
	for i := range users {
		patch := []byte(`{"metadata":{"labels":{"test.natsauth.io/resync":"1"}}}`)
		if _, err := suite.NatsClient(t).NatsauthV1alpha1().NatsUsers(e.ns).Patch(e.ctx, fmt.Sprintf("u%d", i), types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	e.waitUserSyncs(from, users)
	e.expectNoGets()
	if n := e.gets.inNamespace(e.ns) - gets; n != 0 {
		t.Fatalf("re-syncing %d Ready users made %d Secret GET(s), want none", users, n)
	}

	// A change of the user's Secret re-queues the account's users through its informer.
	from = e.userSyncs()
	e.updateUserSecret(func(d map[string][]byte) { d["README"] = []byte("from nsc") })
	e.waitUserSyncs(from, users)
	for i := range users {
		suite.WaitUserReady(t, e.ns, fmt.Sprintf("u%d", i))
	}
	e.expectNoGets()
}

// TestAdoptedKeyRotation rotates the default signing key of an adopted account (issue 15). The
// controller never writes the user's Secret, so it cannot generate the new seed: raising the
// generation leaves the key at its generation with SigningKeysRotated=False RotationSeedMissing,
// which names the data key to add, and holds back nothing else: Ready stays True and a deleted
// user is revoked in the account JWT meanwhile. Once the user adds the seed, the Secret's event
// (no timer) starts the scheduled rotation, the users are re-issued with the new key and the old
// key retires from the JWT; the Secret is never written, so its old seed stays until the user
// removes it.
func TestAdoptedKeyRotation(t *testing.T) {
	e := newAdoptEnv(t, func(o *app.Options) { o.AccountRotationGracePeriod = 2 * time.Second })
	oldPub := publicKey(t, e.nsc.accountSigning)
	createReadyUser(t, e.ctx, e.ns, "api", "app")
	if got := signerOf(t, suite.GetSecret(t, e.ns, "api").Data[naming.UserCreds]); got != oldPub {
		t.Fatalf("user signed by %s, want the nsc signing key %s", got, oldPub)
	}
	gonePub := createReadyUser(t, e.ctx, e.ns, "gone", "app").Status.PublicKey

	setAccountRotation(t, e.ctx, e.ns, "app", &natsv1alpha1.SigningKeyRotation{Generation: 1})
	dataKey := naming.AccountSigningSeedAt(naming.DefaultSigningKey, 1)
	acc := waitRotationSeedMissing(t, e.ctx, e.ns, "app")
	if c := meta.FindStatusCondition(acc.Status.Conditions, natsv1alpha1.ConditionSigningKeysRotated); !strings.Contains(c.Message, dataKey) ||
		!strings.Contains(c.Message, "nsc-app") {
		t.Fatalf("RotationSeedMissing message %q does not name data key %s of Secret nsc-app", c.Message, dataKey)
	}
	if st := acc.Status.SigningKeys[0]; st.Generation != 0 || st.PublicKey != oldPub {
		t.Fatalf("default key status %+v, want generation 0 with %s while the seed is missing", st, oldPub)
	}
	suite.WaitFor(t, e.ctx, "a RotationSeedMissing Warning", func() bool {
		return warningEvents(t, e.ctx, e.ns, "app", account.ReasonRotationSeedMissing) == 1
	})

	// The missing seed must not keep a deleted user connected.
	if err := suite.NatsClient(t).NatsauthV1alpha1().NatsUsers(e.ns).Delete(e.ctx, "gone", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	suite.WaitFor(t, e.ctx, "the deleted user revoked in status.jwt while the seed is missing", func() bool {
		_, ok := decodeAccount(t, getAccount(t, e.ctx, e.ns, "app")).Revocations[gonePub]
		return ok
	})
	acc = waitRotationSeedMissing(t, e.ctx, e.ns, "app")
	if st := acc.Status.SigningKeys[0]; st.Generation != 0 || st.PublicKey != oldPub {
		t.Fatalf("default key status %+v after the revocation, want generation 0 with %s", st, oldPub)
	}
	if n := warningEvents(t, e.ctx, e.ns, "app", account.ReasonRotationSeedMissing); n != 1 {
		t.Fatalf("%d RotationSeedMissing Warnings, want one per transition", n)
	}
	expectSecretVersion(t, e.ctx, e.ns, "nsc-app", e.rv)

	newSeed := newSeed(t, natsjwt.KindAccount)
	newPub := seedPublicKey(t, newSeed, natsjwt.KindAccount)
	rv := e.updateUserSecret(func(d map[string][]byte) { d[dataKey] = newSeed })
	// Well within the minute a timer would have taken: the Secret's event re-queues the account.
	suite.WaitForWithin(t, e.ctx, 15*time.Second, "the rotation to start", func() bool {
		st := getAccount(t, e.ctx, e.ns, "app").Status.SigningKeys[0]
		return st.Generation == 1 && st.PublicKey == newPub
	})
	suite.WaitFor(t, e.ctx, "the user re-issued with the new key", func() bool {
		return signerOf(t, suite.GetSecret(t, e.ns, "api").Data[naming.UserCreds]) == newPub
	})
	suite.WaitFor(t, e.ctx, "the old key to retire", func() bool {
		st := getAccount(t, e.ctx, e.ns, "app").Status.SigningKeys[0]
		return st.Phase == natsv1alpha1.SigningKeyActive && st.Generation == 1
	})
	acc = waitAccountReady(t, e.ctx, e.ns, "app")
	claims := decodeAccount(t, acc)
	if !claims.SigningKeys.Contains(newPub) || claims.SigningKeys.Contains(oldPub) {
		t.Fatalf("account JWT signing keys %v, want %s and not the retired %s", claims.SigningKeys.Keys(), newPub, oldPub)
	}
	if !meta.IsStatusConditionTrue(acc.Status.Conditions, natsv1alpha1.ConditionSigningKeysRotated) {
		t.Fatalf("SigningKeysRotated %+v after the rotation, want True", meta.FindStatusCondition(acc.Status.Conditions, natsv1alpha1.ConditionSigningKeysRotated))
	}
	expectRotationEvents(t, e.ctx, e.ns, "app")
	expectSecretVersion(t, e.ctx, e.ns, "nsc-app", rv)
	if suite.GetSecret(t, e.ns, "nsc-app").Data[naming.AccountSigningSeed(naming.DefaultSigningKey)] == nil {
		t.Fatal("the old seed is gone from the user's Secret: it must never be written")
	}
	e.expectNoGets()
}

// waitRotationSeedMissing waits until account name, Ready=True for its generation, has
// SigningKeysRotated=False RotationSeedMissing, and returns it.
func waitRotationSeedMissing(t *testing.T, ctx context.Context, ns, name string) *natsv1alpha1.NatsAccount {
	t.Helper()
	var acc *natsv1alpha1.NatsAccount
	suite.WaitFor(t, ctx, "SigningKeysRotated=False RotationSeedMissing with Ready=True", func() bool {
		acc = getAccount(t, ctx, ns, name)
		c := meta.FindStatusCondition(acc.Status.Conditions, natsv1alpha1.ConditionSigningKeysRotated)
		return c != nil && c.Status == metav1.ConditionFalse && c.Reason == account.ReasonRotationSeedMissing &&
			c.ObservedGeneration == acc.Generation && suite.IsReady(acc.Status.Conditions, acc.Generation)
	})
	return acc
}

// setAccountRotation sets the default key's rotation of account name.
func setAccountRotation(t *testing.T, ctx context.Context, ns, name string, rot *natsv1alpha1.SigningKeyRotation) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		acc := getAccount(t, ctx, ns, name)
		acc.Spec.SigningKeyRotation = rot
		_, err := suite.NatsClient(t).NatsauthV1alpha1().NatsAccounts(ns).Update(ctx, acc, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatalf("update account %s: %v", name, err)
	}
}

// expectRotationEvents waits for the Normal events of a whole rotation of account name (events
// are recorded asynchronously, after the status write).
func expectRotationEvents(t *testing.T, ctx context.Context, ns, name string) {
	t.Helper()
	want := []string{account.EventRotationStarted, account.EventUsersReissued, account.EventOldKeyRetired}
	suite.WaitFor(t, ctx, fmt.Sprintf("Normal events %v", want), func() bool {
		list, err := controlPlane.KubeClient().CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false
		}
		seen := map[string]bool{}
		for _, ev := range list.Items {
			if ev.InvolvedObject.Name == name && ev.Type == corev1.EventTypeNormal {
				seen[ev.Reason] = true
			}
		}
		return seen[want[0]] && seen[want[1]] && seen[want[2]]
	})
}
