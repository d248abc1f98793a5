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

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/natsjwt"
	"github.com/natsauth/nats-auth-operator/test/testbed"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// externalSpec points an operator at the nsc operator JWT and signing key Secrets, with the nsc
// system account's keys.
func externalSpec(jwtSecret, signingSecret, sysSecret string) func(*natsv1alpha1.NatsOperatorSpec) {
	return func(s *natsv1alpha1.NatsOperatorSpec) {
		s.External = &natsv1alpha1.ExternalOperator{
			OperatorJWTRef:      natsv1alpha1.OperatorJWTReference{Name: jwtSecret},
			SigningKeySecretRef: natsv1alpha1.KeysSecretReference{Name: signingSecret},
		}
		if sysSecret != "" {
			s.SystemAccountKeysSecretRef = &natsv1alpha1.KeysSecretReference{Name: sysSecret}
		}
	}
}

// TestAdoptExternalOperator runs an nsc operator whose identity key never enters the cluster:
// only its JWT and a signing key are provided. No operator key is generated and no operator JWT
// signed; the rendered server config carries the nsc operator JWT byte for byte; accounts are
// signed by the provided signing key; a NatsUser's and the nsc user's creds both connect.
func TestAdoptExternalOperator(t *testing.T) {
	suite.StartControllers(t)
	ns := controlPlane.NewNamespace(t)
	ctx := suite.Context(t)
	nsc := newNscSetup(t)
	rv := map[string]string{
		"nsc-operator-jwt": createUserSecret(t, ctx, ns, "nsc-operator-jwt", map[string][]byte{naming.OperatorJWT: []byte(nsc.operatorJWT + "\n")}),
		"nsc-signing":      createUserSecret(t, ctx, ns, "nsc-signing", map[string][]byte{naming.OperatorSigningSeed: seed(t, nsc.operatorSigning)}),
		"nsc-sys":          createUserSecret(t, ctx, ns, "nsc-sys", accountSecretData(t, nsc.sys, nsc.sysSigning)),
		"nsc-app":          createUserSecret(t, ctx, ns, "nsc-app", accountSecretData(t, nsc.account, nsc.accountSigning)),
	}
	createMemoryOperator(t, ctx, ns, "main", externalSpec("nsc-operator-jwt", "nsc-signing", "nsc-sys"))
	op := suite.WaitOperatorReady(t, ns, "main")
	if op.Status.PublicKey != publicKey(t, nsc.operator) || op.Status.JWT != nsc.operatorJWT || op.Status.SystemAccount != publicKey(t, nsc.sys) {
		t.Fatalf("operator status names %s, system account %s and another JWT: want the nsc operator %s and SYS %s",
			op.Status.PublicKey, op.Status.SystemAccount, publicKey(t, nsc.operator), publicKey(t, nsc.sys))
	}
	app := createAccount(t, ctx, &natsv1alpha1.NatsAccount{ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: ns},
		Spec: natsv1alpha1.NatsAccountSpec{OperatorRef: natsv1alpha1.LocalObjectReference{Name: "main"},
			KeysSecretRef: &natsv1alpha1.KeysSecretReference{Name: "nsc-app"}}})
	app = waitAccountReady(t, ctx, ns, app.Name)
	expectNscAccount(t, app, nsc)

	auth := waitPreloaded(t, ctx, ns, "main", app.Status.PublicKey)
	cfg := suite.GetSecret(t, ns, naming.ServerConfigSecret("main"))
	if string(cfg.Data[naming.OperatorJWT]) != nsc.operatorJWT || !strings.Contains(auth, "\noperator: \""+nsc.operatorJWT+"\"\n") {
		t.Fatalf("the server config does not carry the provided operator JWT unchanged:\n%s", auth)
	}
	server := testbed.StartNatsServer(t, testbed.NatsOptions{ConfigText: auth})
	createReadyUser(t, ctx, ns, "k8s-user", "app")
	creds := suite.GetSecret(t, ns, "k8s-user").Data[naming.UserCreds]
	expectSameAccountTraffic(t, server.ClientURL(), creds, nsc.userCreds)

	for _, name := range []string{naming.OperatorKeysSecret("main"), naming.AccountKeysSecret(naming.SystemAccount("main")), naming.AccountKeysSecret("app")} {
		expectNoSecretNamed(t, ctx, ns, name)
	}
	for name, v := range rv {
		expectSecretVersion(t, ctx, ns, name, v)
	}
}

// TestAdoptExternalOperatorInvalid proves the external mode's checks: a signing key the
// operator JWT does not list, something that is not an operator JWT, and a system account that
// is not the one the JWT names each leave the operator Ready=False with a Warning event, and no
// key is generated.
func TestAdoptExternalOperatorInvalid(t *testing.T) {
	suite.StartControllers(t)
	ns := controlPlane.NewNamespace(t)
	ctx := suite.Context(t)
	nsc := newNscSetup(t)
	createUserSecret(t, ctx, ns, "jwt", map[string][]byte{naming.OperatorJWT: []byte(nsc.operatorJWT)})
	createUserSecret(t, ctx, ns, "not-a-jwt", map[string][]byte{naming.OperatorJWT: []byte("eyJub3QiOiJhIGp3dCJ9")})
	createUserSecret(t, ctx, ns, "signing", map[string][]byte{naming.OperatorSigningSeed: seed(t, nsc.operatorSigning)})
	createUserSecret(t, ctx, ns, "foreign-signing", map[string][]byte{naming.OperatorSigningSeed: newSeed(t, natsjwt.KindOperator)})
	cases := []struct{ name, jwtSecret, signing, reason string }{
		{"untrusted-signing", "jwt", "foreign-signing", "KeysInvalid"},
		{"bad-jwt", "not-a-jwt", "signing", "OperatorJWTInvalid"},
		{"no-jwt", "absent", "signing", "OperatorJWTMissing"},
		// The JWT names the nsc SYS, but no keys were provided for it: a new system account
		// would not be the one the servers use.
		{"no-sys-keys", "jwt", "signing", "SystemAccountMismatch"},
	}
	for _, tc := range cases {
		createMemoryOperator(t, ctx, ns, tc.name, externalSpec(tc.jwtSecret, tc.signing, ""))
	}
	for _, tc := range cases {
		waitOperatorReason(t, ns, tc.name, tc.reason)
		expectNoSecretNamed(t, ctx, ns, naming.OperatorKeysSecret(tc.name))
		expectNoSecretNamed(t, ctx, ns, naming.AccountKeysSecret(naming.SystemAccount(tc.name)))
	}

	// Keys of another account than the JWT's system account: refused once that account is issued.
	createUserSecret(t, ctx, ns, "other-sys", accountSecretData(t, newKey(t, natsjwt.KindAccount), newKey(t, natsjwt.KindAccount)))
	createMemoryOperator(t, ctx, ns, "wrong-sys", externalSpec("jwt", "signing", "other-sys"))
	waitOperatorReason(t, ns, "wrong-sys", "SystemAccountMismatch")
}

// TestAdoptValidation proves the API rules of the adoption fields: external excludes
// keysSecretRef and the JWT-shaping fields, and no object gains or loses provided keys later.
func TestAdoptValidation(t *testing.T) {
	ns := controlPlane.NewNamespace(t)
	ctx := suite.Context(t)
	ops := suite.NatsClient(t).NatsauthV1alpha1().NatsOperators(ns)
	ext := externalSpec("jwt", "signing", "")
	for name, mut := range map[string]func(*natsv1alpha1.NatsOperatorSpec){
		"with-keys": func(s *natsv1alpha1.NatsOperatorSpec) {
			ext(s)
			s.KeysSecretRef = &natsv1alpha1.KeysSecretReference{Name: "k"}
		},
		"with-tags": func(s *natsv1alpha1.NatsOperatorSpec) { ext(s); s.Tags = []natsv1alpha1.Tag{"a"} },
	} {
		op := &natsv1alpha1.NatsOperator{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
		mut(&op.Spec)
		if _, err := ops.Create(ctx, op, metav1.CreateOptions{}); err == nil {
			t.Errorf("%s: an external operator with %s was accepted", name, name)
		}
	}
	accs := suite.NatsClient(t).NatsauthV1alpha1().NatsAccounts(ns)
	acc, err := accs.Create(ctx, &natsv1alpha1.NatsAccount{ObjectMeta: metav1.ObjectMeta{Name: "plain", Namespace: ns},
		Spec: natsv1alpha1.NatsAccountSpec{OperatorRef: natsv1alpha1.LocalObjectReference{Name: "main"}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	acc.Spec.KeysSecretRef = &natsv1alpha1.KeysSecretReference{Name: "nsc"}
	if _, err := accs.Update(ctx, acc, metav1.UpdateOptions{}); err == nil || !strings.Contains(err.Error(), "never added or removed") {
		t.Errorf("adding keysSecretRef to an account: %v, want refused", err)
	}
	op := &natsv1alpha1.NatsOperator{ObjectMeta: metav1.ObjectMeta{Name: "adopted", Namespace: ns},
		Spec: natsv1alpha1.NatsOperatorSpec{KeysSecretRef: &natsv1alpha1.KeysSecretReference{Name: "nsc"}}}
	if op, err = ops.Create(ctx, op, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	op.Spec.KeysSecretRef = nil
	if _, err := ops.Update(ctx, op, metav1.UpdateOptions{}); err == nil || !strings.Contains(err.Error(), "never added or removed") {
		t.Errorf("removing keysSecretRef from an operator: %v, want refused", err)
	}
}
