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
	"slices"
	"testing"

	"github.com/nats-io/jwt/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/natsjwt"
	"github.com/natsauth/nats-auth-operator/test/testbed"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestAdoptKeysSecret moves an nsc setup into the cluster without re-keying: the operator, its
// system account and an account take their keys from Secrets the user made from the nsc store.
// The public keys stay the nsc ones, nothing is generated, the user's Secrets are never written,
// and both a NatsUser's creds and the creds nsc issued connect to a nats-server run from the
// rendered auth.conf, as users of the same account.
func TestAdoptKeysSecret(t *testing.T) {
	suite.StartControllers(t)
	ns := controlPlane.NewNamespace(t)
	ctx := suite.Context(t)
	nsc := newNscSetup(t)
	rv := map[string]string{
		"nsc-operator": createUserSecret(t, ctx, ns, "nsc-operator", map[string][]byte{
			naming.OperatorIdentitySeed: seed(t, nsc.operator), naming.OperatorSigningSeed: seed(t, nsc.operatorSigning)}),
		"nsc-sys": createUserSecret(t, ctx, ns, "nsc-sys", accountSecretData(t, nsc.sys, nsc.sysSigning)),
		"nsc-app": createUserSecret(t, ctx, ns, "nsc-app", accountSecretData(t, nsc.account, nsc.accountSigning)),
	}
	createMemoryOperator(t, ctx, ns, "main", func(s *natsv1alpha1.NatsOperatorSpec) {
		s.KeysSecretRef = &natsv1alpha1.KeysSecretReference{Name: "nsc-operator"}
		s.SystemAccountKeysSecretRef = &natsv1alpha1.KeysSecretReference{Name: "nsc-sys"}
		s.KeyDeletionPolicy = natsv1alpha1.KeyDeletionPolicyDelete // must not touch the user's Secret
	})
	op := suite.WaitOperatorReady(t, ns, "main")
	if op.Status.PublicKey != publicKey(t, nsc.operator) || !slices.Contains(op.Status.SigningKeys, publicKey(t, nsc.operatorSigning)) {
		t.Fatalf("operator status %s %v, want the nsc operator %s with signing key %s", op.Status.PublicKey, op.Status.SigningKeys,
			publicKey(t, nsc.operator), publicKey(t, nsc.operatorSigning))
	}
	if op.Status.SystemAccount != publicKey(t, nsc.sys) {
		t.Fatalf("system account %s, want the nsc SYS %s", op.Status.SystemAccount, publicKey(t, nsc.sys))
	}
	app := createAccount(t, ctx, &natsv1alpha1.NatsAccount{ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: ns},
		Spec: natsv1alpha1.NatsAccountSpec{OperatorRef: natsv1alpha1.LocalObjectReference{Name: "main"},
			KeysSecretRef: &natsv1alpha1.KeysSecretReference{Name: "nsc-app"}, KeyDeletionPolicy: natsv1alpha1.KeyDeletionPolicyDelete,
			Exports: []natsv1alpha1.Export{{Name: "api", Subject: "app.api", Type: natsv1alpha1.ExportService, TokenRequired: true}}}})
	app = waitAccountReady(t, ctx, ns, app.Name)
	expectNscAccount(t, app, nsc)
	expectActivationBy(t, ctx, ns, publicKey(t, nsc.accountSigning))

	auth := waitPreloaded(t, ctx, ns, "main", app.Status.PublicKey)
	server := testbed.StartNatsServer(t, testbed.NatsOptions{ConfigText: auth})
	createReadyUser(t, ctx, ns, "k8s-user", "app")
	creds := suite.GetSecret(t, ns, "k8s-user").Data[naming.UserCreds]
	expectSameAccountTraffic(t, server.ClientURL(), creds, nsc.userCreds)
	expectSameAccountTraffic(t, server.ClientURL(), nsc.userCreds, creds)

	for _, name := range []string{naming.OperatorKeysSecret("main"), naming.AccountKeysSecret(naming.SystemAccount("main")), naming.AccountKeysSecret("app")} {
		expectNoSecretNamed(t, ctx, ns, name)
	}
	for name, v := range rv {
		expectSecretVersion(t, ctx, ns, name, v)
	}

	// The Secret later holds another identity: refused, never re-signed with it.
	sec := suite.GetSecret(t, ns, "nsc-app")
	sec.Data = accountSecretData(t, newKey(t, natsjwt.KindAccount), nsc.accountSigning)
	if _, err := controlPlane.KubeClient().CoreV1().Secrets(ns).Update(ctx, sec, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	touchAccount(t, ctx, ns, "app")
	if got := waitAccountCondition(t, ctx, ns, "app", metav1.ConditionFalse, "KeysMismatch"); got.Status.PublicKey != publicKey(t, nsc.account) {
		t.Fatalf("status.publicKey changed to %s", got.Status.PublicKey)
	}
	suite.WaitFor(t, ctx, "a KeysMismatch Warning event", func() bool { return warningEvents(t, ctx, ns, "app", "KeysMismatch") > 0 })

	// keyDeletionPolicy Delete does not reach the user's Secret.
	rv["nsc-app"] = suite.GetSecret(t, ns, "nsc-app").ResourceVersion
	deleteAccountAndWaitGone(t, ctx, ns, "app")
	expectSecretVersion(t, ctx, ns, "nsc-app", rv["nsc-app"])
}

// expectNscAccount checks that the account kept its nsc identity and that its JWT, signed by
// the nsc operator's signing key, trusts the nsc signing key that issued the nsc user.
func expectNscAccount(t *testing.T, acc *natsv1alpha1.NatsAccount, nsc *nscSetup) {
	t.Helper()
	if acc.Status.PublicKey != publicKey(t, nsc.account) {
		t.Fatalf("account public key %s, want the nsc one %s", acc.Status.PublicKey, publicKey(t, nsc.account))
	}
	claims, err := jwt.DecodeAccountClaims(acc.Status.JWT)
	if err != nil {
		t.Fatal(err)
	}
	if claims.Issuer != publicKey(t, nsc.operatorSigning) || !claims.SigningKeys.Contains(publicKey(t, nsc.accountSigning)) {
		t.Fatalf("account JWT issued by %s with signing keys %v; want issuer %s and signing key %s", claims.Issuer,
			claims.SigningKeys.Keys(), publicKey(t, nsc.operatorSigning), publicKey(t, nsc.accountSigning))
	}
}

// expectActivationBy creates an account importing app's private service and checks that its
// activation token was signed by the adopted account's signing key.
func expectActivationBy(t *testing.T, ctx context.Context, ns, signer string) {
	t.Helper()
	consumer := createAccount(t, ctx, &natsv1alpha1.NatsAccount{ObjectMeta: metav1.ObjectMeta{Name: "consumer", Namespace: ns},
		Spec: natsv1alpha1.NatsAccountSpec{OperatorRef: natsv1alpha1.LocalObjectReference{Name: "main"},
			Imports: []natsv1alpha1.Import{{Name: "api", Subject: "app.api", Type: natsv1alpha1.ExportService,
				AccountRef: &natsv1alpha1.NatsAccountReference{Name: "app"}}}}})
	claims := decodeAccount(t, waitAccountReady(t, ctx, ns, consumer.Name))
	if len(claims.Imports) != 1 || claims.Imports[0].Token == "" {
		t.Fatalf("imports %+v, want one with an activation token", claims.Imports)
	}
	act, err := jwt.DecodeActivationClaims(claims.Imports[0].Token)
	if err != nil || act.Issuer != signer {
		t.Fatalf("activation token issued by %v (%v), want the adopted signing key %s", act, err, signer)
	}
}

// TestAdoptInvalidKeysSecret proves that a provided Secret that is missing, holds a seed of the
// wrong kind or lacks a seed leaves the object Ready=False with an actionable reason and a
// Warning event, and that nothing is generated or written in its place.
func TestAdoptInvalidKeysSecret(t *testing.T) {
	suite.StartControllers(t)
	ns := controlPlane.NewNamespace(t)
	ctx := suite.Context(t)
	suite.CreateOperator(t, ns, "main", nil)
	cases := []struct {
		name, reason string
		data         map[string][]byte // nil: no Secret
	}{
		{name: "missing", reason: "KeysMissing"},
		{name: "wrong-kind", reason: "KeysInvalid", data: map[string][]byte{
			naming.AccountIdentitySeed: newSeed(t, natsjwt.KindOperator), naming.AccountSigningSeed(naming.DefaultSigningKey): newSeed(t, natsjwt.KindAccount)}},
		{name: "no-signing", reason: "KeysInvalid", data: map[string][]byte{naming.AccountIdentitySeed: newSeed(t, natsjwt.KindAccount)}},
		{name: "garbage", reason: "KeysInvalid", data: map[string][]byte{
			naming.AccountIdentitySeed: []byte("SAnotaseed"), naming.AccountSigningSeed(naming.DefaultSigningKey): newSeed(t, natsjwt.KindAccount)}},
	}
	rv := map[string]string{}
	for _, tc := range cases {
		if tc.data != nil {
			rv["keys-"+tc.name] = createUserSecret(t, ctx, ns, "keys-"+tc.name, tc.data)
		}
		createAccount(t, ctx, &natsv1alpha1.NatsAccount{ObjectMeta: metav1.ObjectMeta{Name: tc.name, Namespace: ns},
			Spec: natsv1alpha1.NatsAccountSpec{OperatorRef: natsv1alpha1.LocalObjectReference{Name: "main"},
				KeysSecretRef: &natsv1alpha1.KeysSecretReference{Name: "keys-" + tc.name}}})
	}
	for _, tc := range cases {
		acc := waitAccountCondition(t, ctx, ns, tc.name, metav1.ConditionFalse, tc.reason)
		if msg := readyMessage(acc); !containsAll(msg, "keys-"+tc.name, "spec.keysSecretRef") {
			t.Errorf("%s: message %q does not name the Secret and the field", tc.name, msg)
		}
		suite.WaitFor(t, ctx, "a Warning event for "+tc.name, func() bool { return warningEvents(t, ctx, ns, tc.name, tc.reason) > 0 })
		if acc.Status.PublicKey != "" || acc.Status.JWT != "" {
			t.Errorf("%s: status names %q and a JWT of %d bytes from invalid keys", tc.name, acc.Status.PublicKey, len(acc.Status.JWT))
		}
		expectNoSecretNamed(t, ctx, ns, naming.AccountKeysSecret(tc.name))
	}
	for name, v := range rv {
		expectSecretVersion(t, ctx, ns, name, v)
	}

	// Whoever may create a NatsAccount cannot borrow an identity through keysSecretRef: neither
	// from a key Secret of ours (here the system account's) nor from another account's Secret.
	sysKeys := naming.AccountKeysSecret(naming.SystemAccount("main"))
	borrow := func(name, secret string) {
		createAccount(t, ctx, &natsv1alpha1.NatsAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: natsv1alpha1.NatsAccountSpec{OperatorRef: natsv1alpha1.LocalObjectReference{Name: "main"},
				KeysSecretRef: &natsv1alpha1.KeysSecretReference{Name: secret}}})
	}
	sysRV := suite.GetSecret(t, ns, sysKeys).ResourceVersion
	borrow("borrows-system", sysKeys)
	waitAccountCondition(t, ctx, ns, "borrows-system", metav1.ConditionFalse, "SecretConflict")
	if got := suite.GetSecret(t, ns, sysKeys).ResourceVersion; got != sysRV {
		t.Fatalf("the system account's key Secret was written: %s -> %s", sysRV, got)
	}
	createUserSecret(t, ctx, ns, "shared", accountSecretData(t, newKey(t, natsjwt.KindAccount), newKey(t, natsjwt.KindAccount)))
	borrow("first", "shared")
	waitAccountReady(t, ctx, ns, "first")
	borrow("second", "shared")
	if acc := waitAccountCondition(t, ctx, ns, "second", metav1.ConditionFalse, "KeysInUse"); acc.Status.PublicKey != "" {
		t.Fatalf("second took the identity %s of first", acc.Status.PublicKey)
	}

	// An operator whose provided identity is an account seed: the same, for operators.
	v := createUserSecret(t, ctx, ns, "op-keys", map[string][]byte{
		naming.OperatorIdentitySeed: newSeed(t, natsjwt.KindAccount), naming.OperatorSigningSeed: newSeed(t, natsjwt.KindOperator)})
	createMemoryOperator(t, ctx, ns, "adopted", func(s *natsv1alpha1.NatsOperatorSpec) {
		s.KeysSecretRef = &natsv1alpha1.KeysSecretReference{Name: "op-keys"}
	})
	waitOperatorReason(t, ns, "adopted", "KeysInvalid")
	expectNoSecretNamed(t, ctx, ns, naming.OperatorKeysSecret("adopted"))
	expectSecretVersion(t, ctx, ns, "op-keys", v)
}
