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

package controllerhelpers

import (
	"reflect"
	"strings"
	"testing"
	"unsafe"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// decoded returns a copy of s in its own memory, as a decoder makes it.
func decoded(s string) string { return strings.Clone(s) }

func sameMemory(a, b string) bool { return unsafe.StringData(a) == unsafe.StringData(b) }

func secretAsDecoded(name string) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{
		Name: decoded(name), Namespace: decoded("apps"),
		Labels:          map[string]string{decoded("natsauth.io/secret-type"): decoded("creds"), decoded("natsauth.io/user"): decoded(name)},
		Annotations:     map[string]string{decoded("natsauth.io/claims-hash"): decoded("h-" + name)},
		OwnerReferences: []metav1.OwnerReference{{APIVersion: decoded("natsauth.io/v1alpha1"), Kind: decoded("NatsUser"), Name: decoded(name), UID: "u1"}},
		Finalizers:      []string{decoded("natsauth.io/revoke-key")},
		ManagedFields:   []metav1.ManagedFieldsEntry{{Manager: "x"}},
	}}
}

// TestCompactMetaInterns: shared strings of two decoded objects end up in one copy, own names
// and annotation values keep their own, and nothing changes value.
func TestCompactMetaInterns(t *testing.T) {
	a, b := secretAsDecoded("api"), secretAsDecoded("web")
	wantA := a.DeepCopy()
	wantA.ManagedFields = nil
	for _, s := range []*corev1.Secret{a, b} {
		if _, err := CompactMeta(s); err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(a, wantA) {
		t.Fatalf("CompactMeta changed a value:\n got %+v\nwant %+v", a.ObjectMeta, wantA.ObjectMeta)
	}
	shared := map[string][2]string{
		"namespace":  {a.Namespace, b.Namespace},
		"label":      {a.Labels["natsauth.io/secret-type"], b.Labels["natsauth.io/secret-type"]},
		"apiVersion": {a.OwnerReferences[0].APIVersion, b.OwnerReferences[0].APIVersion},
		"finalizer":  {a.Finalizers[0], b.Finalizers[0]},
	}
	for what, pair := range shared {
		if !sameMemory(pair[0], pair[1]) {
			t.Errorf("%s %q is held twice", what, pair[0])
		}
	}
	for k := range a.Labels {
		for k2 := range b.Labels {
			if k == k2 && !sameMemory(k, k2) {
				t.Errorf("label key %q is held twice", k)
			}
		}
	}
	// Interning a string not yet interned makes a new canonical copy.
	if own := a.Labels["natsauth.io/user"]; sameMemory(own, Intern(own)) {
		t.Errorf("the label value naming the object itself was interned")
	}
}

func TestCompactMetaWithoutObjectMeta(t *testing.T) {
	if obj, err := CompactMeta("not an object"); err != nil || obj != "not an object" {
		t.Fatalf("CompactMeta(string) = %v, %v", obj, err)
	}
}

// TestCompactMetaSharesLabelMaps: objects labelled alike hold one label map; a map naming the
// object itself, or with other content, stays its own.
func TestCompactMetaSharesLabelMaps(t *testing.T) {
	user := func(name string, labels map[string]string) *corev1.Secret {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{}}}
		for k, v := range labels {
			s.Labels[decoded(k)] = decoded(v)
		}
		if _, err := CompactMeta(s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	team := map[string]string{"team": "orders", "tier": "prod"}
	a, b := user("a", team), user("b", team)
	c := user("c", map[string]string{"team": "orders", "tier": "dev"})
	d, e := user("d", map[string]string{"owner": "d"}), user("e", map[string]string{"owner": "d"})
	same := func(x, y map[string]string) bool {
		return reflect.ValueOf(x).UnsafePointer() == reflect.ValueOf(y).UnsafePointer()
	}
	if !same(a.Labels, b.Labels) {
		t.Error("equal label sets are held twice")
	}
	if same(a.Labels, c.Labels) || !reflect.DeepEqual(c.Labels, map[string]string{"team": "orders", "tier": "dev"}) {
		t.Error("different label sets share a map")
	}
	if same(d.Labels, e.Labels) {
		t.Error("a label set naming its own object was shared")
	}
}
