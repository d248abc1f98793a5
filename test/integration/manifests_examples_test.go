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

	"github.com/nats-io/jwt/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/natsjwt"
	"github.com/natsauth/nats-auth-operator/test/manifests"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestManifestExamplesBecomeReady applies manifests/examples for real, as a user would, and
// proves that the controller brings every example object to Ready: the operator with its system
// objects, both accounts (the private stream import gets its activation token), and each user,
// whose creds Secret is written in its own namespace.
//
// The examples use the fixed namespaces nats and apps. Applying is idempotent, so the test
// tolerates an earlier run or another test having created them; they are never deleted (see
// ensureNamespaces).
func TestManifestExamplesBecomeReady(t *testing.T) {
	suite.StartControllers(t)
	dir := manifests.Dir(t, "examples")
	objs := manifests.Kustomize(t, dir)
	suite.Kubectl(t, nil, "apply", "-k", dir)
	ctx := suite.Context(t)

	var operators int
	for _, o := range manifests.OfKind(objs, "NatsOperator", "NatsAccount", "NatsUser") {
		ns, name := o.GetNamespace(), o.GetName()
		switch o.GetKind() {
		case "NatsOperator":
			operators++
			suite.WaitOperatorReady(t, ns, name)
			suite.WaitAccountReady(t, ns, naming.SystemAccount(name))
			suite.WaitUserReady(t, ns, naming.ResolverUser(name))
			suite.GetSecret(t, ns, naming.ServerConfigSecret(name))
		case "NatsAccount":
			suite.WaitAccountReady(t, ns, name)
		case "NatsUser":
			u := suite.WaitUserReady(t, ns, name)
			if s := suite.GetSecret(t, ns, u.Status.SecretName); len(s.Data[naming.UserCreds]) == 0 {
				t.Errorf("NatsUser %s/%s: Secret %s has no user.creds", ns, name, s.Name)
			}
		}
	}
	if operators != 1 {
		t.Fatalf("the examples hold %d NatsOperators, want 1", operators)
	}

	// orders imports billing's private stream by reference: the controller minted its token.
	orders, err := suite.NatsClient(t).NatsauthV1alpha1().NatsAccounts("nats").Get(ctx, "orders", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	claims, err := jwt.DecodeAccountClaims(orders.Status.JWT)
	if err != nil {
		t.Fatal(err)
	}
	if len(claims.Imports) != 1 || claims.Imports[0].Token == "" {
		t.Errorf("orders imports %+v, want the billing stream with an activation token", claims.Imports)
	}
	// The worker is signed by the scoped key and carries no permissions of its own.
	worker := suite.GetSecret(t, "apps", "worker")
	userJWT, _, err := natsjwt.ParseCreds(worker.Data[naming.UserCreds])
	if err != nil {
		t.Fatal(err)
	}
	uc, err := jwt.DecodeUserClaims(userJWT)
	if err != nil {
		t.Fatal(err)
	}
	if scope, ok := claims.SigningKeys.GetScope(uc.Issuer); !ok || scope == nil || len(uc.Pub.Allow) != 0 {
		t.Errorf("worker issued by %s (scoped: %v) with pub allow %v, want the scoped key workers and no own permissions", uc.Issuer, scope != nil, uc.Pub.Allow)
	}
}
