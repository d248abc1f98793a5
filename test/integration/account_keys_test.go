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
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestAccountKeysRetainedAndAdopted proves that with the default Retain policy the key Secret
// outlives its NatsAccount and a re-created account of the same name adopts the same identity.
func TestAccountKeysRetainedAndAdopted(t *testing.T) {
	ctx := suite.Context(t)
	ns := controlPlane.NewNamespace(t)
	suite.StartControllers(t)
	op := setupOperator(t, ctx, ns, "main")
	createAccount(t, ctx, newAccount(ns, "keep", op.Name))
	first := waitAccountReady(t, ctx, ns, "keep")
	secrets := controlPlane.KubeClient().CoreV1().Secrets(ns)
	secret, err := secrets.Get(ctx, naming.AccountKeysSecret("keep"), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}

	accounts := suite.NatsClient(t).NatsauthV1alpha1().NatsAccounts(ns)
	if err := accounts.Delete(ctx, "keep", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	suite.WaitFor(t, ctx, "the account is gone", func() bool {
		_, err := accounts.Get(ctx, "keep", metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	})
	createAccount(t, ctx, newAccount(ns, "keep", op.Name))
	second := waitAccountReady(t, ctx, ns, "keep")
	if second.Status.PublicKey != first.Status.PublicKey {
		t.Errorf("re-created account has identity %s, want the retained %s", second.Status.PublicKey, first.Status.PublicKey)
	}
	if second.Status.SigningKeys[0] != first.Status.SigningKeys[0] {
		t.Errorf("default signing key changed: %+v -> %+v", first.Status.SigningKeys[0], second.Status.SigningKeys[0])
	}
	if decodeAccount(t, second).Issuer != op.SigningKey {
		t.Error("re-created account not signed by the operator signing key")
	}
	after, err := secrets.Get(ctx, naming.AccountKeysSecret("keep"), metav1.GetOptions{})
	if err != nil || after.UID != secret.UID || len(after.OwnerReferences) != 0 {
		t.Errorf("key Secret must be the retained one without owner: err %v, uid %s -> %s, owners %+v", err, secret.UID, after.UID, after.OwnerReferences)
	}
}

// TestAccountKeysDeletePolicy proves that keyDeletionPolicy Delete makes the account the
// controller owner of its key Secret (so the garbage collector deletes it with the account) and
// that switching back to Retain removes the owner reference.
func TestAccountKeysDeletePolicy(t *testing.T) {
	ctx := suite.Context(t)
	ns := controlPlane.NewNamespace(t)
	suite.StartControllers(t)
	op := setupOperator(t, ctx, ns, "main")
	spec := newAccount(ns, "owned", op.Name)
	spec.Spec.KeyDeletionPolicy = natsv1alpha1.KeyDeletionPolicyDelete
	createAccount(t, ctx, spec)
	acc := waitAccountReady(t, ctx, ns, "owned")
	secrets := controlPlane.KubeClient().CoreV1().Secrets(ns)
	s, err := secrets.Get(ctx, naming.AccountKeysSecret("owned"), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	owner := metav1.GetControllerOf(s)
	if owner == nil || owner.UID != acc.UID || owner.Kind != "NatsAccount" || owner.APIVersion != "natsauth.io/v1alpha1" {
		t.Fatalf("Delete policy: controller owner %+v, want NatsAccount %s", owner, acc.UID)
	}

	acc.Spec.KeyDeletionPolicy = natsv1alpha1.KeyDeletionPolicyRetain
	if _, err := suite.NatsClient(t).NatsauthV1alpha1().NatsAccounts(ns).Update(ctx, acc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	suite.WaitFor(t, ctx, "the owner reference is removed", func() bool {
		s, err := secrets.Get(ctx, naming.AccountKeysSecret("owned"), metav1.GetOptions{})
		return err == nil && len(s.OwnerReferences) == 0
	})
	if got := waitAccountReady(t, ctx, ns, "owned"); got.Status.PublicKey != acc.Status.PublicKey {
		t.Errorf("identity changed with the policy: %s -> %s", acc.Status.PublicKey, got.Status.PublicKey)
	}
}

// TestAccountKeysMissing proves that losing the key Secret of an issued account is an error
// (Ready=False KeysMissing, one Warning event) and never a silent new identity.
func TestAccountKeysMissing(t *testing.T) {
	ctx := suite.Context(t)
	ns := controlPlane.NewNamespace(t)
	suite.StartControllers(t)
	op := setupOperator(t, ctx, ns, "main")
	createAccount(t, ctx, newAccount(ns, "lost", op.Name))
	ready := waitAccountReady(t, ctx, ns, "lost")
	secrets := controlPlane.KubeClient().CoreV1().Secrets(ns)
	if err := secrets.Delete(ctx, naming.AccountKeysSecret("lost"), metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	acc := waitAccountCondition(t, ctx, ns, "lost", metav1.ConditionFalse, "KeysMissing")
	if acc.Status.PublicKey != ready.Status.PublicKey || acc.Status.JWT != ready.Status.JWT {
		t.Error("the issued identity and JWT must stay in status")
	}
	suite.WaitFor(t, ctx, "a Warning event KeysMissing", func() bool { return warningEvents(t, ctx, ns, "lost", "KeysMissing") >= 1 })
	settle(t, ctx, ns, op.Name)
	consistently(t, ctx, "no new key Secret and one Warning event", 2*time.Second, func() bool {
		_, err := secrets.Get(ctx, naming.AccountKeysSecret("lost"), metav1.GetOptions{})
		return apierrors.IsNotFound(err) && warningEvents(t, ctx, ns, "lost", "KeysMissing") == 1
	})
}
