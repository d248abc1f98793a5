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
	"time"

	"github.com/nats-io/jwt/v2"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestServerConfigIsRecreated: a deleted <op>-server-config Secret comes back with the same
// content and checksum, so servers that mount it are not left without their auth config, and
// keep an operator JWT they can reload (the same one, from status.jwt).
func TestServerConfigIsRecreated(t *testing.T) {
	suite.StartControllers(t)
	ns := controlPlane.NewNamespace(t)
	ctx := suite.Context(t)
	op := suite.CreateOperator(t, ns, "main", nil)
	secrets := controlPlane.KubeClient().CoreV1().Secrets(ns)
	before := suite.GetSecret(t, ns, op.Status.ServerConfigSecret)
	// A JWT signed again now would differ (its iat is in a later second): the operator JWT must
	// be reused, since nats-server cannot reload another one.
	claims, err := jwt.DecodeOperatorClaims(string(before.Data[naming.OperatorJWT]))
	if err != nil {
		t.Fatal(err)
	}
	suite.WaitFor(t, ctx, "a second later than the operator JWT's iat", func() bool { return time.Now().Unix() > claims.IssuedAt })
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

// TestTamperedSecretsRewriteOnlyThemselves: tampering with owned Secrets (a tenant's creds, the
// resolver's creds in the system account, the server config) repairs those Secrets and nothing
// else. A repaired creds Secret gets a JWT for the same key and claims and revokes nothing, so
// neither the tenant's account nor the system account is re-signed (revoking the lost JWT, as a
// repair once did, re-signed the system account and pushed it to every server).
func TestTamperedSecretsRewriteOnlyThemselves(t *testing.T) {
	suite.StartControllers(t)
	ns := controlPlane.NewNamespace(t)
	ctx := suite.Context(t)
	op := suite.CreateOperator(t, ns, "main", nil)
	readyAccount(t, ns, "orders", "main")
	createReadyUser(t, ctx, ns, "api", "orders")
	suite.WaitUserReady(t, ns, naming.ResolverUser(op.Name))
	accounts := []string{"orders", naming.SystemAccount(op.Name)}
	signed, versions := map[string]string{}, map[string]string{}
	for _, name := range accounts {
		acc := waitAccountReady(t, ctx, ns, name)
		signed[name], versions[name] = acc.Status.JWT, acc.ResourceVersion
	}
	config := suite.GetSecret(t, ns, op.Status.ServerConfigSecret)

	secrets := controlPlane.KubeClient().CoreV1().Secrets(ns)
	tamper := map[string]string{"api": naming.UserJWT, naming.ResolverCredsSecret(op.Name): naming.UserJWT,
		config.Name: "auth.conf"}
	for name, key := range tamper {
		s := suite.GetSecret(t, ns, name)
		s.Data[key] = []byte("tampered")
		if _, err := secrets.Update(ctx, s, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	suite.WaitFor(t, ctx, "every tampered Secret is repaired", func() bool {
		for _, user := range []string{"api", naming.ResolverUser(op.Name)} {
			u := suite.WaitUserReady(t, ns, user)
			claims, err := jwt.DecodeUserClaims(string(suite.GetSecret(t, ns, u.Status.SecretName).Data[naming.UserJWT]))
			if err != nil || claims.Subject != u.Status.PublicKey {
				return false
			}
		}
		return string(suite.GetSecret(t, ns, config.Name).Data["auth.conf"]) == string(config.Data["auth.conf"])
	})
	consistently(t, ctx, "no account is written", 3*time.Second, func() bool {
		for _, name := range accounts {
			got := getAccount(t, ctx, ns, name)
			if got.Status.JWT != signed[name] {
				t.Errorf("NatsAccount %s was re-signed: %s", name, got.Status.JWT)
				return false
			}
			if got.ResourceVersion != versions[name] {
				t.Errorf("NatsAccount %s was written (resourceVersion %s, was %s)", name, got.ResourceVersion, versions[name])
				return false
			}
		}
		return true
	})
	for _, user := range []string{"api", naming.ResolverUser(op.Name)} {
		if u := suite.WaitUserReady(t, ns, user); u.Status.RevokedBefore != nil {
			t.Errorf("NatsUser %s: the repair revoked earlier JWTs (revokedBefore %v)", user, u.Status.RevokedBefore)
		}
	}
}
