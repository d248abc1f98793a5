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
	"github.com/natsauth/nats-auth-operator/controllers/naming"
)

// TestCompactCredsSecret: the cache keeps a digest of user.creds in creds Secrets only, and a
// cached Secret still compares equal to the desired one, and unequal to any other creds file.
func TestCompactCredsSecret(t *testing.T) {
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
	if _, err := CompactCredsSecret(cached); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(cached.Data[naming.UserCreds], file) || len(cached.Data[naming.UserCreds]) > 80 {
		t.Fatalf("the cache keeps the creds file: %q", cached.Data[naming.UserCreds])
	}
	if !bytes.Equal(cached.Data[naming.UserJWT], []byte("abc")) || !bytes.Equal(cached.Data[naming.UserSeed], []byte("SU")) || len(cached.Data) != 3 {
		t.Fatalf("the other data must stay as it was: %q", cached.Data)
	}
	again := cached.DeepCopy()
	if _, err := CompactCredsSecret(again); err != nil || !bytes.Equal(again.Data[naming.UserCreds], cached.Data[naming.UserCreds]) {
		t.Fatalf("a second transform must change nothing: %q", again.Data[naming.UserCreds])
	}
	if !secretUpToDate(cached, desired) || !secretUpToDate(desired, desired) {
		t.Fatal("a cached Secret with the desired creds must be up to date")
	}
	legacy := cached.DeepCopy()
	legacy.Finalizers = nil
	if secretUpToDate(legacy, desired) {
		t.Fatal("a Secret without the finalizer must be updated (migration)")
	}
	other := creds()
	other.Data[naming.UserCreds] = []byte("tampered")
	if secretUpToDate(cached, other) {
		t.Fatal("a different creds file must not compare equal to the digest")
	}
	keys := creds()
	keys.Labels[naming.LabelSecretType] = naming.SecretTypeKeys
	if _, err := CompactCredsSecret(keys); err != nil || !bytes.Equal(keys.Data[naming.UserCreds], file) {
		t.Fatal("only creds Secrets are compacted")
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
