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
	"time"

	"github.com/nats-io/jwt/v2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/natsjwt"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestOperatorIssues proves the operator's first reconcile: keys created once, system account and
// resolver user created, the operator JWT carrying the system account and every signing key, and
// a server-config Secret with auth.conf and its checksum.
func TestOperatorIssues(t *testing.T) {
	suite.StartControllers(t)
	ns := controlPlane.NewNamespace(t)
	external, _ := natsjwt.NewKey(natsjwt.KindOperator)
	externalPub, _ := external.PublicKey()
	op := suite.CreateOperator(t, ns, "main", func(s *natsv1alpha1.NatsOperatorSpec) {
		s.SigningKeys = []string{externalPub}
		s.Tags = []natsv1alpha1.Tag{"env:test"}
		s.ServiceURLs = []string{"nats://127.0.0.1:4222"}
	})

	keys := suite.GetSecret(t, ns, naming.OperatorKeysSecret("main"))
	if len(keys.OwnerReferences) != 0 {
		t.Errorf("operator keys are retained by default, but the Secret has owners %v", keys.OwnerReferences)
	}
	identity, err := natsjwt.ParseSeed(keys.Data[naming.OperatorIdentitySeed], natsjwt.KindOperator)
	if err != nil {
		t.Fatalf("operator.nk: %v", err)
	}
	if pub, _ := identity.PublicKey(); pub != op.Status.PublicKey {
		t.Errorf("status.publicKey %s is not the stored identity %s", op.Status.PublicKey, pub)
	}
	signing, err := natsjwt.ParseSeed(keys.Data[naming.OperatorSigningSeed], natsjwt.KindOperator)
	if err != nil {
		t.Fatalf("signing.nk: %v", err)
	}
	signingPub, _ := signing.PublicKey()

	cfg := suite.GetSecret(t, ns, op.Status.ServerConfigSecret)
	claims, err := jwt.DecodeOperatorClaims(string(cfg.Data[naming.OperatorJWT]))
	if err != nil {
		t.Fatalf("operator.jwt: %v", err)
	}
	if claims.Subject != op.Status.PublicKey || claims.Issuer != op.Status.PublicKey {
		t.Errorf("operator JWT sub/iss = %s/%s, want self-signed by %s", claims.Subject, claims.Issuer, op.Status.PublicKey)
	}
	if claims.SystemAccount != op.Status.SystemAccount || claims.SystemAccount == "" {
		t.Errorf("operator JWT system_account = %q, status says %q", claims.SystemAccount, op.Status.SystemAccount)
	}
	for _, k := range []string{signingPub, externalPub} {
		if !claims.SigningKeys.Contains(k) {
			t.Errorf("operator JWT signing keys %v lack %s", claims.SigningKeys, k)
		}
	}
	if string(cfg.Data[naming.SystemAccountPublicKey]) != op.Status.SystemAccount {
		t.Errorf("sys.pub = %q", cfg.Data[naming.SystemAccountPublicKey])
	}
	auth := string(cfg.Data[naming.AuthConf])
	for _, want := range []string{"operator: \"" + string(cfg.Data[naming.OperatorJWT]) + "\"", "system_account: \"" + op.Status.SystemAccount + "\"",
		"type: full", "resolver_preload {", op.Status.SystemAccount + ": \"" + string(cfg.Data[naming.SystemAccountJWT]) + "\""} {
		if !strings.Contains(auth, want) {
			t.Errorf("auth.conf lacks %q:\n%s", want, auth)
		}
	}
	if cfg.Annotations[naming.AnnotationChecksum] == "" {
		t.Error("server-config Secret has no checksum annotation")
	}

	// The system account has no JetStream and is signed by the operator signing key.
	sys, err := suite.NatsClient(t).NatsauthV1alpha1().NatsAccounts(ns).Get(suite.Context(t), naming.SystemAccount("main"), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sysClaims, err := jwt.DecodeAccountClaims(sys.Status.JWT)
	if err != nil {
		t.Fatal(err)
	}
	if sysClaims.Issuer != signingPub || sysClaims.Limits.IsJSEnabled() {
		t.Errorf("system account JWT issuer %s (want %s), JetStream enabled %v", sysClaims.Issuer, signingPub, sysClaims.Limits.IsJSEnabled())
	}
	// The resolver user's creds exist, in the system account, with least privilege.
	creds := suite.GetSecret(t, ns, naming.ResolverCredsSecret("main"))
	userJWT, _, err := natsjwt.ParseCreds(creds.Data[naming.UserCreds])
	if err != nil {
		t.Fatalf("resolver creds: %v", err)
	}
	uc, err := jwt.DecodeUserClaims(userJWT)
	if err != nil {
		t.Fatal(err)
	}
	if uc.IssuerAccount != sys.Status.PublicKey || !uc.Pub.Allow.Contains("$SYS.REQ.CLAIMS.*") || uc.Pub.Allow.Contains(">") {
		t.Errorf("resolver user: issuer_account %s, pub allow %v", uc.IssuerAccount, uc.Pub.Allow)
	}
}

// TestOperatorResyncWritesNothing proves a converged operator is quiet: re-queueing it changes no
// resourceVersion of the operator, its Secrets, its system account or its resolver user.
func TestOperatorResyncWritesNothing(t *testing.T) {
	suite.StartControllers(t)
	ns := controlPlane.NewNamespace(t)
	suite.CreateOperator(t, ns, "quiet", nil)
	ctx := suite.Context(t)
	// Let the status of the system objects settle (resolver user, its Secret).
	suite.WaitUserReady(t, ns, naming.ResolverUser("quiet"))
	versions := func() map[string]string {
		out := map[string]string{}
		op, _ := suite.NatsClient(t).NatsauthV1alpha1().NatsOperators(ns).Get(ctx, "quiet", metav1.GetOptions{})
		out["operator"] = op.ResourceVersion
		acc, _ := suite.NatsClient(t).NatsauthV1alpha1().NatsAccounts(ns).Get(ctx, naming.SystemAccount("quiet"), metav1.GetOptions{})
		out["account"] = acc.ResourceVersion
		u, _ := suite.NatsClient(t).NatsauthV1alpha1().NatsUsers(ns).Get(ctx, naming.ResolverUser("quiet"), metav1.GetOptions{})
		out["user"] = u.ResourceVersion
		for _, s := range []string{naming.OperatorKeysSecret("quiet"), naming.ServerConfigSecret("quiet"), naming.ResolverCredsSecret("quiet"), naming.AccountKeysSecret(naming.SystemAccount("quiet"))} {
			out[s] = suite.GetSecret(t, ns, s).ResourceVersion
		}
		return out
	}
	before := versions()
	// Re-queue everything by touching an annotation (metadata only, no spec change).
	op, _ := suite.NatsClient(t).NatsauthV1alpha1().NatsOperators(ns).Get(ctx, "quiet", metav1.GetOptions{})
	op.Annotations = map[string]string{"touch": "1"}
	if _, err := suite.NatsClient(t).NatsauthV1alpha1().NatsOperators(ns).Update(ctx, op, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	assertStable(t, func() map[string]string {
		v := versions()
		delete(v, "operator") // the annotation update itself bumped it
		return v
	}, without(before, "operator"))
}

// TestOperatorKeysMissing proves a lost key Secret is an error, never a silent new identity.
func TestOperatorKeysMissing(t *testing.T) {
	suite.StartControllers(t)
	ns := controlPlane.NewNamespace(t)
	op := suite.CreateOperator(t, ns, "lost", nil)
	ctx := suite.Context(t)
	if err := controlPlane.KubeClient().CoreV1().Secrets(ns).Delete(ctx, naming.OperatorKeysSecret("lost"), metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	suite.WaitFor(t, ctx, "Ready=False KeysMissing", func() bool {
		got, err := suite.NatsClient(t).NatsauthV1alpha1().NatsOperators(ns).Get(ctx, "lost", metav1.GetOptions{})
		c := meta.FindStatusCondition(got.Status.Conditions, natsv1alpha1.ConditionReady)
		return err == nil && c != nil && c.Reason == "KeysMissing" && c.Status == metav1.ConditionFalse
	})
	if _, err := controlPlane.KubeClient().CoreV1().Secrets(ns).Get(ctx, naming.OperatorKeysSecret("lost"), metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("a new key Secret was created (err %v); the identity %s must not be replaced silently", err, op.Status.PublicKey)
	}
	waitForEvent(t, ns, "lost", "KeysMissing")
}

// TestOperatorAdoptsRetainedKeys proves a re-created operator keeps its identity.
func TestOperatorAdoptsRetainedKeys(t *testing.T) {
	suite.StartControllers(t)
	ns := controlPlane.NewNamespace(t)
	first := suite.CreateOperator(t, ns, "again", nil)
	ctx := suite.Context(t)
	client := suite.NatsClient(t).NatsauthV1alpha1()
	if err := client.NatsOperators(ns).Delete(ctx, "again", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// The test control plane runs no garbage collector: remove what it would collect.
	_ = client.NatsUsers(ns).Delete(ctx, naming.ResolverUser("again"), metav1.DeleteOptions{})
	_ = client.NatsAccounts(ns).Delete(ctx, naming.SystemAccount("again"), metav1.DeleteOptions{})
	suite.WaitFor(t, ctx, "system objects are gone", func() bool {
		_, e1 := client.NatsUsers(ns).Get(ctx, naming.ResolverUser("again"), metav1.GetOptions{})
		_, e2 := client.NatsAccounts(ns).Get(ctx, naming.SystemAccount("again"), metav1.GetOptions{})
		return apierrors.IsNotFound(e1) && apierrors.IsNotFound(e2)
	})
	_ = controlPlane.KubeClient().CoreV1().Secrets(ns).Delete(ctx, naming.ServerConfigSecret("again"), metav1.DeleteOptions{})
	second := suite.CreateOperator(t, ns, "again", nil)
	if second.Status.PublicKey != first.Status.PublicKey {
		t.Errorf("re-created operator has identity %s, want the retained %s", second.Status.PublicKey, first.Status.PublicKey)
	}
	if second.Status.SystemAccount != first.Status.SystemAccount {
		t.Errorf("re-created system account %s, want the retained %s", second.Status.SystemAccount, first.Status.SystemAccount)
	}
}

// TestOperatorMemoryResolver proves the memory resolver config preloads every account.
func TestOperatorMemoryResolver(t *testing.T) {
	suite.StartControllers(t)
	ns := controlPlane.NewNamespace(t)
	ctx := suite.Context(t)
	op := &natsv1alpha1.NatsOperator{ObjectMeta: metav1.ObjectMeta{Name: "mem", Namespace: ns},
		Spec: natsv1alpha1.NatsOperatorSpec{Resolver: natsv1alpha1.ResolverSpec{Type: natsv1alpha1.ResolverMemory}}}
	if _, err := suite.NatsClient(t).NatsauthV1alpha1().NatsOperators(ns).Create(ctx, op, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	acc := readyAccount(t, ns, "app", "mem")
	suite.WaitFor(t, ctx, "auth.conf preloads the app account", func() bool {
		s, err := controlPlane.KubeClient().CoreV1().Secrets(ns).Get(ctx, naming.ServerConfigSecret("mem"), metav1.GetOptions{})
		return err == nil && strings.Contains(string(s.Data[naming.AuthConf]), acc.Status.PublicKey+": \""+acc.Status.JWT+"\"") &&
			strings.Contains(string(s.Data[naming.AuthConf]), "resolver: MEMORY")
	})
}

// assertStable checks that get() keeps returning want for a few seconds: long enough for the
// controllers to process the re-queue that preceded it.
func assertStable(t *testing.T, get func() map[string]string, want map[string]string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		got := get()
		for k, v := range want {
			if got[k] != v {
				t.Fatalf("%s was written (resourceVersion %s -> %s) although nothing changed", k, v, got[k])
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func without(m map[string]string, keys ...string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

// waitForEvent waits for an event with reason about the named object.
func waitForEvent(t *testing.T, ns, name, reason string) {
	t.Helper()
	ctx := suite.Context(t)
	suite.WaitFor(t, ctx, "event "+reason+" for "+name, func() bool {
		evs, err := controlPlane.KubeClient().CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false
		}
		for _, e := range evs.Items {
			if e.InvolvedObject.Name == name && e.Reason == reason {
				return true
			}
		}
		return false
	})
}
