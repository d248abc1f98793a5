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
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

func TestNamespaceAllowed(t *testing.T) {
	acc := func(allowed ...string) *natsv1alpha1.NatsAccount {
		return &natsv1alpha1.NatsAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "platform"},
			Spec: natsv1alpha1.NatsAccountSpec{AllowedUserNamespaces: allowed}}
	}
	for _, tc := range []struct {
		acc  *natsv1alpha1.NatsAccount
		ns   string
		want bool
	}{
		{acc(), "platform", true},
		{acc(), "apps", false},
		{acc("apps"), "apps", true},
		{acc("batch"), "apps", false},
		{acc("*"), "anything", true},
	} {
		if got := tc.acc.AllowsNamespace(tc.ns); got != tc.want {
			t.Errorf("AllowsNamespace(%v, %q) = %v", tc.acc.Spec.AllowedUserNamespaces, tc.ns, got)
		}
	}
}

// TestCredsSecret: the Secret carries the creds as one unit, the labels the informer selects
// on, the annotations that survive a crash, and the controller reference.
func TestCredsSecret(t *testing.T) {
	user := testUser()
	user.UID = types.UID("uid-1")
	kp, err := natsjwt.NewKey(natsjwt.KindUser)
	if err != nil {
		t.Fatal(err)
	}
	cur := &creds{name: "api-creds", hash: "h", revokedBefore: 1700000000}
	cur.seed, _ = kp.Seed()
	cur.pub, _ = kp.PublicKey()
	accKey, _ := natsjwt.NewKey(natsjwt.KindAccount)
	claims, err := natsjwt.UserClaims(cur.pub, natsjwt.UserSpec{IssuerAccount: newPub(t, natsjwt.KindAccount)})
	if err != nil {
		t.Fatal(err)
	}
	if cur.token, _, err = natsjwt.Sign(claims, accKey); err != nil {
		t.Fatal(err)
	}
	s, err := credsSecret(user, cur)
	if err != nil {
		t.Fatal(err)
	}
	if token, _, err := natsjwt.ParseCreds(s.Data[naming.UserCreds]); err != nil || token != cur.token {
		t.Errorf("user.creds does not hold the JWT: %v", err)
	}
	if s.Labels[naming.LabelManagedBy] != naming.ManagedByValue || s.Labels[naming.LabelSecretType] != "creds" ||
		s.Labels[naming.LabelUser] != "api" {
		t.Errorf("labels = %v", s.Labels)
	}
	if s.Annotations[naming.AnnotationClaimsHash] != "h" || s.Annotations[naming.AnnotationRevokedBefore] != "1700000000" {
		t.Errorf("annotations = %v", s.Annotations)
	}
	if !metav1.IsControlledBy(s, user) || s.Namespace != "apps" || s.Name != "api-creds" {
		t.Errorf("Secret %s/%s owners %+v", s.Namespace, s.Name, s.OwnerReferences)
	}
	if !secretUpToDate(s, s) {
		t.Error("a Secret is not up to date with itself")
	}
	stale := s.DeepCopy()
	stale.Data[naming.UserJWT] = []byte("old")
	extra := s.DeepCopy()
	extra.Labels["team"] = "orders"
	if secretUpToDate(stale, s) || !secretUpToDate(extra, s) {
		t.Error("secretUpToDate must compare data and tolerate labels added by others")
	}

	long := testUser(func(u *natsv1alpha1.NatsUser) { u.Name = strings.Repeat("a", 64) })
	if s, err := credsSecret(long, cur); err != nil || s.Labels[naming.LabelUser] != "" {
		t.Errorf("a name too long for a label value must not become one: %v %v", s.Labels, err)
	}
}
