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
	"fmt"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestStoredUndecodableObjectIsSkipped: an object stored under an earlier, looser schema (here
// resp.ttl "banana", which the current schema refuses) cannot be decoded by the typed client. The
// controller's informers drop it instead of failing the list of every NatsUser: another tenant's
// new user still becomes Ready, and the bad object gets an Undecodable Warning event.
func TestStoredUndecodableObjectIsSkipped(t *testing.T) {
	ctx := suite.Context(t)
	ns, other := controlPlane.NewNamespace(t), controlPlane.NewNamespace(t)
	rc := suite.NatsClient(t).NatsauthV1alpha1().RESTClient()
	bad := fmt.Sprintf(`{"apiVersion":%q,"kind":"NatsUser","metadata":{"name":"stale"},"spec":{"accountRef":{"name":"orders"},"permissions":{"resp":{"ttl":"banana"}}}}`,
		natsv1alpha1.SchemeGroupVersion.String())
	withLooseTTLSchema(t, func() bool {
		return rc.Post().Namespace(ns).Resource("natsusers").Body([]byte(bad)).Do(ctx).Error() == nil
	})
	t.Cleanup(func() { _ = rc.Delete().Namespace(ns).Resource("natsusers").Name("stale").Do(ctx).Error() })

	suite.StartControllers(t)
	suite.CreateOperator(t, ns, "main", nil)
	acc := newAccount(ns, "orders", "main")
	acc.Spec.AllowedUserNamespaces = []string{"*"}
	createAccount(t, ctx, acc)
	waitAccountReady(t, ctx, ns, "orders")
	u := newUser(other, "fresh", natsv1alpha1.NatsAccountReference{Namespace: ns, Name: "orders"})
	if _, err := suite.NatsClient(t).NatsauthV1alpha1().NatsUsers(other).Create(ctx, u, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	suite.WaitUserReady(t, other, "fresh")
	suite.WaitFor(t, ctx, "an Undecodable warning on the stored object", func() bool {
		return warningEvents(t, ctx, ns, "stale", "Undecodable") > 0
	})
}

// withLooseTTLSchema drops the rules of NatsUser's spec.permissions.resp.ttl, as a schema of an
// earlier release had it, until store reports that it stored its object, then restores the CRD
// and waits until the rules hold again, so no later test meets the loose schema.
func withLooseTTLSchema(t *testing.T, store func() bool) {
	t.Helper()
	ctx := suite.Context(t)
	crds := dynamic.NewForConfigOrDie(controlPlane.Config()).Resource(schema.GroupVersionResource{
		Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"})
	orig, err := crds.Get(ctx, "natsusers.natsauth.io", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	loose := orig.DeepCopy()
	versions, _, _ := unstructured.NestedSlice(loose.Object, "spec", "versions")
	v := versions[0].(map[string]any)
	path := []string{"schema", "openAPIV3Schema", "properties", "spec", "properties", "permissions", "properties", "resp", "properties", "ttl"}
	ttl, found, _ := unstructured.NestedMap(v, path...)
	if !found {
		t.Fatal("the NatsUser CRD has no spec.permissions.resp.ttl")
	}
	delete(ttl, "x-kubernetes-validations")
	delete(ttl, "maxLength")
	if err := unstructured.SetNestedMap(v, ttl, path...); err != nil {
		t.Fatal(err)
	}
	_ = unstructured.SetNestedSlice(loose.Object, versions, "spec", "versions")
	if _, err := crds.Update(ctx, loose, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	restore := func() {
		cur, err := crds.Get(ctx, "natsusers.natsauth.io", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		back := orig.DeepCopy()
		back.SetResourceVersion(cur.GetResourceVersion())
		if _, err := crds.Update(ctx, back, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	suite.WaitFor(t, ctx, "the loose schema admits the object", store)
	restore()
	probe := fmt.Sprintf(`{"apiVersion":%q,"kind":"NatsUser","metadata":{"generateName":"probe-"},"spec":{"accountRef":{"name":"x"},"permissions":{"resp":{"ttl":"banana"}}}}`,
		natsv1alpha1.SchemeGroupVersion.String())
	rc := suite.NatsClient(t).NatsauthV1alpha1().RESTClient()
	ns := controlPlane.NewNamespace(t)
	suite.WaitFor(t, ctx, "the restored schema refuses the value again", func() bool {
		return rc.Post().Namespace(ns).Resource("natsusers").Body([]byte(probe)).Do(ctx).Error() != nil
	})
}
