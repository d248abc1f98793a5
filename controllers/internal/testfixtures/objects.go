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

package testfixtures

import (
	"testing"
	"time"

	"github.com/nats-io/nkeys"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

func objectMeta(ns, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID(ns + "-" + name + "-uid"), Generation: 1,
		CreationTimestamp: metav1.NewTime(time.Now().Add(-time.Hour).Truncate(time.Second))}
}

// Operator is a NatsOperator with the full resolver and nothing issued yet.
func Operator(ns, name string) *natsv1alpha1.NatsOperator {
	return &natsv1alpha1.NatsOperator{ObjectMeta: objectMeta(ns, name),
		Spec: natsv1alpha1.NatsOperatorSpec{Resolver: natsv1alpha1.ResolverSpec{Type: natsv1alpha1.ResolverFull}}}
}

// Account is a NatsAccount of operator, in the operator's namespace, with nothing issued yet.
func Account(ns, name, operator string) *natsv1alpha1.NatsAccount {
	return &natsv1alpha1.NatsAccount{ObjectMeta: objectMeta(ns, name),
		Spec: natsv1alpha1.NatsAccountSpec{OperatorRef: natsv1alpha1.LocalObjectReference{Name: operator}}}
}

// User is a NatsUser of the account accountNS/account with nothing issued yet.
func User(ns, name, accountNS, account string) *natsv1alpha1.NatsUser {
	return &natsv1alpha1.NatsUser{ObjectMeta: objectMeta(ns, name),
		Spec: natsv1alpha1.NatsUserSpec{AccountRef: natsv1alpha1.NatsAccountReference{Namespace: accountNS, Name: account}}}
}

// NewKey returns a new key pair of kind and its public key.
func NewKey(t testing.TB, kind natsjwt.KeyKind) (nkeys.KeyPair, string) {
	t.Helper()
	kp, err := natsjwt.NewKey(kind)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return kp, pub
}

func seed(t testing.TB, kp nkeys.KeyPair) []byte {
	t.Helper()
	s, err := kp.Seed()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// OperatorKeys is the key Secret the operator controller writes for op; it records the keys'
// public halves in op's status, as that controller does, and returns the signing key.
func OperatorKeys(t testing.TB, op *natsv1alpha1.NatsOperator) (*corev1.Secret, nkeys.KeyPair) {
	t.Helper()
	identity, pub := NewKey(t, natsjwt.KindOperator)
	signing, signingPub := NewKey(t, natsjwt.KindOperator)
	op.Status.PublicKey, op.Status.SigningKeys = pub, []string{signingPub}
	s := keySecret(op.Namespace, naming.OperatorKeysSecret(op.Name), naming.LabelOperator, op.Name)
	s.Data = map[string][]byte{naming.OperatorIdentitySeed: seed(t, identity), naming.OperatorSigningSeed: seed(t, signing)}
	return s, signing
}

// AccountKeys is the key Secret the account controller writes for acc (identity and default
// signing key); it records their public keys in acc's status, as that controller does, and
// returns the default signing key.
func AccountKeys(t testing.TB, acc *natsv1alpha1.NatsAccount) (*corev1.Secret, nkeys.KeyPair) {
	t.Helper()
	identity, pub := NewKey(t, natsjwt.KindAccount)
	signing, signingPub := NewKey(t, natsjwt.KindAccount)
	acc.Status.PublicKey = pub
	acc.Status.SigningKeys = []natsv1alpha1.SigningKeyStatus{{Name: naming.DefaultSigningKey, PublicKey: signingPub}}
	s := keySecret(acc.Namespace, naming.AccountKeysSecret(acc.Name), naming.LabelAccount, acc.Name)
	s.Data = map[string][]byte{
		naming.AccountIdentitySeed:                          seed(t, identity),
		naming.AccountSigningSeed(naming.DefaultSigningKey): seed(t, signing),
	}
	return s, signing
}

func keySecret(ns, name, label, object string) *corev1.Secret {
	m := objectMeta(ns, name)
	m.Labels = map[string]string{naming.LabelManagedBy: naming.ManagedByValue, naming.LabelSecretType: naming.SecretTypeKeys, label: object}
	return &corev1.Secret{ObjectMeta: m, Type: corev1.SecretTypeOpaque}
}
