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
	"context"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/natsjwt"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// issuedAccount sets the spec fields whose JWT rendering the tests check.
func issuedAccount(t *testing.T, ns, op string) *natsv1alpha1.NatsAccount {
	acc := newAccount(ns, "orders", op)
	acc.Spec.Description = "orders team"
	acc.Spec.Tags = []natsv1alpha1.Tag{"team:orders"}
	acc.Spec.Limits = &natsv1alpha1.AccountLimits{Conn: ptr.To[int64](100), LeafConn: ptr.To[int64](0), Payload: ptr.To[int64](1 << 20),
		DisallowBearer: true}
	acc.Spec.JetStream = &natsv1alpha1.JetStreamSpec{Tiers: map[string]natsv1alpha1.JetStreamLimits{
		"R1": {MemStorage: ptr.To[int64](1 << 20), DiskStorage: ptr.To[int64](1 << 30), Streams: ptr.To[int64](10), MaxBytesRequired: ptr.To(true)},
		"R3": {DiskStorage: ptr.To[int64](-1)},
	}}
	acc.Spec.DefaultPermissions = &natsv1alpha1.Permissions{
		Pub: &natsv1alpha1.PublishPermission{Allow: []natsv1alpha1.Subject{"orders.>"}},
		Sub: &natsv1alpha1.SubscribePermission{Allow: []natsv1alpha1.SubscribeSubject{"orders.* workers", "_INBOX.>"}},
	}
	acc.Spec.Exports = []natsv1alpha1.Export{
		{Name: "events", Subject: "orders.events.>", Type: natsv1alpha1.ExportStream},
		{Name: "api", Subject: "orders.api.*", Type: natsv1alpha1.ExportService, TokenRequired: true, ResponseType: "Stream",
			ResponseThreshold: &metav1.Duration{Duration: 2 * time.Second}, AccountTokenPosition: ptr.To[int32](3)},
	}
	acc.Spec.Imports = []natsv1alpha1.Import{{Name: "ext", Subject: "ext.api", Type: natsv1alpha1.ExportService,
		AccountPublicKey: newPublicKey(t, natsjwt.KindAccount)}}
	acc.Spec.Mappings = []natsv1alpha1.Mapping{{From: "orders.new", To: []natsv1alpha1.MappingDestination{
		{Subject: "orders.v2.new", Weight: ptr.To[int32](90)}, {Subject: "orders.v1.new", Weight: ptr.To[int32](10)},
	}}}
	acc.Spec.SigningKeys = []natsv1alpha1.AccountSigningKey{
		{Name: "ci"},
		{Name: "readers", Scope: &natsv1alpha1.SigningKeyScope{Role: "reader", Template: natsv1alpha1.UserPermissionLimits{
			Permissions: &natsv1alpha1.Permissions{Sub: &natsv1alpha1.SubscribePermission{
				Allow: []natsv1alpha1.SubscribeSubject{"orders.{{name()}}.>"}}},
			Limits: &natsv1alpha1.UserLimits{Subs: ptr.To[int64](10)},
		}}},
	}
	return acc
}

// TestAccountIssued proves that an account becomes Ready with a JWT that says what the spec says,
// is signed by the operator's signing key (not its identity) and hashes to status.claimsHash,
// and that its keys are stored in a labelled, unowned (Retain) Secret.
func TestAccountIssued(t *testing.T) {
	ctx := suite.Context(t)
	ns := controlPlane.NewNamespace(t)
	suite.StartControllers(t)
	op := setupOperator(t, ctx, ns, "main")
	spec := issuedAccount(t, ns, op.Name)
	createAccount(t, ctx, spec)
	acc := waitAccountReady(t, ctx, ns, "orders")
	claims := decodeAccount(t, acc)

	if claims.Issuer != op.SigningKey {
		t.Errorf("issuer %s, want the operator signing key %s", claims.Issuer, op.SigningKey)
	}
	if acc.Status.OperatorPublicKey != op.PublicKey {
		t.Errorf("status.operatorPublicKey %s, want %s", acc.Status.OperatorPublicKey, op.PublicKey)
	}
	if h, err := natsjwt.Hash(claims); err != nil || h != acc.Status.ClaimsHash {
		t.Errorf("hash of the JWT %s (%v), status.claimsHash %s", h, err, acc.Status.ClaimsHash)
	}
	l := claims.Limits
	if claims.Name != "orders" || claims.Description != "orders team" || !claims.Tags.Contains("team:orders") {
		t.Errorf("name/description/tags: %q %q %v", claims.Name, claims.Description, claims.Tags)
	}
	if l.Conn != 100 || l.LeafNodeConn != 0 || l.Payload != 1<<20 || l.Subs != -1 || l.Data != -1 || !l.DisallowBearer {
		t.Errorf("limits: %+v", l.NatsLimits)
	}
	if r1 := l.JetStreamTieredLimits["R1"]; r1.MemoryStorage != 1<<20 || r1.DiskStorage != 1<<30 || r1.Streams != 10 || !r1.MaxBytesRequired {
		t.Errorf("tier R1: %+v", r1)
	}
	if r3 := l.JetStreamTieredLimits["R3"]; r3.DiskStorage != -1 || r3.MemoryStorage != -1 {
		t.Errorf("tier R3: %+v", r3)
	}
	checkExports(t, claims)
	if len(claims.Imports) != 1 || claims.Imports[0].Account != spec.Spec.Imports[0].AccountPublicKey || claims.Imports[0].Type != jwt.Service {
		t.Errorf("imports: %+v", claims.Imports)
	}
	if m := claims.Mappings["orders.new"]; len(m) != 2 {
		t.Errorf("mappings: %+v", claims.Mappings)
	}
	if !claims.DefaultPermissions.Pub.Allow.Contains("orders.>") || !claims.DefaultPermissions.Sub.Allow.Contains("orders.* workers") {
		t.Errorf("default permissions: %+v", claims.DefaultPermissions)
	}
	checkSigningKeys(t, acc, claims)
	checkKeySecret(t, ctx, acc)
}

func checkExports(t *testing.T, claims *jwt.AccountClaims) {
	t.Helper()
	if len(claims.Exports) != 2 {
		t.Fatalf("exports: %+v", claims.Exports)
	}
	for _, e := range claims.Exports {
		switch e.Subject {
		case "orders.events.>":
			if e.Type != jwt.Stream || e.TokenReq {
				t.Errorf("stream export: %+v", e)
			}
		case "orders.api.*":
			if e.Type != jwt.Service || !e.TokenReq || e.ResponseType != jwt.ResponseTypeStream ||
				e.ResponseThreshold != 2*time.Second || e.AccountTokenPosition != 3 {
				t.Errorf("service export: %+v", e)
			}
		default:
			t.Errorf("unexpected export %+v", e)
		}
	}
}

func checkSigningKeys(t *testing.T, acc *natsv1alpha1.NatsAccount, claims *jwt.AccountClaims) {
	t.Helper()
	sk := acc.Status.SigningKeys
	if len(sk) != 3 || sk[0].Name != "default" || sk[0].Scoped || sk[1].Name != "ci" || sk[1].Scoped || sk[2].Name != "readers" || !sk[2].Scoped {
		t.Fatalf("status.signingKeys: %+v", sk)
	}
	for _, k := range sk {
		// GetScope reports presence; the scope is nil for a plain key.
		scope, ok := claims.SigningKeys.GetScope(k.PublicKey)
		if !ok || (scope != nil) != k.Scoped {
			t.Errorf("signing key %s in JWT: present %v, scope %+v", k.Name, ok, scope)
		}
		if us, isUser := scope.(*jwt.UserScope); k.Scoped && (!isUser || us.Role != "reader" || us.Template.Subs != 10 ||
			!us.Template.Sub.Allow.Contains("orders.{{name()}}.>") || us.Template.Pub.Allow != nil) {
			t.Errorf("scoped key template: %+v", scope)
		}
	}
	if claims.SigningKeys.Contains(acc.Status.PublicKey) {
		t.Error("the identity key must not be a signing key")
	}
}

func checkKeySecret(t *testing.T, ctx context.Context, acc *natsv1alpha1.NatsAccount) {
	t.Helper()
	s, err := controlPlane.KubeClient().CoreV1().Secrets(acc.Namespace).Get(ctx, naming.AccountKeysSecret(acc.Name), metav1.GetOptions{})
	if err != nil {
		t.Fatalf("key Secret: %v", err)
	}
	if s.Labels[naming.LabelManagedBy] != naming.ManagedByValue || s.Labels[naming.LabelSecretType] != naming.SecretTypeKeys ||
		s.Labels[naming.LabelAccount] != acc.Name {
		t.Errorf("key Secret labels: %v", s.Labels)
	}
	if len(s.OwnerReferences) != 0 {
		t.Errorf("Retain: the key Secret must have no owner, has %+v", s.OwnerReferences)
	}
	if got := seedPublicKey(t, s.Data[naming.AccountIdentitySeed], natsjwt.KindAccount); got != acc.Status.PublicKey {
		t.Errorf("account.nk holds %s, status.publicKey %s", got, acc.Status.PublicKey)
	}
	for _, sk := range acc.Status.SigningKeys {
		if got := seedPublicKey(t, s.Data[naming.AccountSigningSeed(sk.Name)], natsjwt.KindAccount); got != sk.PublicKey {
			t.Errorf("signing-%s.nk holds %s, status says %s", sk.Name, got, sk.PublicKey)
		}
	}
}

// TestAccountResyncWritesNothing proves that re-syncs (forced through operator events) change
// neither the account (no status write, so no re-sign and nothing to push) nor its key Secret.
func TestAccountResyncWritesNothing(t *testing.T) {
	ctx := suite.Context(t)
	ns := controlPlane.NewNamespace(t)
	suite.StartControllers(t)
	op := setupOperator(t, ctx, ns, "main")
	createAccount(t, ctx, issuedAccount(t, ns, op.Name))
	acc := waitAccountReady(t, ctx, ns, "orders")
	secrets := controlPlane.KubeClient().CoreV1().Secrets(ns)
	secret, err := secrets.Get(ctx, naming.AccountKeysSecret("orders"), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}

	settle(t, ctx, ns, op.Name)
	consistently(t, ctx, "account and key Secret unchanged", 2*time.Second, func() bool {
		a := getAccount(t, ctx, ns, "orders")
		s, err := secrets.Get(ctx, naming.AccountKeysSecret("orders"), metav1.GetOptions{})
		return err == nil && a.ResourceVersion == acc.ResourceVersion && s.ResourceVersion == secret.ResourceVersion
	})
}

// TestAccountSpecEditResigns proves that a spec change re-signs the JWT (new claimsHash, new
// claims) with the same identity and keys.
func TestAccountSpecEditResigns(t *testing.T) {
	ctx := suite.Context(t)
	ns := controlPlane.NewNamespace(t)
	suite.StartControllers(t)
	op := setupOperator(t, ctx, ns, "main")
	createAccount(t, ctx, issuedAccount(t, ns, op.Name))
	before := waitAccountReady(t, ctx, ns, "orders")

	edited := before.DeepCopy()
	edited.Spec.Limits.Conn = ptr.To[int64](5)
	edited.Spec.SigningKeys = append(edited.Spec.SigningKeys, natsv1alpha1.AccountSigningKey{Name: "ops"})
	if _, err := suite.NatsClient(t).NatsauthV1alpha1().NatsAccounts(ns).Update(ctx, edited, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update account: %v", err)
	}
	after := waitAccountReady(t, ctx, ns, "orders")
	if after.Status.ClaimsHash == before.Status.ClaimsHash || after.Status.JWT == before.Status.JWT {
		t.Fatal("a spec edit must re-sign the account JWT")
	}
	if after.Status.PublicKey != before.Status.PublicKey {
		t.Errorf("identity changed from %s to %s", before.Status.PublicKey, after.Status.PublicKey)
	}
	claims := decodeAccount(t, after)
	if claims.Limits.Conn != 5 || len(after.Status.SigningKeys) != 4 || after.Status.SigningKeys[3].Name != "ops" ||
		!claims.SigningKeys.Contains(after.Status.SigningKeys[3].PublicKey) {
		t.Errorf("edit not in the JWT: conn %d, signing keys %+v", claims.Limits.Conn, after.Status.SigningKeys)
	}
	for i, sk := range before.Status.SigningKeys {
		if after.Status.SigningKeys[i] != sk {
			t.Errorf("signing key %s changed: %+v -> %+v", sk.Name, sk, after.Status.SigningKeys[i])
		}
	}
}

// TestAccountOperatorNotFound proves that an account of a missing operator reports
// OperatorNotFound with one Warning event, and is issued once the operator appears.
func TestAccountOperatorNotFound(t *testing.T) {
	ctx := suite.Context(t)
	ns := controlPlane.NewNamespace(t)
	suite.StartControllers(t)
	createAccount(t, ctx, newAccount(ns, "orphan", "later"))
	acc := waitAccountCondition(t, ctx, ns, "orphan", metav1.ConditionFalse, "OperatorNotFound")
	if acc.Status.JWT != "" || acc.Status.PublicKey != "" {
		t.Errorf("nothing may be issued without an operator: %+v", acc.Status)
	}
	if _, err := controlPlane.KubeClient().CoreV1().Secrets(ns).Get(ctx, naming.AccountKeysSecret("orphan"), metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("no key Secret without an operator, got %v", err)
	}
	suite.WaitFor(t, ctx, "a Warning event OperatorNotFound", func() bool { return warningEvents(t, ctx, ns, "orphan", "OperatorNotFound") == 1 })

	op := setupOperator(t, ctx, ns, "later")
	acc = waitAccountReady(t, ctx, ns, "orphan")
	if decodeAccount(t, acc).Issuer != op.SigningKey {
		t.Error("account not signed by the operator signing key")
	}
}
