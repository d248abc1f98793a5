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
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/test/testbed"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// nscSetup is an operator, its system account SYS, an account APP and a user of APP made
// exactly as nsc makes them (nsc add operator --sys, nsc edit operator --sk generate, nsc add
// account, nsc edit account --sk generate, nsc add user -K <signing key>), with jwt/v2 and
// nkeys, the library nsc itself uses: the operator JWT is self-signed by the identity and lists
// the signing key; account JWTs are signed by the operator signing key and list their own
// signing key; the user JWT is signed by the account signing key with issuer_account set.
type nscSetup struct {
	operator, operatorSigning nkeys.KeyPair
	operatorJWT               string
	sys, sysSigning           nkeys.KeyPair
	account, accountSigning   nkeys.KeyPair
	userCreds                 []byte
}

func newNscSetup(t *testing.T) *nscSetup {
	t.Helper()
	mk := func(create func() (nkeys.KeyPair, error)) nkeys.KeyPair {
		kp, err := create()
		if err != nil {
			t.Fatal(err)
		}
		return kp
	}
	s := &nscSetup{
		operator: mk(nkeys.CreateOperator), operatorSigning: mk(nkeys.CreateOperator),
		sys: mk(nkeys.CreateAccount), sysSigning: mk(nkeys.CreateAccount),
		account: mk(nkeys.CreateAccount), accountSigning: mk(nkeys.CreateAccount),
	}
	oc := jwt.NewOperatorClaims(publicKey(t, s.operator))
	oc.Name = "nsc-operator"
	oc.SigningKeys.Add(publicKey(t, s.operatorSigning))
	oc.SystemAccount = publicKey(t, s.sys)
	var err error
	if s.operatorJWT, err = oc.Encode(s.operator); err != nil {
		t.Fatal(err)
	}
	user := mk(nkeys.CreateUser)
	uc := jwt.NewUserClaims(publicKey(t, user))
	uc.Name = "nsc-user"
	uc.IssuerAccount = publicKey(t, s.account)
	token, err := uc.Encode(s.accountSigning)
	if err != nil {
		t.Fatal(err)
	}
	if s.userCreds, err = jwt.FormatUserConfig(token, seed(t, user)); err != nil {
		t.Fatal(err)
	}
	return s
}

// accountSecret is what `kubectl create secret generic --from-file` makes of an nsc account's
// two keys: account.nk and signing-default.nk.
func accountSecretData(t *testing.T, identity, signing nkeys.KeyPair) map[string][]byte {
	return map[string][]byte{naming.AccountIdentitySeed: seed(t, identity),
		naming.AccountSigningSeed(naming.DefaultSigningKey): seed(t, signing)}
}

// createUserSecret creates a Secret as a user would (no labels of ours) and returns its
// resourceVersion.
func createUserSecret(t *testing.T, ctx context.Context, ns, name string, data map[string][]byte) string {
	t.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Data: data}
	got, err := controlPlane.KubeClient().CoreV1().Secrets(ns).Create(ctx, s, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create Secret %s: %v", name, err)
	}
	return got.ResourceVersion
}

// expectSecretVersion fails when the Secret was written since it had resourceVersion rv.
func expectSecretVersion(t *testing.T, ctx context.Context, ns, name, rv string) {
	t.Helper()
	s, err := controlPlane.KubeClient().CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get Secret %s: %v", name, err)
	}
	if s.ResourceVersion != rv || len(s.OwnerReferences) != 0 || len(s.Labels) != 0 {
		t.Fatalf("user-provided Secret %s was modified: resourceVersion %s -> %s, owners %v, labels %v", name, rv, s.ResourceVersion, s.OwnerReferences, s.Labels)
	}
}

// expectNoSecretNamed fails when a Secret of that name exists (nothing may be generated).
func expectNoSecretNamed(t *testing.T, ctx context.Context, ns, name string) {
	t.Helper()
	_, err := controlPlane.KubeClient().CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
	if !apierrors.IsNotFound(err) {
		t.Fatalf("Secret %s exists (err %v): keys were generated for an adopted object", name, err)
	}
}

// createMemoryOperator creates a NatsOperator with the memory resolver (every account is in
// auth.conf, so a nats-server started from it needs no resolver binary).
func createMemoryOperator(t *testing.T, ctx context.Context, ns, name string, mut func(*natsv1alpha1.NatsOperatorSpec)) {
	t.Helper()
	op := &natsv1alpha1.NatsOperator{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: natsv1alpha1.NatsOperatorSpec{Resolver: natsv1alpha1.ResolverSpec{Type: natsv1alpha1.ResolverMemory}}}
	mut(&op.Spec)
	if _, err := suite.NatsClient(t).NatsauthV1alpha1().NatsOperators(ns).Create(ctx, op, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create operator %s: %v", name, err)
	}
}

// waitPreloaded waits until auth.conf preloads account pub and returns auth.conf.
func waitPreloaded(t *testing.T, ctx context.Context, ns, op, pub string) string {
	t.Helper()
	var auth string
	suite.WaitFor(t, ctx, "auth.conf preloads "+pub, func() bool {
		s, err := controlPlane.KubeClient().CoreV1().Secrets(ns).Get(ctx, naming.ServerConfigSecret(op), metav1.GetOptions{})
		auth = ""
		if err == nil {
			auth = string(s.Data[naming.AuthConf])
		}
		return strings.Contains(auth, "  "+pub+": ")
	})
	return auth
}

// expectSameAccountTraffic connects both creds to the server and sees a message from the first
// reach the second: both are users of the same account there.
func expectSameAccountTraffic(t *testing.T, url string, a, b []byte) {
	t.Helper()
	pub, err := testbed.ConnectCreds(url, a)
	if err != nil {
		t.Fatalf("connect with the first creds: %v", err)
	}
	defer pub.Close()
	sub, err := testbed.ConnectCreds(url, b)
	if err != nil {
		t.Fatalf("connect with the second creds: %v", err)
	}
	defer sub.Close()
	ch := make(chan *nats.Msg, 1)
	s, err := sub.ChanSubscribe("adopt.ping", ch)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Unsubscribe() }()
	if err := sub.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish("adopt.ping", []byte("hi")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("no message between the two users: they are not in the same account")
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// touchAccount changes an annotation of the account, which re-queues it.
func touchAccount(t *testing.T, ctx context.Context, ns, name string) {
	t.Helper()
	patch := []byte(`{"metadata":{"annotations":{"test.natsauth.io/touch":"` + time.Now().Format(time.RFC3339Nano) + `"}}}`)
	if _, err := suite.NatsClient(t).NatsauthV1alpha1().NatsAccounts(ns).Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatalf("touch account: %v", err)
	}
}
