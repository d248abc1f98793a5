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
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// FuzzReadCredsSecret: the creds Secret lives in the tenant's namespace, where anyone with Secret
// write (a namespace editor) can change it. Whatever it holds, reading it never panics; when it
// is accepted the identity is the seed's, a status that names another key is refused, and a JWT
// is kept only when it is this key's.
func FuzzReadCredsSecret(f *testing.F) {
	kp, err := natsjwt.NewKey(natsjwt.KindUser)
	if err != nil {
		f.Fatal(err)
	}
	seed, _ := kp.Seed()
	pub, _ := kp.PublicKey()
	accountPub := newPub(f, natsjwt.KindAccount)
	claims, err := natsjwt.UserClaims(pub, toUserSpec(testUser(), accountPub, false))
	if err != nil {
		f.Fatal(err)
	}
	signer, _ := natsjwt.NewKey(natsjwt.KindAccount)
	token, _, err := natsjwt.Sign(claims, signer)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed, token, "abc", "1700000000", false)
	f.Add(seed, token+"x", "", "-1", true)
	f.Add([]byte("SUAAAA"), "", "", "9999999999999999999999", false)
	f.Add([]byte{}, "eyJ", "x", "", true)
	f.Fuzz(func(t *testing.T, seedBytes []byte, jwtText, hash, revokedBefore string, namedOther bool) {
		secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "u", Namespace: "apps",
			Annotations: map[string]string{naming.AnnotationClaimsHash: hash, naming.AnnotationRevokedBefore: revokedBefore}},
			Data: map[string][]byte{naming.UserSeed: seedBytes, naming.UserJWT: []byte(jwtText)}}
		status := &natsv1alpha1.NatsUserStatus{}
		if namedOther {
			status.PublicKey = accountPub // never a user key
		}
		var cur creds
		if err := cur.read(secret, status); err != nil {
			return
		}
		if namedOther {
			t.Fatalf("accepted a seed of %s while status names %s", cur.pub, status.PublicKey)
		}
		kp, err := natsjwt.ParseSeed(cur.seed, natsjwt.KindUser)
		if err != nil {
			t.Fatalf("accepted an unusable seed: %v", err)
		}
		got, err := kp.PublicKey()
		if err != nil || got != cur.pub {
			t.Fatalf("identity %s does not match the seed's key %s (%v)", cur.pub, got, err)
		}
		if cur.claims != nil && cur.claims.Subject != cur.pub {
			t.Fatalf("kept a JWT of %s for the key %s", cur.claims.Subject, cur.pub)
		}
	})
}
