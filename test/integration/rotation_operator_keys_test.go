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
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestOperatorRotationSeedMissing: the operator key Secret is restored from a backup taken
// before a rotation (it has signing.nk, not signing.1.nk). The operator is KeysMissing, no seed
// is generated and the status keeps the rotated-to public key; putting the seed back makes it
// Ready with the same keys.
func TestOperatorRotationSeedMissing(t *testing.T) {
	suite.StartControllers(t)
	ns := controlPlane.NewNamespace(t)
	suite.CreateOperator(t, ns, "main", nil)
	ctx := suite.Context(t)
	ops := suite.NatsClient(t).NatsauthV1alpha1().NatsOperators(ns)
	get := func() *natsv1alpha1.NatsOperator {
		op, err := ops.Get(ctx, "main", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return op
	}
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		op := get()
		op.Spec.SigningKeyRotation = &natsv1alpha1.SigningKeyRotation{Generation: 1}
		_, err := ops.Update(ctx, op, metav1.UpdateOptions{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// No nats-server runs, so the rotation stays Rotating with both keys trusted.
	suite.WaitFor(t, ctx, "the rotation to generation 1 started", func() bool {
		st := get().Status.SigningKey
		return st != nil && st.Generation == 1 && st.Phase == natsv1alpha1.SigningKeyRotating && st.PublicKey != ""
	})
	before := get().Status

	secrets := controlPlane.KubeClient().CoreV1().Secrets(ns)
	keyName, seedKey := naming.OperatorKeysSecret("main"), naming.OperatorSigningSeedAt(1)
	backup := suite.GetSecret(t, ns, keyName)
	seed := backup.Data[seedKey]
	delete(backup.Data, seedKey)
	if _, err := secrets.Update(ctx, backup, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	ready := func(status metav1.ConditionStatus, reason string) func() bool {
		return func() bool {
			c := meta.FindStatusCondition(get().Status.Conditions, natsv1alpha1.ConditionReady)
			return c != nil && c.Status == status && c.Reason == reason
		}
	}
	suite.WaitFor(t, ctx, "Ready=False KeysMissing", ready(metav1.ConditionFalse, "KeysMissing"))
	waitForEvent(t, ns, "main", "KeysMissing")
	got := get()
	if c := meta.FindStatusCondition(got.Status.Conditions, natsv1alpha1.ConditionReady); !strings.Contains(c.Message, seedKey) {
		t.Errorf("Ready message %q does not name %s", c.Message, seedKey)
	}
	if _, ok := suite.GetSecret(t, ns, keyName).Data[seedKey]; ok {
		t.Fatalf("a new %s was generated", seedKey)
	}
	if got.Status.SigningKey.PublicKey != before.SigningKey.PublicKey || !slices.Equal(got.Status.SigningKeys, before.SigningKeys) ||
		got.Status.PublicKey != before.PublicKey {
		t.Fatalf("status keys changed: %+v, were %+v", got.Status, before)
	}

	restored := suite.GetSecret(t, ns, keyName)
	restored.Data[seedKey] = seed
	if _, err := secrets.Update(ctx, restored, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	suite.WaitFor(t, ctx, "Ready=True after the restore", ready(metav1.ConditionTrue, "Issued"))
	if got := get().Status; got.SigningKey.PublicKey != before.SigningKey.PublicKey || !slices.Equal(got.SigningKeys, before.SigningKeys) {
		t.Errorf("status keys after the restore %+v, were %+v", got, before)
	}
}
