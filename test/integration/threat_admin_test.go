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
	"k8s.io/apimachinery/pkg/types"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/controllers/user"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestThreatAccountAdmin proves what manifests/rbac's nats-auth-account-admin grants in the
// operator's namespace: accounts and users, read-only operators, and no Secrets (the operator
// and account keys live there) and no status (status.jwt is the record of revocations). Its
// attempts to open the system account to applications are undone: the controller restores the
// system account's spec (no JetStream, no other namespaces), and a NatsUser it binds to the
// system account is refused with SystemAccountReserved.
func TestThreatAccountAdmin(t *testing.T) {
	e := newThreatEnv(t)
	bob := e.bob
	accounts := bob.nats.NatsauthV1alpha1().NatsAccounts(e.platform)
	e.account("orders")

	allowed := map[string]error{}
	_, allowed["read the NatsOperator"] = bob.nats.NatsauthV1alpha1().NatsOperators(e.platform).Get(e.ctx, "main", metav1.GetOptions{})
	_, allowed["edit an account"] = accounts.Patch(e.ctx, "orders", types.MergePatchType,
		[]byte(`{"spec":{"allowedUserNamespaces":["`+e.tenant+`"]}}`), metav1.PatchOptions{})
	expectAllowed(t, bob.name, allowed)

	forbidden := map[string]error{}
	for _, s := range []string{naming.OperatorKeysSecret("main"), naming.AccountKeysSecret("orders"), naming.AccountKeysSecret(naming.SystemAccount("main")), naming.ResolverCredsSecret("main")} {
		_, forbidden["get Secret "+s] = bob.kube.CoreV1().Secrets(e.platform).Get(e.ctx, s, metav1.GetOptions{})
	}
	_, forbidden["list Secrets"] = bob.kube.CoreV1().Secrets(e.platform).List(e.ctx, metav1.ListOptions{})
	_, forbidden["patch an account's status (status.jwt carries the revocations)"] = accounts.Patch(e.ctx, "orders", types.MergePatchType,
		[]byte(`{"status":{"jwt":"eyJ.replayed.old"}}`), metav1.PatchOptions{}, "status")
	_, forbidden["edit the NatsOperator"] = bob.nats.NatsauthV1alpha1().NatsOperators(e.platform).Patch(e.ctx, "main", types.MergePatchType,
		[]byte(`{"spec":{"signingKeys":["OABC"]}}`), metav1.PatchOptions{})
	_, forbidden["create an account in another namespace"] = bob.nats.NatsauthV1alpha1().NatsAccounts(e.tenant).Create(e.ctx,
		newAccount(e.tenant, "elsewhere", "main"), metav1.CreateOptions{})
	expectForbidden(t, bob.name, forbidden)

	sysBefore := suite.WaitAccountReady(t, e.platform, naming.SystemAccount("main"))
	_, err := accounts.Patch(e.ctx, naming.SystemAccount("main"), types.MergePatchType,
		[]byte(`{"spec":{"allowedUserNamespaces":["*"],"jetstream":{"diskStorage":1073741824}}}`), metav1.PatchOptions{})
	if err != nil {
		t.Fatalf("bob edits the system account: %v", err)
	}
	var sys *natsv1alpha1.NatsAccount
	suite.WaitFor(t, e.ctx, "the controller restores the system account's spec", func() bool {
		a, err := suite.NatsClient(t).NatsauthV1alpha1().NatsAccounts(e.platform).Get(e.ctx, naming.SystemAccount("main"), metav1.GetOptions{})
		sys = a
		return err == nil && a.Spec.JetStream == nil && len(a.Spec.AllowedUserNamespaces) == 0 && suite.IsReady(a.Status.Conditions, a.Generation)
	})
	claims, err := jwt.DecodeAccountClaims(sys.Status.JWT)
	if err != nil {
		t.Fatal(err)
	}
	if claims.Limits.IsJSEnabled() || sys.Status.PublicKey != sysBefore.Status.PublicKey {
		t.Errorf("system account after the edit: JetStream %v, key %s (was %s)", claims.Limits.IsJSEnabled(),
			sys.Status.PublicKey, sysBefore.Status.PublicKey)
	}

	e.createUser(bob, e.platform, "sysuser", natsv1alpha1.NatsAccountReference{Name: naming.SystemAccount("main")}, "")
	u := e.waitUserReason(e.platform, "sysuser", user.ReasonSystemAccountReserved)
	if u.Status.PublicKey != "" {
		t.Errorf("a system-account user got a key")
	}
	e.expectNoSecret(e.platform, "sysuser")
}

// TestThreatAccountAdminCannotMintForeignActivations: activation tokens are signed with the
// exporter's private key, so an account admin must not get one for another namespace's private
// export by naming it in an import. Such an import is ImportNotResolved and the importer gets
// no JWT carrying a token; the exporter's own namespace is unaffected.
func TestThreatAccountAdminCannotMintForeignActivations(t *testing.T) {
	e := newThreatEnv(t)
	other := controlPlane.NewNamespace(t)
	suite.CreateOperator(t, other, "main", nil)
	exporter := newAccount(other, "billing", "main")
	exporter.Spec.Exports = []natsv1alpha1.Export{{Name: "api", Subject: "billing.*", Type: natsv1alpha1.ExportService, TokenRequired: true}}
	createAccount(t, e.ctx, exporter)
	suite.WaitAccountReady(t, other, "billing")

	shop := newAccount(e.platform, "shop", "main")
	shop.Spec.Imports = []natsv1alpha1.Import{{Name: "api", Subject: "billing.api", Type: natsv1alpha1.ExportService,
		AccountRef: &natsv1alpha1.NatsAccountReference{Namespace: other, Name: "billing"}}}
	if _, err := e.bob.nats.NatsauthV1alpha1().NatsAccounts(e.platform).Create(e.ctx, shop, metav1.CreateOptions{}); err != nil {
		t.Fatalf("bob creates the importer: %v", err)
	}
	got := waitAccountCondition(t, e.ctx, e.platform, "shop", metav1.ConditionFalse, "ImportNotResolved")
	t.Logf("refused: %s", readyMessage(got))
	if got.Status.JWT != "" {
		claims, err := jwt.DecodeAccountClaims(got.Status.JWT)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range claims.Imports {
			if im.Token != "" {
				t.Errorf("the importer's JWT carries an activation token for %s", im.Subject)
			}
		}
	}
}
