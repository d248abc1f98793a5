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
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestRotationNamedScopedKey rotates a scoped named key with the grace period from its spec:
// its user is re-issued by the new key, the old creds work until the key is retired and are
// refused on every server afterwards, and the default key is left as it was.
func TestRotationNamedScopedKey(t *testing.T) {
	e := newResolverEnv(t, 3, nil)
	e.startResolver()
	acc := &natsv1alpha1.NatsAccount{ObjectMeta: metav1.ObjectMeta{Name: "orders", Namespace: e.ns},
		Spec: natsv1alpha1.NatsAccountSpec{OperatorRef: natsv1alpha1.LocalObjectReference{Name: "main"},
			SigningKeys: []natsv1alpha1.AccountSigningKey{{Name: "ci", Scope: &natsv1alpha1.SigningKeyScope{Role: "ci"}}}}}
	if _, err := suite.NatsClient(t).NatsauthV1alpha1().NatsAccounts(e.ns).Create(e.ctx, acc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.waitFullyPushed("orders")
	u := &natsv1alpha1.NatsUser{ObjectMeta: metav1.ObjectMeta{Name: "job", Namespace: e.ns},
		Spec: natsv1alpha1.NatsUserSpec{AccountRef: natsv1alpha1.NatsAccountReference{Name: "orders"}, SigningKey: "ci"}}
	if _, err := suite.NatsClient(t).NatsauthV1alpha1().NatsUsers(e.ns).Create(e.ctx, u, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	suite.WaitUserReady(t, e.ns, "job")
	oldCreds := suite.GetSecret(t, e.ns, "job").Data[naming.UserCreds]
	defaultBefore := e.defaultKey("orders")

	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		a := e.account("orders")
		a.Spec.SigningKeys[0].Rotation = &natsv1alpha1.SigningKeyRotation{Generation: 1, GracePeriod: &metav1.Duration{Duration: 5 * time.Second}}
		_, err := suite.NatsClient(t).NatsauthV1alpha1().NatsAccounts(e.ns).Update(e.ctx, a, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var ci natsv1alpha1.SigningKeyStatus
	e.waitFor("signing key ci is Retiring", func() bool {
		ci = e.account("orders").Status.SigningKeys[1]
		return ci.Generation == 1 && ci.Phase == natsv1alpha1.SigningKeyRetiring
	})
	newCreds := e.waitCredsSignedBy("job", ci.PublicKey)
	for _, s := range e.servers {
		if !connects(s, oldCreds) {
			t.Errorf("the old creds are refused by %s before the key was retired", s.Name())
		}
	}
	e.waitFor("signing key ci is Active", func() bool {
		return e.account("orders").Status.SigningKeys[1].Phase == natsv1alpha1.SigningKeyActive
	})
	e.waitFullyPushed("orders")
	for _, s := range e.servers {
		if connects(s, oldCreds) || !connects(s, newCreds) {
			t.Errorf("%s after retirement: old creds connect %v, new creds connect %v", s.Name(), connects(s, oldCreds), connects(s, newCreds))
		}
	}
	if after := e.defaultKey("orders"); after != defaultBefore {
		t.Errorf("the default key changed: %+v, was %+v", after, defaultBefore)
	}
}

// TestRotationSchemaGenerationOnlyGoesUp: the apiserver refuses lowering a rotation's generation,
// for the default key and for a named one, and takes raising it and unsetting the rotation.
func TestRotationSchemaGenerationOnlyGoesUp(t *testing.T) {
	ns := controlPlane.NewNamespace(t)
	client := suite.NatsClient(t).NatsauthV1alpha1().NatsAccounts(ns)
	ctx := suite.Context(t)
	a := &natsv1alpha1.NatsAccount{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: ns},
		Spec: natsv1alpha1.NatsAccountSpec{OperatorRef: natsv1alpha1.LocalObjectReference{Name: "o"},
			SigningKeyRotation: &natsv1alpha1.SigningKeyRotation{Generation: 2},
			SigningKeys:        []natsv1alpha1.AccountSigningKey{{Name: "ci", Rotation: &natsv1alpha1.SigningKeyRotation{Generation: 2}}}}}
	created, err := client.Create(ctx, a, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(*natsv1alpha1.NatsAccountSpec){
		"default": func(s *natsv1alpha1.NatsAccountSpec) { s.SigningKeyRotation.Generation = 1 },
		"named":   func(s *natsv1alpha1.NatsAccountSpec) { s.SigningKeys[0].Rotation.Generation = 1 },
	} {
		lower := created.DeepCopy()
		edit(&lower.Spec)
		if _, err := client.Update(ctx, lower, metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}}); err == nil || !strings.Contains(err.Error(), "generation only goes up") {
			t.Errorf("%s: lowering the generation: %v", name, err)
		}
	}
	up := created.DeepCopy()
	up.Spec.SigningKeyRotation.Generation = 3
	up.Spec.SigningKeys[0].Rotation = nil
	if _, err := client.Update(ctx, up, metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
		t.Errorf("raising and unsetting: %v", err)
	}
}
