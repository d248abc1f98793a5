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
	"k8s.io/apimachinery/pkg/types"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestServerConfigIsRecreated: a deleted <op>-server-config Secret comes back with the same
// content and checksum, so servers that mount it are not left without their auth config.
func TestServerConfigIsRecreated(t *testing.T) {
	suite.StartControllers(t)
	ns := controlPlane.NewNamespace(t)
	ctx := suite.Context(t)
	op := suite.CreateOperator(t, ns, "main", nil)
	secrets := controlPlane.KubeClient().CoreV1().Secrets(ns)
	before := suite.GetSecret(t, ns, op.Status.ServerConfigSecret)
	if err := secrets.Delete(ctx, before.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	suite.WaitFor(t, ctx, "the server config Secret is back", func() bool {
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

// TestCredsSecretIsReadopted: a creds Secret whose owner reference was removed by hand still
// carries the user's labels and the seed of status.publicKey, so it is the user's own: the
// controller puts the reference back instead of reporting SecretConflict forever, and the key and
// JWT stay as they were.
func TestCredsSecretIsReadopted(t *testing.T) {
	suite.StartControllers(t)
	ns := controlPlane.NewNamespace(t)
	ctx := suite.Context(t)
	suite.CreateOperator(t, ns, "main", nil)
	readyAccount(t, ns, "orders", "main")
	u := createReadyUser(t, ctx, ns, "api", "orders")
	secrets := controlPlane.KubeClient().CoreV1().Secrets(ns)
	before := suite.GetSecret(t, ns, "api")
	if _, err := secrets.Patch(ctx, "api", types.MergePatchType, []byte(`{"metadata":{"ownerReferences":null}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	touched := u.DeepCopy()
	touched.Spec.Tags = []natsv1alpha1.Tag{"team:orders"} // an edit, so the user is synced at once
	if _, err := suite.NatsClient(t).NatsauthV1alpha1().NatsUsers(ns).Update(ctx, touched, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	suite.WaitFor(t, ctx, "the Secret is controlled by the user again and the user is Ready", func() bool {
		s, err := secrets.Get(ctx, "api", metav1.GetOptions{})
		got, uerr := suite.NatsClient(t).NatsauthV1alpha1().NatsUsers(ns).Get(ctx, "api", metav1.GetOptions{})
		return err == nil && uerr == nil && metav1.IsControlledBy(s, got) && suite.IsReady(got.Status.Conditions, got.Generation)
	})
	after := suite.GetSecret(t, ns, "api")
	if string(after.Data["user.nk"]) != string(before.Data["user.nk"]) {
		t.Error("the re-adopted Secret holds another seed")
	}
	if got := suite.WaitUserReady(t, ns, "api"); got.Status.PublicKey != u.Status.PublicKey {
		t.Errorf("public key changed from %s to %s", u.Status.PublicKey, got.Status.PublicKey)
	}
}
