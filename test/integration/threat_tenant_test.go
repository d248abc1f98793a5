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
	"maps"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/controllers/user"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestThreatTenantRBAC proves what manifests/rbac's nats-auth-tenant grants a tenant in its
// namespace: NatsUsers and events there, nothing else. In particular it cannot read any key
// Secret (not even with Secret read in its own namespace, which a namespace editor has: keys
// live in the operator's namespace), cannot create or edit accounts (so it cannot add its
// namespace to allowedUserNamespaces), and cannot write a NatsUser's status (where a forged
// publicKey would make the controller revoke someone else's key).
func TestThreatTenantRBAC(t *testing.T) {
	e := newThreatEnv(t)
	acc := e.account("orders", e.tenant)
	alice := e.alice
	users := alice.nats.NatsauthV1alpha1().NatsUsers(e.tenant)

	allowed := map[string]error{}
	u := newUser(e.tenant, "probe", natsv1alpha1.NatsAccountReference{Namespace: e.platform, Name: "orders"})
	_, allowed["create a NatsUser in its namespace"] = users.Create(e.ctx, u, metav1.CreateOptions{})
	_, allowed["list NatsUsers in its namespace"] = users.List(e.ctx, metav1.ListOptions{})
	_, allowed["patch a NatsUser in its namespace"] = users.Patch(e.ctx, "probe", types.MergePatchType,
		[]byte(`{"spec":{"tags":["team:a"]}}`), metav1.PatchOptions{})
	_, allowed["list events in its namespace"] = alice.kube.CoreV1().Events(e.tenant).List(e.ctx, metav1.ListOptions{})
	expectAllowed(t, alice.name, allowed)
	suite.WaitUserReady(t, e.tenant, "probe")

	forbidden := map[string]error{}
	for _, s := range []string{naming.OperatorKeysSecret("main"), naming.AccountKeysSecret("orders"), naming.AccountKeysSecret(naming.SystemAccount("main")), naming.ResolverCredsSecret("main"), naming.ServerConfigSecret("main")} {
		_, forbidden["get Secret "+e.platform+"/"+s] = alice.kube.CoreV1().Secrets(e.platform).Get(e.ctx, s, metav1.GetOptions{})
	}
	_, forbidden["list Secrets in the operator's namespace"] = alice.kube.CoreV1().Secrets(e.platform).List(e.ctx, metav1.ListOptions{})
	_, forbidden["get its own creds Secret through the API"] = alice.kube.CoreV1().Secrets(e.tenant).Get(e.ctx, "probe", metav1.GetOptions{})
	_, forbidden["create a NatsAccount in its namespace"] = alice.nats.NatsauthV1alpha1().NatsAccounts(e.tenant).Create(e.ctx,
		newAccount(e.tenant, "mine", "main"), metav1.CreateOptions{})
	_, forbidden["create a NatsAccount in the operator's namespace"] = alice.nats.NatsauthV1alpha1().NatsAccounts(e.platform).Create(e.ctx,
		newAccount(e.platform, "mine", "main"), metav1.CreateOptions{})
	_, forbidden["add its namespace to an account's allowedUserNamespaces"] = alice.nats.NatsauthV1alpha1().NatsAccounts(e.platform).Patch(e.ctx,
		"orders", types.MergePatchType, []byte(`{"spec":{"allowedUserNamespaces":["*"]}}`), metav1.PatchOptions{})
	_, forbidden["read NatsAccounts"] = alice.nats.NatsauthV1alpha1().NatsAccounts(e.platform).Get(e.ctx, "orders", metav1.GetOptions{})
	_, forbidden["create a NatsOperator"] = alice.nats.NatsauthV1alpha1().NatsOperators(e.tenant).Create(e.ctx,
		&natsv1alpha1.NatsOperator{ObjectMeta: metav1.ObjectMeta{Name: "mine", Namespace: e.tenant}}, metav1.CreateOptions{})
	_, forbidden["create a NatsUser in the operator's namespace"] = alice.nats.NatsauthV1alpha1().NatsUsers(e.platform).Create(e.ctx,
		newUser(e.platform, "intruder", natsv1alpha1.NatsAccountReference{Name: "orders"}), metav1.CreateOptions{})
	probe, err := suite.NatsClient(t).NatsauthV1alpha1().NatsUsers(e.tenant).Get(e.ctx, "probe", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	forged := probe.DeepCopy()
	forged.Status.PublicKey = acc.Status.PublicKey
	_, forbidden["update a NatsUser's status"] = users.UpdateStatus(e.ctx, forged, metav1.UpdateOptions{})
	_, forbidden["patch a NatsUser's status"] = users.Patch(e.ctx, "probe", types.MergePatchType,
		[]byte(`{"status":{"revokedBefore":"2020-01-01T00:00:00Z"}}`), metav1.PatchOptions{}, "status")
	expectForbidden(t, alice.name, forbidden)

	// With Secret read in its own namespace (a namespace editor's rights) the tenant reads its
	// creds, and still no key Secret: none lives in a tenant namespace.
	e.grantSecretRead(e.tenant, alice.name)
	suite.WaitFor(t, e.ctx, "the tenant reads its own creds Secret", func() bool {
		_, err := alice.kube.CoreV1().Secrets(e.tenant).Get(e.ctx, "probe", metav1.GetOptions{})
		return err == nil
	})
	list, err := alice.kube.CoreV1().Secrets(e.tenant).List(e.ctx, metav1.ListOptions{LabelSelector: "natsauth.io/secret-type=keys"})
	if err != nil || len(list.Items) != 0 {
		t.Errorf("key Secrets in the tenant namespace: %v, %v", list, err)
	}
	_, err = alice.kube.CoreV1().Secrets(e.platform).Get(e.ctx, naming.OperatorKeysSecret("main"), metav1.GetOptions{})
	expectForbidden(t, alice.name, map[string]error{"get the operator key Secret with Secret read in its own namespace": err})
}

// TestThreatTenantCannotMintForDisallowedAccount: a tenant gets creds only for accounts whose
// allowedUserNamespaces list its namespace. A NatsUser bound to an account that does not, or
// to the operator's system account, is refused with NamespaceNotAllowed, gets no key and no
// Secret, and a Warning event names the reason. The allowed account is the control.
func TestThreatTenantCannotMintForDisallowedAccount(t *testing.T) {
	e := newThreatEnv(t)
	e.account("open", e.tenant)
	e.account("closed", "somewhere-else")
	e.account("private")
	ref := func(name string) natsv1alpha1.NatsAccountReference {
		return natsv1alpha1.NatsAccountReference{Namespace: e.platform, Name: name}
	}
	e.createUser(e.alice, e.tenant, "ok", ref("open"), "")
	for _, name := range []string{"closed", "private", naming.SystemAccount("main")} {
		e.createUser(e.alice, e.tenant, "to-"+name, ref(name), "")
	}
	ok := suite.WaitUserReady(t, e.tenant, "ok")
	if ok.Status.PublicKey == "" || len(suite.GetSecret(t, e.tenant, "ok").Data[naming.UserCreds]) == 0 {
		t.Fatal("the allowed account issued no creds")
	}
	for _, name := range []string{"closed", "private", naming.SystemAccount("main")} {
		u := e.waitUserReason(e.tenant, "to-"+name, user.ReasonNamespaceNotAllowed)
		if u.Status.PublicKey != "" {
			t.Errorf("NatsUser to-%s got a key %s", name, u.Status.PublicKey)
		}
		e.expectNoSecret(e.tenant, "to-"+name)
		waitForEvent(t, e.tenant, "to-"+name, user.ReasonNamespaceNotAllowed)
	}
}

// TestThreatTenantCannotOverwriteForeignSecrets: spec.secretName never makes the controller
// write a Secret the NatsUser does not control. A tenant pointing it at a foreign Secret in its
// namespace gets SecretConflict and the Secret keeps its content. Even with the tenant role
// wrongly bound in the operator's namespace, NatsUsers aimed at the operator key Secret, an
// account key Secret, the server config and the resolver's creds are all refused, and none
// of those Secrets changes.
func TestThreatTenantCannotOverwriteForeignSecrets(t *testing.T) {
	e := newThreatEnv(t)
	e.account("open", e.tenant)
	e.account("local") // its own namespace always may
	kube := controlPlane.KubeClient().CoreV1()
	foreign := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "db-password", Namespace: e.tenant},
		StringData: map[string]string{"password": "hunter2"}}
	if _, err := kube.Secrets(e.tenant).Create(e.ctx, foreign, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	before := map[string]*corev1.Secret{e.tenant + "/db-password": suite.GetSecret(t, e.tenant, "db-password")}
	e.createUser(e.alice, e.tenant, "grab", natsv1alpha1.NatsAccountReference{Namespace: e.platform, Name: "open"}, "db-password")

	// A tenant of the operator's own namespace (a misconfiguration this must survive).
	mallory := e.person("mallory-" + e.platform)
	e.bind(e.platform, e.tenantRole, mallory.name)
	targets := []string{naming.OperatorKeysSecret("main"), naming.AccountKeysSecret("local"), naming.ServerConfigSecret("main"), naming.ResolverCredsSecret("main")}
	for _, s := range targets {
		before[e.platform+"/"+s] = suite.GetSecret(t, e.platform, s)
		e.createUser(mallory, e.platform, "grab-"+s, natsv1alpha1.NatsAccountReference{Name: "local"}, s)
	}

	e.waitUserReason(e.tenant, "grab", user.ReasonSecretConflict)
	for _, s := range targets {
		u := e.waitUserReason(e.platform, "grab-"+s, user.ReasonSecretConflict)
		if u.Status.PublicKey != "" {
			t.Errorf("refused NatsUser grab-%s got a key", s)
		}
	}
	// The operator's own objects are still issued from those Secrets.
	suite.WaitUserReady(t, e.platform, naming.ResolverUser("main"))
	suite.WaitOperatorReady(t, e.platform, "main")
	for key, b := range before {
		ns, name := splitKey(key)
		after := suite.GetSecret(t, ns, name)
		if after.ResourceVersion != b.ResourceVersion || !maps.EqualFunc(after.Data, b.Data, func(x, y []byte) bool { return string(x) == string(y) }) {
			t.Errorf("Secret %s was changed by a NatsUser that does not own it", key)
		}
	}
}

func splitKey(key string) (string, string) {
	for i := range key {
		if key[i] == '/' {
			return key[:i], key[i+1:]
		}
	}
	return "", key
}
