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
	"github.com/nats-io/nkeys"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	natsclientset "github.com/natsauth/nats-auth-operator/generated/clientset/versioned"
	"github.com/natsauth/nats-auth-operator/natsjwt"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// userEnv bundles what the NatsUser tests use: clients and a deadline per test.
type userEnv struct {
	t    *testing.T
	ctx  context.Context
	nats natsclientset.Interface
	kube kubernetes.Interface
}

func newUserEnv(t *testing.T) *userEnv {
	t.Helper()
	return &userEnv{t: t, ctx: suite.Context(t), nats: suite.NatsClient(t), kube: controlPlane.KubeClient()}
}

// handAccount is a NatsAccount whose key Secret and status the test writes itself, standing in
// for the operator and account controllers: prepareAccount gives each test exactly the account
// state it needs (not issued yet, no keys yet, a revocation at a chosen time). realAccount
// returns the same description for an account issued by the real operator and account
// controllers, for the tests of the whole chain.
//
// A hand-made account names an operator that does not exist (or one that cannot get keys, see
// parkedOperator), so the account controller only records OperatorNotFound (or waits) in the
// account's conditions and leaves the status fields written here alone.
type handAccount struct {
	ns, name string
	identity nkeys.KeyPair
	pub      string
	signing  map[string]nkeys.KeyPair // "default" and every spec.signingKeys name
	operator nkeys.KeyPair            // signs status.jwt; nil for a real account
}

// accountSetup says how much of an account prepareAccount fills in.
type accountSetup struct {
	noKeys   bool // no key Secret yet (writeKeys later)
	unissued bool // no status yet (publish later)
	// parkedOperator creates the NatsOperator, so a deleted user waits for its revocation, but
	// puts a foreign Secret where its keys would go: the operator controller refuses to take it
	// over and the account controller waits for the keys, so neither touches this account.
	parkedOperator bool
}

// prepareAccount creates a NatsAccount "name" in ns with spec (operatorRef defaults to "main"),
// its key Secret and an issued status, as the account controller would.
func (e *userEnv) prepareAccount(ns, name string, spec natsv1alpha1.NatsAccountSpec, setup accountSetup) *handAccount {
	e.t.Helper()
	if spec.OperatorRef.Name == "" {
		spec.OperatorRef.Name = "main"
	}
	if setup.parkedOperator {
		e.parkOperator(ns, spec.OperatorRef.Name)
	}
	acc := &natsv1alpha1.NatsAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: spec}
	if _, err := e.nats.NatsauthV1alpha1().NatsAccounts(ns).Create(e.ctx, acc, metav1.CreateOptions{}); err != nil {
		e.t.Fatalf("create account %s/%s: %v", ns, name, err)
	}
	a := &handAccount{ns: ns, name: name, identity: newKey(e.t, natsjwt.KindAccount), operator: newKey(e.t, natsjwt.KindOperator),
		signing: map[string]nkeys.KeyPair{"default": newKey(e.t, natsjwt.KindAccount)}}
	a.pub = publicKey(e.t, a.identity)
	for _, sk := range spec.SigningKeys {
		a.signing[sk.Name] = newKey(e.t, natsjwt.KindAccount)
	}
	if !setup.noKeys {
		a.writeKeys(e)
	}
	if !setup.unissued {
		a.publish(e, nil)
	}
	return a
}

// writeKeys creates the account key Secret the way controllerutil.KeyStore does.
func (a *handAccount) writeKeys(e *userEnv) {
	e.t.Helper()
	data := map[string][]byte{naming.AccountIdentitySeed: seed(e.t, a.identity)}
	for name, kp := range a.signing {
		data[naming.AccountSigningSeed(name)] = seed(e.t, kp)
	}
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: naming.AccountKeysSecret(a.name), Namespace: a.ns, Labels: map[string]string{
			naming.LabelManagedBy: naming.ManagedByValue, naming.LabelSecretType: naming.SecretTypeKeys,
			naming.LabelAccount: a.name,
		}},
		Type: corev1.SecretTypeOpaque, Data: data,
	}
	if _, err := e.kube.CoreV1().Secrets(a.ns).Create(e.ctx, s, metav1.CreateOptions{}); err != nil {
		e.t.Fatalf("create account key Secret: %v", err)
	}
}

// publish writes the account's status: its identity, signing keys and a JWT signed by the
// operator key that carries revocations.
func (a *handAccount) publish(e *userEnv, revocations map[string]int64) {
	e.t.Helper()
	claims, err := natsjwt.AccountClaims(a.pub, natsjwt.AccountSpec{Name: a.name, Revocations: revocations})
	if err != nil {
		e.t.Fatalf("account claims: %v", err)
	}
	token, _, err := natsjwt.Sign(claims, a.operator)
	if err != nil {
		e.t.Fatalf("sign account: %v", err)
	}
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		acc, err := e.nats.NatsauthV1alpha1().NatsAccounts(a.ns).Get(e.ctx, a.name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		acc.Status.PublicKey, acc.Status.JWT = a.pub, token
		acc.Status.OperatorPublicKey = publicKey(e.t, a.operator)
		acc.Status.SigningKeys = nil
		for name, kp := range a.signing {
			acc.Status.SigningKeys = append(acc.Status.SigningKeys, natsv1alpha1.SigningKeyStatus{Name: name, PublicKey: publicKey(e.t, kp)})
		}
		_, err = e.nats.NatsauthV1alpha1().NatsAccounts(a.ns).UpdateStatus(e.ctx, acc, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		e.t.Fatalf("publish account %s/%s: %v", a.ns, a.name, err)
	}
}

// revoke does what the account controller does for a deleted user: it re-signs the account JWT
// revoking userPub up to upTo.
func (a *handAccount) revoke(e *userEnv, userPub string, upTo int64) {
	e.t.Helper()
	a.publish(e, natsjwt.RevokeUpTo(nil, userPub, upTo))
}

// parkOperator creates NatsOperator name behind a foreign Secret of its key Secret's name.
func (e *userEnv) parkOperator(ns, name string) {
	e.t.Helper()
	foreign := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: naming.OperatorKeysSecret(name), Namespace: ns},
		StringData: map[string]string{"note": "not the operator's keys"}}
	if _, err := e.kube.CoreV1().Secrets(ns).Create(e.ctx, foreign, metav1.CreateOptions{}); err != nil {
		e.t.Fatalf("create foreign operator key Secret: %v", err)
	}
	op := &natsv1alpha1.NatsOperator{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
	if _, err := e.nats.NatsauthV1alpha1().NatsOperators(ns).Create(e.ctx, op, metav1.CreateOptions{}); err != nil {
		e.t.Fatalf("create operator: %v", err)
	}
}

// realAccount lets the operator and account controllers issue operator "main" and account name
// in ns, and returns the account's keys as read from its key Secret.
func (e *userEnv) realAccount(ns, name string, spec natsv1alpha1.NatsAccountSpec) *handAccount {
	e.t.Helper()
	suite.CreateOperator(e.t, ns, "main", nil)
	spec.OperatorRef.Name = "main"
	acc := &natsv1alpha1.NatsAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: spec}
	if _, err := e.nats.NatsauthV1alpha1().NatsAccounts(ns).Create(e.ctx, acc, metav1.CreateOptions{}); err != nil {
		e.t.Fatalf("create account %s/%s: %v", ns, name, err)
	}
	suite.WaitFor(e.t, e.ctx, "NatsAccount "+name+" is Ready", func() bool {
		got, err := e.nats.NatsauthV1alpha1().NatsAccounts(ns).Get(e.ctx, name, metav1.GetOptions{})
		if err != nil {
			return false
		}
		acc = got
		c := meta.FindStatusCondition(got.Status.Conditions, natsv1alpha1.ConditionReady)
		return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == got.Generation
	})
	keys := e.mustSecret(ns, naming.AccountKeysSecret(name))
	a := &handAccount{ns: ns, name: name, pub: acc.Status.PublicKey, signing: map[string]nkeys.KeyPair{}}
	a.identity = parseSeed(e.t, keys.Data[naming.AccountIdentitySeed])
	for k, v := range keys.Data {
		if sk, ok := naming.SigningKeyOfSeed(k); ok {
			a.signing[sk] = parseSeed(e.t, v)
		}
	}
	if publicKey(e.t, a.identity) != a.pub {
		e.t.Fatalf("account.nk does not hold the account's public key %s", a.pub)
	}
	return a
}

func parseSeed(t *testing.T, s []byte) nkeys.KeyPair {
	t.Helper()
	kp, err := natsjwt.ParseSeed(s, natsjwt.KindAccount)
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

// accountJWT decodes the account's status.jwt.
func (e *userEnv) accountJWT(ns, name string) *jwt.AccountClaims {
	e.t.Helper()
	acc, err := e.nats.NatsauthV1alpha1().NatsAccounts(ns).Get(e.ctx, name, metav1.GetOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	claims, err := jwt.DecodeAccountClaims(acc.Status.JWT)
	if err != nil {
		e.t.Fatalf("account %s/%s status.jwt: %v", ns, name, err)
	}
	return claims
}

func newKey(t *testing.T, kind natsjwt.KeyKind) nkeys.KeyPair {
	t.Helper()
	kp, err := natsjwt.NewKey(kind)
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

func publicKey(t *testing.T, kp nkeys.KeyPair) string {
	t.Helper()
	pub, err := kp.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func seed(t *testing.T, kp nkeys.KeyPair) []byte {
	t.Helper()
	s, err := kp.Seed()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newUser returns a NatsUser of account acc (in the account's namespace unless set otherwise).
func newUser(ns, name string, acc natsv1alpha1.NatsAccountReference, mutate ...func(*natsv1alpha1.NatsUser)) *natsv1alpha1.NatsUser {
	u := &natsv1alpha1.NatsUser{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: natsv1alpha1.NatsUserSpec{AccountRef: acc}}
	for _, m := range mutate {
		m(u)
	}
	return u
}

func (a *handAccount) ref() natsv1alpha1.NatsAccountReference {
	return natsv1alpha1.NatsAccountReference{Name: a.name, Namespace: a.ns}
}

func (e *userEnv) createUser(u *natsv1alpha1.NatsUser) *natsv1alpha1.NatsUser {
	e.t.Helper()
	created, err := e.nats.NatsauthV1alpha1().NatsUsers(u.Namespace).Create(e.ctx, u, metav1.CreateOptions{})
	if err != nil {
		e.t.Fatalf("create user %s/%s: %v", u.Namespace, u.Name, err)
	}
	return created
}

func (e *userEnv) getUser(ns, name string) (*natsv1alpha1.NatsUser, error) {
	return e.nats.NatsauthV1alpha1().NatsUsers(ns).Get(e.ctx, name, metav1.GetOptions{})
}

// waitReason waits until the user's Ready condition has reason for the current generation.
func (e *userEnv) waitReason(ns, name, reason string) *natsv1alpha1.NatsUser {
	e.t.Helper()
	var got *natsv1alpha1.NatsUser
	suite.WaitFor(e.t, e.ctx, "NatsUser "+name+" has Ready reason "+reason, func() bool {
		u, err := e.getUser(ns, name)
		if err != nil {
			return false
		}
		c := meta.FindStatusCondition(u.Status.Conditions, natsv1alpha1.ConditionReady)
		got = u
		return c != nil && c.Reason == reason && u.Status.ObservedGeneration == u.Generation
	})
	return got
}

func (e *userEnv) waitReady(ns, name string) *natsv1alpha1.NatsUser {
	e.t.Helper()
	u := e.waitReason(ns, name, "Issued")
	if !meta.IsStatusConditionTrue(u.Status.Conditions, natsv1alpha1.ConditionReady) {
		e.t.Fatalf("NatsUser %s: Issued but not Ready: %+v", name, u.Status.Conditions)
	}
	return u
}

func (e *userEnv) secret(ns, name string) (*corev1.Secret, error) {
	return e.kube.CoreV1().Secrets(ns).Get(e.ctx, name, metav1.GetOptions{})
}

func (e *userEnv) mustSecret(ns, name string) *corev1.Secret {
	e.t.Helper()
	s, err := e.secret(ns, name)
	if err != nil {
		e.t.Fatalf("get Secret %s/%s: %v", ns, name, err)
	}
	return s
}

// warnings counts the Warning events of a NatsUser by reason (an aggregated event counts as
// its count).
func (e *userEnv) warnings(ns, name string) map[string]int32 {
	e.t.Helper()
	list, err := e.kube.CoreV1().Events(ns).List(e.ctx, metav1.ListOptions{})
	if err != nil {
		e.t.Fatalf("list events: %v", err)
	}
	out := map[string]int32{}
	for _, ev := range list.Items {
		if ev.InvolvedObject.Kind != "NatsUser" || ev.InvolvedObject.Name != name || ev.Type != corev1.EventTypeWarning {
			continue
		}
		out[ev.Reason] += max(ev.Count, 1)
	}
	return out
}

// consistently fails the test if cond turns false within d. It is how a test shows that
// something does not happen (a second event, a write), after triggering the syncs that would
// do it.
func (e *userEnv) consistently(d time.Duration, what string, cond func() bool) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, d)
	defer cancel()
	_ = wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(context.Context) (bool, error) {
		if !cond() {
			e.t.Fatalf("no longer true: %s", what)
		}
		return false, nil
	})
}

// touch sets an annotation on an object, which re-queues whoever watches it without changing
// anything a controller reads.
func (e *userEnv) touch(kind, ns, name string) {
	e.t.Helper()
	patch := []byte(`{"metadata":{"annotations":{"test.natsauth.io/touched":"` + time.Now().Format(time.RFC3339Nano) + `"}}}`)
	var err error
	switch kind {
	case "NatsAccount":
		_, err = e.nats.NatsauthV1alpha1().NatsAccounts(ns).Patch(e.ctx, name, types.MergePatchType, patch, metav1.PatchOptions{})
	case "NatsUser":
		_, err = e.nats.NatsauthV1alpha1().NatsUsers(ns).Patch(e.ctx, name, types.MergePatchType, patch, metav1.PatchOptions{})
	case "Secret":
		_, err = e.kube.CoreV1().Secrets(ns).Patch(e.ctx, name, types.MergePatchType, patch, metav1.PatchOptions{})
	}
	if err != nil {
		e.t.Fatalf("touch %s %s/%s: %v", kind, ns, name, err)
	}
}

// credsOf parses the Secret's user.creds and checks it agrees with user.jwt and user.nk.
func credsOf(t *testing.T, s *corev1.Secret) (*jwt.UserClaims, string) {
	t.Helper()
	token, kp, err := natsjwt.ParseCreds(s.Data[naming.UserCreds])
	if err != nil {
		t.Fatalf("Secret %s: user.creds does not parse: %v", s.Name, err)
	}
	defer kp.Wipe()
	if token != string(s.Data[naming.UserJWT]) {
		t.Errorf("Secret %s: user.jwt differs from the JWT in user.creds", s.Name)
	}
	nk, err := natsjwt.ParseSeed(s.Data[naming.UserSeed], natsjwt.KindUser)
	if err != nil {
		t.Fatalf("Secret %s: user.nk: %v", s.Name, err)
	}
	if publicKey(t, nk) != publicKey(t, kp) {
		t.Errorf("Secret %s: user.nk is not the seed in user.creds", s.Name)
	}
	claims, err := jwt.DecodeUserClaims(token)
	if err != nil {
		t.Fatalf("Secret %s: decode user JWT: %v", s.Name, err)
	}
	return claims, token
}
