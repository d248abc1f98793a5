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
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nkeys"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/natsjwt"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestResolverRefusesUntrustedAccounts runs the resolver with neither controllers nor NATS; the
// test writes the operator's and the accounts' statuses itself. An account JWT signed by a key
// that is not one of the operator's signing keys is reported UntrustedIssuer (with a Warning
// event) and never pushed; a trusted one is reported as not pushed because NATS is down; an
// account of another operator is left alone; and /readyz says NATS is not connected.
func TestResolverRefusesUntrustedAccounts(t *testing.T) {
	ctx := suite.Context(t)
	ns := controlPlane.NewNamespace(t)
	client := suite.NatsClient(t).NatsauthV1alpha1()
	signing, _ := natsjwt.NewKey(natsjwt.KindOperator)
	forger, _ := natsjwt.NewKey(natsjwt.KindOperator)
	signingPub, _ := signing.PublicKey()
	forgerPub, _ := forger.PublicKey()

	op, err := client.NatsOperators(ns).Create(ctx, &natsv1alpha1.NatsOperator{ObjectMeta: metav1.ObjectMeta{Name: "main", Namespace: ns}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	op.Status.SigningKeys = []string{signingPub}
	if _, err := client.NatsOperators(ns).UpdateStatus(ctx, op, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	resolverHandAccount(t, ns, "trusted", "main", signing)
	resolverHandAccount(t, ns, "forged", "main", forger)
	resolverHandAccount(t, ns, "foreign", "other", signing)

	r := suite.StartResolver(t, ns, "main", "nats://"+suite.FreeAddr(t), resolverThrowawayCreds(t))
	e := &resolverEnv{t: t, ctx: ctx, ns: ns}
	forged := e.waitPushed("forged", metav1.ConditionFalse, "UntrustedIssuer", nil)
	if msg := resolverPushedMessage(forged); !strings.Contains(msg, forgerPub) {
		t.Errorf("UntrustedIssuer message %q does not name the issuer %s", msg, forgerPub)
	}
	if forged.Status.PushedClaimsHash != "" {
		t.Errorf("pushedClaimsHash %q for an account never pushed", forged.Status.PushedClaimsHash)
	}
	if msg := resolverPushedMessage(e.waitPushed("trusted", metav1.ConditionFalse, "PushFailed", nil)); msg != "not connected to NATS" {
		t.Errorf("trusted account without NATS: %q", msg)
	}
	suite.WaitFor(t, ctx, "a Warning event UntrustedIssuer on the forged account", func() bool {
		events, err := controlPlane.KubeClient().CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=forged"})
		if err != nil {
			return false
		}
		for _, ev := range events.Items {
			if ev.Type == "Warning" && ev.Reason == "UntrustedIssuer" && ev.Source.Component == "nats-auth-resolver" {
				return true
			}
		}
		return false
	})
	consistently(t, ctx, "the other operator's account has no Pushed condition", 2*time.Second, func() bool {
		return meta.FindStatusCondition(e.account("foreign").Status.Conditions, natsv1alpha1.ConditionPushed) == nil
	})
	if code, body := suite.HTTPGet(r.ReadyzURL); code != 503 || !strings.Contains(body, "not connected to NATS") {
		t.Errorf("/readyz without NATS: %d %q", code, body)
	}
}

// TestResolverLeavesMemoryResolversAlone: servers of an operator with the memory resolver take
// accounts from the preloads in auth.conf only, so the resolver pushes nothing and says so.
func TestResolverLeavesMemoryResolversAlone(t *testing.T) {
	ctx := suite.Context(t)
	ns := controlPlane.NewNamespace(t)
	client := suite.NatsClient(t).NatsauthV1alpha1()
	signing, _ := natsjwt.NewKey(natsjwt.KindOperator)
	signingPub, _ := signing.PublicKey()
	op, err := client.NatsOperators(ns).Create(ctx, &natsv1alpha1.NatsOperator{ObjectMeta: metav1.ObjectMeta{Name: "main", Namespace: ns},
		Spec: natsv1alpha1.NatsOperatorSpec{Resolver: natsv1alpha1.ResolverSpec{Type: natsv1alpha1.ResolverMemory}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	op.Status.SigningKeys = []string{signingPub}
	if _, err := client.NatsOperators(ns).UpdateStatus(ctx, op, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	resolverHandAccount(t, ns, "app", "main", signing)
	suite.StartResolver(t, ns, "main", "nats://"+suite.FreeAddr(t), resolverThrowawayCreds(t))
	e := &resolverEnv{t: t, ctx: ctx, ns: ns}
	if msg := resolverPushedMessage(e.waitPushed("app", metav1.ConditionUnknown, "PushNotSupported", nil)); !strings.Contains(msg, "resolver_preload") {
		t.Errorf("PushNotSupported message %q", msg)
	}
}

// resolverHandAccount creates a NatsAccount of operator whose status carries a JWT signed by signer,
// as the controller would write it.
func resolverHandAccount(t *testing.T, ns, name, operator string, signer nkeys.KeyPair) {
	t.Helper()
	ctx := suite.Context(t)
	client := suite.NatsClient(t).NatsauthV1alpha1()
	acc, err := client.NatsAccounts(ns).Create(ctx, &natsv1alpha1.NatsAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: natsv1alpha1.NatsAccountSpec{OperatorRef: natsv1alpha1.LocalObjectReference{Name: operator}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	kp, _ := natsjwt.NewKey(natsjwt.KindAccount)
	pub, _ := kp.PublicKey()
	claims, err := natsjwt.AccountClaims(pub, natsjwt.AccountSpec{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	hash, _ := natsjwt.Hash(claims)
	token, _, err := natsjwt.Sign(claims, signer)
	if err != nil {
		t.Fatal(err)
	}
	acc.Status = natsv1alpha1.NatsAccountStatus{PublicKey: pub, JWT: token, ClaimsHash: hash}
	if _, err := client.NatsAccounts(ns).UpdateStatus(ctx, acc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// resolverThrowawayCreds writes the creds file of a user nobody trusts: the resolver under test never
// reaches a server, it only needs a readable file.
func resolverThrowawayCreds(t *testing.T) string {
	t.Helper()
	account, _ := natsjwt.NewKey(natsjwt.KindAccount)
	accountPub, _ := account.PublicKey()
	user, _ := natsjwt.NewKey(natsjwt.KindUser)
	userPub, _ := user.PublicKey()
	seed, _ := user.Seed()
	claims, err := natsjwt.UserClaims(userPub, natsjwt.UserSpec{Name: "throwaway", IssuerAccount: accountPub})
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := natsjwt.Sign(claims, account)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := natsjwt.FormatCreds(token, seed)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "throwaway.creds")
	if err := os.WriteFile(path, creds, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
