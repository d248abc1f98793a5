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
	"maps"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestServerConfigIsRecreated: a deleted <op>-server-config Secret comes back with the same
// content and checksum, so servers that mount it are not left without their auth config.
func TestServerConfigIsRecreated(t *testing.T) {
	startControllers(t)
	ns := controlPlane.NewNamespace(t)
	ctx := testContext(t)
	op := createOperator(t, ns, "main", nil)
	secrets := controlPlane.KubeClient().CoreV1().Secrets(ns)
	before := getSecret(t, ns, op.Status.ServerConfigSecret)
	if err := secrets.Delete(ctx, before.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the server config Secret is back", func() bool {
		s, err := secrets.Get(ctx, before.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) || err != nil {
			return false
		}
		if s.UID == before.UID {
			return false // still the deleted one (the delete has not landed yet)
		}
		if !maps.EqualFunc(s.Data, before.Data, func(a, b []byte) bool { return string(a) == string(b) }) {
			t.Fatalf("the re-created Secret differs from the deleted one")
		}
		if !maps.Equal(s.Annotations, before.Annotations) {
			t.Fatalf("annotations changed: %v, was %v", s.Annotations, before.Annotations)
		}
		return true
	})
}
