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

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/natsjwt"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// waitOperatorReason waits for Ready=False with reason and checks the Warning event.
func waitOperatorReason(t *testing.T, ns, name, reason string) {
	t.Helper()
	ctx := suite.Context(t)
	suite.WaitFor(t, ctx, name+" has Ready=False "+reason, func() bool {
		op, err := suite.NatsClient(t).NatsauthV1alpha1().NatsOperators(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false
		}
		c := meta.FindStatusCondition(op.Status.Conditions, natsv1alpha1.ConditionReady)
		return c != nil && c.Status == metav1.ConditionFalse && c.Reason == reason && c.ObservedGeneration == op.Generation
	})
	waitForEvent(t, ns, name, reason)
}

// TestOperatorNeverTakesOver proves that objects of the names an operator would create, but that
// it does not control, are left alone and reported.
func TestOperatorNeverTakesOver(t *testing.T) {
	suite.StartControllers(t)
	ns := controlPlane.NewNamespace(t)
	ctx := suite.Context(t)
	kube := controlPlane.KubeClient().CoreV1().Secrets(ns)
	client := suite.NatsClient(t).NatsauthV1alpha1()
	newOp := func(name string) {
		t.Helper()
		if _, err := client.NatsOperators(ns).Create(ctx, &natsv1alpha1.NatsOperator{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}},
			metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("a foreign key Secret", func(t *testing.T) {
		foreign := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: naming.OperatorKeysSecret("k"), Namespace: ns}, StringData: map[string]string{"x": "y"}}
		if _, err := kube.Create(ctx, foreign, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		newOp("k")
		waitOperatorReason(t, ns, "k", "SecretConflict")
		got := suite.GetSecret(t, ns, naming.OperatorKeysSecret("k"))
		if len(got.Data) != 1 {
			t.Errorf("the foreign Secret was changed: %v", got.Data)
		}
	})
	t.Run("a foreign system account", func(t *testing.T) {
		if _, err := client.NatsAccounts(ns).Create(ctx, &natsv1alpha1.NatsAccount{ObjectMeta: metav1.ObjectMeta{Name: naming.SystemAccount("s"), Namespace: ns},
			Spec: natsv1alpha1.NatsAccountSpec{OperatorRef: natsv1alpha1.LocalObjectReference{Name: "s"}}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		newOp("s")
		waitOperatorReason(t, ns, "s", "SystemObjectConflict")
	})
	t.Run("a foreign resolver user", func(t *testing.T) {
		if _, err := client.NatsUsers(ns).Create(ctx, &natsv1alpha1.NatsUser{ObjectMeta: metav1.ObjectMeta{Name: naming.ResolverUser("r"), Namespace: ns},
			Spec: natsv1alpha1.NatsUserSpec{AccountRef: natsv1alpha1.NatsAccountReference{Name: naming.SystemAccount("r")}}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		newOp("r")
		waitOperatorReason(t, ns, "r", "SystemObjectConflict")
	})
	t.Run("a foreign server-config Secret", func(t *testing.T) {
		foreign := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: naming.ServerConfigSecret("c"), Namespace: ns}, StringData: map[string]string{naming.AuthConf: "mine"}}
		if _, err := kube.Create(ctx, foreign, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		newOp("c")
		waitOperatorReason(t, ns, "c", "SecretConflict")
		if got := string(suite.GetSecret(t, ns, naming.ServerConfigSecret("c")).Data[naming.AuthConf]); got != "mine" {
			t.Errorf("the foreign Secret was overwritten: %q", got)
		}
	})
	t.Run("a key Secret holding the wrong kind of seed", func(t *testing.T) {
		acc, _ := natsjwt.NewKey(natsjwt.KindAccount)
		seed, _ := acc.Seed()
		bad := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: naming.OperatorKeysSecret("w"), Namespace: ns,
			Labels: map[string]string{naming.LabelManagedBy: naming.ManagedByValue, naming.LabelSecretType: naming.SecretTypeKeys, naming.LabelOperator: "w"}},
			Data: map[string][]byte{naming.OperatorIdentitySeed: seed, naming.OperatorSigningSeed: seed}}
		if _, err := kube.Create(ctx, bad, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		newOp("w")
		waitOperatorReason(t, ns, "w", "KeysInvalid")
		op, _ := client.NatsOperators(ns).Get(ctx, "w", metav1.GetOptions{})
		c := meta.FindStatusCondition(op.Status.Conditions, natsv1alpha1.ConditionReady)
		if c != nil && seedPattern.MatchString(c.Message) {
			t.Errorf("the condition message carries a seed")
		}
	})
}

// TestConcurrentControllersCreateOneKey runs two controller instances at once (as two replicas
// would without leader election, or a restart racing a slow old process) and checks that every
// object still has exactly one identity: the key in its Secret is the one its status names.
func TestConcurrentControllersCreateOneKey(t *testing.T) {
	suite.StartControllers(t)
	suite.StartControllers(t)
	ns := controlPlane.NewNamespace(t)
	ctx := suite.Context(t)
	client := suite.NatsClient(t).NatsauthV1alpha1()
	for i := range 3 {
		if _, err := client.NatsOperators(ns).Create(ctx, &natsv1alpha1.NatsOperator{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("op%d", i), Namespace: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		name := fmt.Sprintf("op%d", i)
		op := suite.WaitOperatorReady(t, ns, name)
		keys := suite.GetSecret(t, ns, naming.OperatorKeysSecret(name))
		kp, err := natsjwt.ParseSeed(keys.Data[naming.OperatorIdentitySeed], natsjwt.KindOperator)
		if err != nil {
			t.Fatal(err)
		}
		if pub, _ := kp.PublicKey(); pub != op.Status.PublicKey {
			t.Errorf("%s: status names %s but the key Secret holds %s", name, op.Status.PublicKey, pub)
		}
		sys := suite.WaitAccountReady(t, ns, naming.SystemAccount(name))
		sysKeys := suite.GetSecret(t, ns, naming.AccountKeysSecret(naming.SystemAccount(name)))
		akp, err := natsjwt.ParseSeed(sysKeys.Data[naming.AccountIdentitySeed], natsjwt.KindAccount)
		if err != nil {
			t.Fatal(err)
		}
		if pub, _ := akp.PublicKey(); pub != sys.Status.PublicKey || pub != op.Status.SystemAccount {
			t.Errorf("%s: system account identity %s, status %s, operator says %s", name, pub, sys.Status.PublicKey, op.Status.SystemAccount)
		}
	}
}
