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

package operator

import (
	"slices"
	"strings"
	"testing"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/klog/v2/ktesting"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/internal/testfixtures"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// The unit tier: sync is called directly on fake clientsets and seeded caches (testfixtures);
// test/integration runs the same controller against a real kube-apiserver.

const ns = "nats"

func newOperatorFixture(t *testing.T, objs ...runtime.Object) (*testfixtures.Fixture, *Controller) {
	f := testfixtures.New(t, objs...)
	c, err := NewController(f.Deps())
	if err != nil {
		t.Fatal(err)
	}
	return f, c
}

func syncOperator(t *testing.T, c *Controller) error {
	_, ctx := ktesting.NewTestContext(t)
	return c.sync(ctx, testfixtures.Key(&metav1.ObjectMeta{Namespace: ns, Name: "main"}))
}

// issueSystemAccount gives sys the key and JWT the account controller would sign with the
// operator's signing key.
func issueSystemAccount(t *testing.T, sys *natsv1alpha1.NatsAccount, signing nkeys.KeyPair) {
	t.Helper()
	_, pub := testfixtures.NewKey(t, natsjwt.KindAccount)
	claims := jwt.NewAccountClaims(pub)
	claims.Name = sys.Name
	token, err := claims.Encode(signing)
	if err != nil {
		t.Fatal(err)
	}
	sys.Status.PublicKey, sys.Status.JWT = pub, token
}

// TestSyncFirstIssue: a new operator gets its key Secret, its system account and resolver user,
// then waits (no event, retried with backoff) for the system account; once that is issued, it
// signs the operator JWT into the server-config Secret. Every step's writes are counted; the
// resync writes nothing.
func TestSyncFirstIssue(t *testing.T) {
	f, c := newOperatorFixture(t, testfixtures.Operator(ns, "main"))
	if err := syncOperator(t, c); controllerhelpers.IsTerminal(err) || !isRequeue(err) {
		t.Fatalf("sync: %v, want a requeue while waiting", err)
	}
	f.ExpectWrites("create secrets main-operator-keys", "create natsaccounts main-system", "create natsusers main-resolver",
		"update natsoperators/status main")
	f.ExpectEvents()
	f.ExpectReady(f.Operator(ns, "main").Status.Conditions, metav1.ConditionFalse, ReasonWaitingForSystemAccount)

	keys := f.Secret(ns, naming.OperatorKeysSecret("main"))
	signing, err := natsjwt.ParseSeed(keys.Data[naming.OperatorSigningSeed], natsjwt.KindOperator)
	if err != nil {
		t.Fatal(err)
	}
	sys := f.Account(ns, naming.SystemAccount("main"))
	issueSystemAccount(t, sys, signing)
	f.Put(sys)
	f.Settle()

	if err := syncOperator(t, c); err != nil {
		t.Fatalf("sync: %v", err)
	}
	f.ExpectWrites("create secrets main-server-config", "update natsoperators/status main")
	f.ExpectEvents("Normal " + ReasonIssued)
	op := f.Operator(ns, "main")
	f.ExpectReady(op.Status.Conditions, metav1.ConditionTrue, ReasonIssued)
	cfg := f.Secret(ns, naming.ServerConfigSecret("main"))
	if cfg == nil || cfg.Annotations[naming.AnnotationChecksum] == "" || !strings.Contains(string(cfg.Data[naming.AuthConf]), sys.Status.PublicKey) {
		t.Fatalf("server-config Secret %+v", cfg)
	}
	claims, err := jwt.DecodeOperatorClaims(string(cfg.Data[naming.OperatorJWT]))
	if err != nil {
		t.Fatal(err)
	}
	signingPub, _ := signing.PublicKey()
	if claims.Subject != op.Status.PublicKey || claims.SystemAccount != sys.Status.PublicKey ||
		!slices.Contains(claims.SigningKeys, signingPub) || op.Status.SystemAccount != sys.Status.PublicKey {
		t.Errorf("operator JWT %+v, status %+v", claims, op.Status)
	}

	f.Settle()
	if err := syncOperator(t, c); err != nil {
		t.Fatalf("resync: %v", err)
	}
	f.ExpectWrites()
	f.ExpectEvents()
	f.ExpectReads()
}

// TestSyncInvalidSpec: a spec that cannot produce an operator JWT is InvalidSpec with a
// Warning and a terminal error, and no server-config Secret is written.
func TestSyncInvalidSpec(t *testing.T) {
	op := testfixtures.Operator(ns, "main")
	op.Spec.SigningKeys = []string{"not-a-key"}
	keys, signing := testfixtures.OperatorKeys(t, op)
	sys, resolver := desiredSystemAccount(op), desiredResolverUser(op)
	issueSystemAccount(t, sys, signing)
	f, c := newOperatorFixture(t, op, keys, sys, resolver)
	if err := syncOperator(t, c); !controllerhelpers.IsTerminal(err) {
		t.Fatalf("sync: %v, want a terminal error", err)
	}
	f.ExpectWrites("update natsoperators/status main")
	f.ExpectEvents("Warning " + ReasonInvalidSpec)
	f.ExpectReady(f.Operator(ns, "main").Status.Conditions, metav1.ConditionFalse, ReasonInvalidSpec)
	if f.Secret(ns, naming.ServerConfigSecret("main")) != nil {
		t.Error("an invalid spec got a server-config Secret")
	}
}

// TestSyncKeysMissing: an operator whose status names a key but whose key Secret is gone is
// KeysMissing after one GET that confirms the miss; no key, system object or config is made.
func TestSyncKeysMissing(t *testing.T) {
	op := testfixtures.Operator(ns, "main")
	_, op.Status.PublicKey = testfixtures.NewKey(t, natsjwt.KindOperator)
	f, c := newOperatorFixture(t, op)
	if err := syncOperator(t, c); !controllerhelpers.IsTerminal(err) {
		t.Fatalf("sync: %v, want a terminal error", err)
	}
	f.ExpectWrites("update natsoperators/status main")
	f.ExpectEvents("Warning " + ReasonKeysMissing)
	f.ExpectReads("get secrets main-operator-keys") // the one GET that confirms the cache miss
	got := f.Operator(ns, "main")
	f.ExpectReady(got.Status.Conditions, metav1.ConditionFalse, ReasonKeysMissing)
	if got.Status.PublicKey != op.Status.PublicKey || f.Secret(ns, naming.OperatorKeysSecret("main")) != nil {
		t.Errorf("the key was regenerated: %+v", got.Status)
	}
}

func isRequeue(err error) bool {
	_, ok := controllerhelpers.AsRequeue(err)
	return ok
}
