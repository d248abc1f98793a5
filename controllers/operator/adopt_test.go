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
	"testing"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/internal/testfixtures"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

func userSecret(t *testing.T, name string, data map[string][]byte) *corev1.Secret {
	t.Helper()
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: data}
}

func seedOf(t *testing.T, kp nkeys.KeyPair) []byte {
	t.Helper()
	s, err := kp.Seed()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSyncProvidedKeys: an operator with spec.keysSecretRef takes the provided identity, and
// writes no Secret of keys: the user's Secret is read, never written or created.
func TestSyncProvidedKeys(t *testing.T) {
	identity, pub := testfixtures.NewKey(t, natsjwt.KindOperator)
	signing, signingPub := testfixtures.NewKey(t, natsjwt.KindOperator)
	op := testfixtures.Operator(ns, "main")
	op.Spec.KeysSecretRef = &natsv1alpha1.KeysSecretReference{Name: "nsc"}
	f, c := newOperatorFixture(t, op, userSecret(t, "nsc", map[string][]byte{
		naming.OperatorIdentitySeed: seedOf(t, identity), naming.OperatorSigningSeed: seedOf(t, signing)}))
	if err := syncOperator(t, c); !isRequeue(err) {
		t.Fatalf("sync: %v, want a requeue while waiting for the system account", err)
	}
	f.ExpectWrites("create natsaccounts main-system", "create natsusers main-resolver", "update natsoperators/status main")
	got := f.Operator(ns, "main")
	if got.Status.PublicKey != pub || len(got.Status.SigningKeys) != 1 || got.Status.SigningKeys[0] != signingPub {
		t.Fatalf("status %+v, want the provided keys %s and %s", got.Status, pub, signingPub)
	}
}

// TestSyncProvidedKeysInvalid: an account seed where the operator identity belongs is
// KeysInvalid with a Warning, and nothing else is written. It is not rechecked on a timer: the
// fix is an update of the provided Secret, whose cache re-queues the operator.
func TestSyncProvidedKeysInvalid(t *testing.T) {
	account, _ := testfixtures.NewKey(t, natsjwt.KindAccount)
	signing, _ := testfixtures.NewKey(t, natsjwt.KindOperator)
	op := testfixtures.Operator(ns, "main")
	op.Spec.KeysSecretRef = &natsv1alpha1.KeysSecretReference{Name: "nsc"}
	f, c := newOperatorFixture(t, op, userSecret(t, "nsc", map[string][]byte{
		naming.OperatorIdentitySeed: seedOf(t, account), naming.OperatorSigningSeed: seedOf(t, signing)}))
	if err := syncOperator(t, c); !controllerhelpers.IsTerminal(err) {
		t.Fatalf("sync: %v, want a terminal error (the Secret's event re-queues)", err)
	}
	f.ExpectWrites("update natsoperators/status main")
	f.ExpectEvents("Warning " + ReasonKeysInvalid)
	f.ExpectReady(f.Operator(ns, "main").Status.Conditions, metav1.ConditionFalse, ReasonKeysInvalid)
}

// TestSyncExternal: an external operator serves the provided operator JWT unchanged and signs
// nothing; its status carries the JWT's keys.
func TestSyncExternal(t *testing.T) {
	identity, pub := testfixtures.NewKey(t, natsjwt.KindOperator)
	signing, signingPub := testfixtures.NewKey(t, natsjwt.KindOperator)
	oc := jwt.NewOperatorClaims(pub)
	oc.SigningKeys.Add(signingPub)
	token, err := oc.Encode(identity)
	if err != nil {
		t.Fatal(err)
	}
	op := testfixtures.Operator(ns, "main")
	op.Spec.External = &natsv1alpha1.ExternalOperator{OperatorJWTRef: natsv1alpha1.OperatorJWTReference{Name: "jwt"},
		SigningKeySecretRef: natsv1alpha1.KeysSecretReference{Name: "sk"}}
	sys, resolver := desiredSystemAccount(op), desiredResolverUser(op)
	issueSystemAccount(t, sys, signing)
	f, c := newOperatorFixture(t, op, sys, resolver,
		userSecret(t, "jwt", map[string][]byte{naming.OperatorJWT: []byte(token + "\n")}),
		userSecret(t, "sk", map[string][]byte{naming.OperatorSigningSeed: seedOf(t, signing)}))
	if err := syncOperator(t, c); err != nil {
		t.Fatalf("sync: %v", err)
	}
	f.ExpectWrites("create secrets main-server-config", "update natsoperators/status main")
	got := f.Operator(ns, "main")
	cfg := f.Secret(ns, naming.ServerConfigSecret("main"))
	if string(cfg.Data[naming.OperatorJWT]) != token || got.Status.JWT != token || got.Status.PublicKey != pub {
		t.Fatalf("the provided operator JWT was not served unchanged: status %+v", got.Status)
	}
}
