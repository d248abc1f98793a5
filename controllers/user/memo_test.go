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

	"github.com/natsauth/nats-auth-operator/controllers/naming"
)

// An entry serves only the Secret version it was made from, items of one version live side by
// side, and a new version drops what the old one left.
func TestSecretMemoVersions(t *testing.T) {
	var m secretMemo
	v1 := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{UID: "u1", ResourceVersion: "1"}}
	v2 := v1.DeepCopy()
	v2.ResourceVersion = "2"
	m.put(v1, naming.UserSeed, memoEntry{pub: "UA", jwt: &jwtTimes{issuer: "AB", issuedAt: 10, expires: 20}})
	m.put(v1, credsChecked, memoEntry{ok: true})
	if e, ok := m.get(v1, naming.UserSeed); !ok || e.pub != "UA" || e.jwt.userClaims("UA").IssuedAt != 10 {
		t.Errorf("seed item of v1: %+v %v", e, ok)
	}
	if e, ok := m.get(v1, credsChecked); !ok || !e.ok {
		t.Errorf("creds item of v1: %+v %v", e, ok)
	}
	if _, ok := m.get(v2, naming.UserSeed); ok {
		t.Error("v1's entry served v2")
	}
	m.put(v2, naming.UserSeed, memoEntry{pub: "UB"})
	if _, ok := m.get(v2, credsChecked); ok {
		t.Error("v1's creds check survived the new version")
	}
	if e, _ := m.get(v2, naming.UserSeed); e.pub != "UB" || e.jwt.userClaims("UB") != nil {
		t.Errorf("seed item of v2: %+v", e)
	}
	m.forget("u1")
	if _, ok := m.get(v2, naming.UserSeed); ok {
		t.Error("forgotten Secret still known")
	}
	var none *secretMemo
	none.put(v1, naming.UserSeed, memoEntry{})
	if _, ok := none.get(v1, naming.UserSeed); ok {
		t.Error("a nil memo knows something")
	}
}
