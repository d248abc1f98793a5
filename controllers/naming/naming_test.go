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

package naming

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
)

// TestNamesAreStable pins every name byte for byte. They are an API: a controller that spelled
// one differently would no longer find the Secrets and objects an earlier version wrote (and
// would generate new identities for them), and deployments, RBAC and tools refer to them. Change
// a value here only together with a migration.
func TestNamesAreStable(t *testing.T) {
	withSecret := &natsv1alpha1.NatsUser{ObjectMeta: metav1.ObjectMeta{Name: "api"},
		Spec: natsv1alpha1.NatsUserSpec{SecretName: "api-creds"}}
	for _, name := range [][2]string{
		{LabelManagedBy, "app.kubernetes.io/managed-by"},
		{ManagedByValue, "nats-auth-operator"},
		{ManagedSelector, "app.kubernetes.io/managed-by=nats-auth-operator"},
		{LabelOperator, "natsauth.io/operator"},
		{LabelAccount, "natsauth.io/account"},
		{LabelUser, "natsauth.io/user"},
		{LabelSecretType, "natsauth.io/secret-type"},
		{LabelSystemAccount, "natsauth.io/system-account"},
		{AnnotationChecksum, "natsauth.io/config-checksum"},
		{AnnotationClaimsHash, "natsauth.io/claims-hash"},
		{AnnotationRevokedBefore, "natsauth.io/revoked-before"},
		{AnnotationPendingRevocationPrefix, "pending-revocation.natsauth.io/"},
		{AnnotationCreatedFor, "natsauth.io/created-for"},
		{SecretTypeKeys, "keys"},
		{SecretTypeCreds, "creds"},
		{SecretTypeServerConfig, "server-config"},
		{UserFinalizer, "natsauth.io/user-revocation"},
		{AccountFinalizer, "natsauth.io/account-cleanup"},
		{SecretFinalizer, "natsauth.io/revoke-key"},
		{LabelAccountKey, "natsauth.io/account-key"},

		{OperatorKeysSecret("main"), "main-operator-keys"},
		{ServerConfigSecret("main"), "main-server-config"},
		{SystemAccount("main"), "main-system"},
		{ResolverUser("main"), "main-resolver"},
		{ResolverCredsSecret("main"), "main-resolver-creds"},
		{AccountKeysSecret("orders"), "orders-account-keys"},
		{UserCredsSecret(withSecret), "api-creds"},
		{UserCredsSecret(&natsv1alpha1.NatsUser{ObjectMeta: metav1.ObjectMeta{Name: "api"}}), "api"},

		{OperatorIdentitySeed, "operator.nk"},
		{OperatorSigningSeed, "signing.nk"},
		{AccountIdentitySeed, "account.nk"},
		{DefaultSigningKey, "default"},
		{AccountSigningSeed("default"), "signing-default.nk"},
		{AccountSigningSeed("ci"), "signing-ci.nk"},
		{AccountSigningSeedAt("ci", 0), "signing-ci.nk"},
		{AccountSigningSeedAt("default", 3), "signing-default.3.nk"},
		{UserCreds, "user.creds"},
		{UserJWT, "user.jwt"},
		{UserSeed, "user.nk"},
		{AuthConf, "auth.conf"},
		{OperatorJWT, "operator.jwt"},
		{SystemAccountJWT, "sys.jwt"},
		{SystemAccountPublicKey, "sys.pub"},
		{AccountsByOperator, "accountsByOperator"},
		{AccountsByImportedAccount, "accountsByImportedAccount"},
		{UsersByAccount, "usersByAccount"},
		{AccountsByPublicKey, "accountsByPublicKey"},
		{CredsSecretsByAccountKey, "credsSecretsByAccountKey"},
	} {
		if got, want := name[0], name[1]; got != want {
			t.Errorf("name %q, want %q", got, want)
		}
	}
}

// TestNamesParseBack checks the inverses the tests use to tell what a Secret or key belongs to.
func TestNamesParseBack(t *testing.T) {
	for _, tc := range []struct {
		parse    func(string) (string, bool)
		in, want string
		ok       bool
	}{
		{OperatorOfKeysSecret, OperatorKeysSecret("main"), "main", true},
		{OperatorOfKeysSecret, AccountKeysSecret("main"), "", false},
		{AccountOfKeysSecret, AccountKeysSecret("orders"), "orders", true},
		{AccountOfKeysSecret, "orders", "", false},
		{SigningKeyOfSeed, AccountSigningSeed("ci"), "ci", true},
		{SigningKeyOfSeed, OperatorSigningSeed, "", false},
		{SigningKeyOfSeed, AccountIdentitySeed, "", false},
	} {
		if got, ok := tc.parse(tc.in); got != tc.want || ok != tc.ok {
			t.Errorf("parse(%q) = %q, %t; want %q, %t", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
