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

package user

import (
	"bytes"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/credscache"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
)

// TestSecretUpToDateCompact: a cached creds Secret (credscache.Compact) compares equal to the
// desired one by the digest of its data, and unequal to any other data.
func TestSecretUpToDateCompact(t *testing.T) {
	file := []byte("-----BEGIN NATS USER JWT-----\nabc\n------END NATS USER JWT------\n")
	creds := func() *corev1.Secret {
		return &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{naming.LabelSecretType: naming.SecretTypeCreds},
				Finalizers: []string{naming.SecretFinalizer}},
			Data: map[string][]byte{naming.UserCreds: bytes.Clone(file), naming.UserJWT: []byte("abc"), naming.UserSeed: []byte("SU")},
		}
	}
	desired := creds()
	cached := creds()
	if _, err := credscache.Compact(cached); err != nil {
		t.Fatal(err)
	}
	if !secretUpToDate(cached, desired) || !secretUpToDate(desired, desired) {
		t.Fatal("a cached Secret with the desired data must be up to date")
	}
	legacy := cached.DeepCopy()
	legacy.Finalizers = nil
	if secretUpToDate(legacy, desired) {
		t.Fatal("a Secret without the finalizer must be updated (migration)")
	}
	for _, k := range []string{naming.UserCreds, naming.UserJWT, naming.UserSeed} {
		other := creds()
		other.Data[k] = []byte("tampered")
		if secretUpToDate(cached, other) {
			t.Fatalf("different %s must not compare equal to the digest", k)
		}
	}
}

// TestCompactUser: interning the strings users share changes no value.
func TestCompactUser(t *testing.T) {
	u := &natsv1alpha1.NatsUser{
		Spec: natsv1alpha1.NatsUserSpec{AccountRef: natsv1alpha1.NatsAccountReference{Name: "orders", Namespace: "apps"}},
		Status: natsv1alpha1.NatsUserStatus{Account: "apps/orders", AccountPublicKey: "AB", PublicKey: "UA",
			Conditions: []metav1.Condition{{Type: "Ready", Reason: ReasonIssued, Message: "Secret api holds"}}},
	}
	want := u.DeepCopy()
	if _, err := CompactUser(u); err != nil || !equality.Semantic.DeepEqual(u, want) {
		t.Fatalf("CompactUser changed the user: %v\n%+v", err, u)
	}
}
