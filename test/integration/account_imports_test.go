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

	"github.com/nats-io/jwt/v2"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestAccountImportByReference proves that imports by accountRef wait for the exporter
// (ImportNotResolved), then resolve when it is created: a public stream gets the exporter's
// public key, a token-required service an activation token signed by the exporter's default
// signing key for exactly this importer. Re-syncs and unrelated exporter edits keep the token, so
// the importer's JWT does not change. An import of the wrong type is reported, not signed.
func TestAccountImportByReference(t *testing.T) {
	ctx := suite.Context(t)
	ns := controlPlane.NewNamespace(t)
	suite.StartControllers(t)
	op := setupOperator(t, ctx, ns, "main")
	importer := newAccount(ns, "shop", op.Name)
	billing := &natsv1alpha1.NatsAccountReference{Name: "billing"}
	importer.Spec.Imports = []natsv1alpha1.Import{
		{Name: "api", Subject: "billing.api", Type: natsv1alpha1.ExportService, AccountRef: billing},
		{Name: "events", Subject: "billing.events.>", LocalSubject: "in.billing.>", Type: natsv1alpha1.ExportStream, AccountRef: billing},
	}
	createAccount(t, ctx, importer)
	pending := waitAccountCondition(t, ctx, ns, "shop", metav1.ConditionFalse, "ImportNotResolved")
	if msg := readyMessage(pending); !strings.Contains(msg, "spec.imports[0]: NatsAccount "+ns+"/billing does not exist") {
		t.Errorf("message %q does not explain the missing exporter", msg)
	}

	exporter := newAccount(ns, "billing", op.Name)
	exporter.Spec.Exports = []natsv1alpha1.Export{
		{Name: "api", Subject: "billing.*", Type: natsv1alpha1.ExportService, TokenRequired: true},
		{Name: "events", Subject: "billing.events.>", Type: natsv1alpha1.ExportStream},
	}
	createAccount(t, ctx, exporter)
	exp := waitAccountReady(t, ctx, ns, "billing")
	acc := waitAccountReady(t, ctx, ns, "shop")
	claims := decodeAccount(t, acc)
	vr := jwt.CreateValidationResults()
	claims.Validate(vr)
	if vr.IsBlocking(true) {
		t.Fatalf("importer claims invalid: %+v", vr.Issues)
	}
	checkImports(t, claims, acc, exp)

	// Neither re-syncs nor an exporter edit that keeps the export change the importer.
	edited := exp.DeepCopy()
	edited.Spec.Description = "billing team"
	if _, err := suite.NatsClient(t).NatsauthV1alpha1().NatsAccounts(ns).Update(ctx, edited, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitAccountReady(t, ctx, ns, "billing")
	settle(t, ctx, ns, op.Name)
	if again := getAccount(t, ctx, ns, "shop"); again.ResourceVersion != acc.ResourceVersion {
		t.Errorf("the importer was rewritten (JWT changed: %v)", again.Status.JWT != acc.Status.JWT)
	}

	wrong := newAccount(ns, "wrong", op.Name)
	wrong.Spec.Imports = []natsv1alpha1.Import{{Subject: "billing.api", Type: natsv1alpha1.ExportStream, AccountRef: billing}}
	createAccount(t, ctx, wrong)
	bad := waitAccountCondition(t, ctx, ns, "wrong", metav1.ConditionFalse, "ImportNotResolved")
	if msg := readyMessage(bad); !strings.Contains(msg, `exports "billing.*" as a service, not a stream`) || bad.Status.JWT != "" {
		t.Errorf("wrong-type import: message %q, JWT set %v", msg, bad.Status.JWT != "")
	}

	// An account cannot import from itself, nor from an account of another operator (its servers
	// would never know that account).
	self := newAccount(ns, "self", op.Name)
	self.Spec.Exports = []natsv1alpha1.Export{{Subject: "self.events.>", Type: natsv1alpha1.ExportStream}}
	self.Spec.Imports = []natsv1alpha1.Import{{Subject: "self.events.>", LocalSubject: "mine.>", Type: natsv1alpha1.ExportStream,
		AccountRef: &natsv1alpha1.NatsAccountReference{Name: "self"}}}
	createAccount(t, ctx, self)
	refused := waitAccountCondition(t, ctx, ns, "self", metav1.ConditionFalse, "ImportNotResolved")
	if msg := readyMessage(refused); !strings.Contains(msg, "cannot import its own exports") || refused.Status.JWT != "" {
		t.Errorf("self import: message %q, JWT set %v", msg, refused.Status.JWT != "")
	}
	otherNS := controlPlane.NewNamespace(t)
	otherOp := setupOperator(t, ctx, otherNS, "other")
	foreign := newAccount(otherNS, "foreign", otherOp.Name)
	foreign.Spec.Exports = []natsv1alpha1.Export{{Subject: "foreign.events.>", Type: natsv1alpha1.ExportStream}}
	createAccount(t, ctx, foreign)
	waitAccountReady(t, ctx, otherNS, "foreign")
	cross := newAccount(ns, "cross", op.Name)
	cross.Spec.Imports = []natsv1alpha1.Import{{Subject: "foreign.events.>", Type: natsv1alpha1.ExportStream,
		AccountRef: &natsv1alpha1.NatsAccountReference{Namespace: otherNS, Name: "foreign"}}}
	createAccount(t, ctx, cross)
	refused = waitAccountCondition(t, ctx, ns, "cross", metav1.ConditionFalse, "ImportNotResolved")
	if msg := readyMessage(refused); !strings.Contains(msg, "belongs to NatsOperator "+otherNS+"/other") || refused.Status.JWT != "" {
		t.Errorf("import from another operator: message %q, JWT set %v", msg, refused.Status.JWT != "")
	}
}

func checkImports(t *testing.T, claims *jwt.AccountClaims, acc, exp *natsv1alpha1.NatsAccount) {
	t.Helper()
	if len(claims.Imports) != 2 {
		t.Fatalf("imports: %+v", claims.Imports)
	}
	for _, im := range claims.Imports {
		if im.Account != exp.Status.PublicKey {
			t.Errorf("import %s from %s, want the exporter %s", im.Subject, im.Account, exp.Status.PublicKey)
		}
		switch im.Type {
		case jwt.Stream:
			if im.Token != "" || im.LocalSubject != "in.billing.>" {
				t.Errorf("public stream import: %+v", im)
			}
		case jwt.Service:
			act, err := jwt.DecodeActivationClaims(im.Token)
			if err != nil {
				t.Fatalf("activation token: %v", err)
			}
			if act.Subject != acc.Status.PublicKey || act.ImportSubject != "billing.api" || act.ImportType != jwt.Service ||
				act.Issuer != exp.Status.SigningKeys[0].PublicKey || act.IssuerAccount != exp.Status.PublicKey {
				t.Errorf("activation: sub %s subject %s type %s iss %s issuer_account %s", act.Subject, act.ImportSubject,
					act.ImportType, act.Issuer, act.IssuerAccount)
			}
		}
	}
	if c := meta.FindStatusCondition(acc.Status.Conditions, natsv1alpha1.ConditionReady); c == nil || c.Reason != "Issued" {
		t.Errorf("importer condition %+v", c)
	}
}
