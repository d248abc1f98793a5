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

// Package naming is the one place that names what the controllers write and find: object and
// Secret names, Secret data keys, labels, annotations, finalizers, and the informer indexes. The
// values are an API: existing Secrets and objects are found by them, and people and tools read
// them (naming_test.go pins every value). The controllers and the tests use this package instead
// of spelling a name again.
package naming

import (
	"strconv"
	"strings"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
)

// Labels and annotations on the objects the controllers write. The managed-by label is what the
// Secret informer selects on, so the controller caches only its own Secrets however many the
// cluster holds.
const (
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedByValue = "nats-auth-operator"
	// ManagedSelector is the label selector of every Secret the controllers cache.
	ManagedSelector = LabelManagedBy + "=" + ManagedByValue

	// LabelOperator, LabelAccount and LabelUser name the object a Secret belongs to.
	LabelOperator = "natsauth.io/operator"
	LabelAccount  = "natsauth.io/account"
	LabelUser     = "natsauth.io/user"
	// LabelSecretType is one of SecretTypeKeys, SecretTypeCreds, SecretTypeServerConfig.
	LabelSecretType = "natsauth.io/secret-type"
	// LabelSystemAccount marks an operator's system account; its value is the operator's name.
	LabelSystemAccount = "natsauth.io/system-account"
	// LabelAccountKey on a creds Secret is the public key of the account its JWT belongs to, so
	// the account controller finds the Secrets of its keys (CredsSecretsByAccountKey) without
	// decoding JWTs. A public key is 56 characters, within a label value's 63.
	LabelAccountKey = "natsauth.io/account-key"

	// AnnotationChecksum on the server config Secret changes exactly when auth.conf does, so
	// nats-servers can be rolled on it.
	AnnotationChecksum = "natsauth.io/config-checksum"
	// AnnotationClaimsHash and AnnotationRevokedBefore on a creds Secret are written in the same
	// write as the JWT they describe, so a crash between the Secret write and the status write
	// loses neither what the JWT was issued for (no needless re-issue) nor the revocation an edit
	// asked for.
	AnnotationClaimsHash    = "natsauth.io/claims-hash"
	AnnotationRevokedBefore = "natsauth.io/revoked-before"
	// AnnotationPendingRevocationPrefix + a user public key, on a NatsAccount, records a key the
	// account must revoke up to the value (unix seconds) once it can sign again: the user was
	// deleted while the account's key Secret was missing. One annotation per key, so concurrent
	// deletions add theirs with merge patches that cannot overwrite each other.
	AnnotationPendingRevocationPrefix = "pending-revocation.natsauth.io/"
	// AnnotationCreatedFor on an account key Secret is the UID of the NatsAccount it was created
	// for, so a re-created account knows it adopted retained keys even within the same second.
	AnnotationCreatedFor = "natsauth.io/created-for"
)

// PendingRevocations returns the keys an account's annotations ask it to revoke, with the time
// each is to be revoked up to; malformed entries are skipped.
func PendingRevocations(annotations map[string]string) map[string]int64 {
	var out map[string]int64
	for k, v := range annotations {
		pub, ok := strings.CutPrefix(k, AnnotationPendingRevocationPrefix)
		ts, err := strconv.ParseInt(v, 10, 64)
		if !ok || err != nil || pub == "" || ts <= 0 {
			continue
		}
		if out == nil {
			out = map[string]int64{}
		}
		out[pub] = ts
	}
	return out
}

// Values of LabelSecretType.
const (
	SecretTypeKeys         = "keys"
	SecretTypeCreds        = "creds"
	SecretTypeServerConfig = "server-config"
)

// Finalizers.
const (
	// UserFinalizer keeps a deleted NatsUser until its account has revoked the user's key:
	// deleting the Secret does not stop a client that already holds a copy of the creds.
	// Only NatsUsers written before SecretFinalizer existed carry it; the user controller
	// removes it on deletion.
	UserFinalizer = "natsauth.io/user-revocation"
	// SecretFinalizer keeps a creds Secret, the durable record of an issued user key, until the
	// account JWT revokes that key or nobody can revoke it: a NatsUser deleted or stripped of
	// anything while the controller was down still leaves its Secret behind.
	SecretFinalizer = "natsauth.io/revoke-key"
	// AccountFinalizer keeps a deleted NatsAccount until the resolver has deleted its JWT from
	// the nats-servers, or until that is known not to happen: a server keeps serving an account
	// whose JWT it stores, so deleting only the object would leave the account usable.
	AccountFinalizer = "natsauth.io/account-cleanup"
)

// Name suffixes; the functions below are the names.
const (
	operatorKeysSuffix = "-operator-keys"
	accountKeysSuffix  = "-account-keys"
	signingSeedPrefix  = "signing-"
	seedSuffix         = ".nk"
)

// OperatorKeysSecret is the Secret of an operator's seeds (data keys OperatorIdentitySeed,
// OperatorSigningSeed), in the operator's namespace.
func OperatorKeysSecret(operator string) string { return operator + operatorKeysSuffix }

// ServerConfigSecret is the Secret nats-servers mount (AuthConf and the files next to it).
func ServerConfigSecret(operator string) string { return operator + "-server-config" }

// SystemAccount is the NatsAccount an operator creates as its system account.
func SystemAccount(operator string) string { return operator + "-system" }

// ResolverUser is the NatsUser an operator creates for the resolver binary.
func ResolverUser(operator string) string { return operator + "-resolver" }

// ResolverCredsSecret is the creds Secret of ResolverUser, which the resolver binary mounts.
func ResolverCredsSecret(operator string) string { return operator + "-resolver-creds" }

// AccountKeysSecret is the Secret of an account's seeds (AccountIdentitySeed and one
// AccountSigningSeed per signing key), in the account's namespace.
func AccountKeysSecret(account string) string { return account + accountKeysSuffix }

// UserCredsSecret is the creds Secret a NatsUser asks for: spec.secretName, else its own name.
func UserCredsSecret(u *natsv1alpha1.NatsUser) string {
	if u.Spec.SecretName != "" {
		return u.Spec.SecretName
	}
	return u.Name
}

// OperatorOfKeysSecret returns the operator whose OperatorKeysSecret is named secret.
func OperatorOfKeysSecret(secret string) (string, bool) { return cut(secret, "", operatorKeysSuffix) }

// AccountOfKeysSecret returns the account whose AccountKeysSecret is named secret.
func AccountOfKeysSecret(secret string) (string, bool) { return cut(secret, "", accountKeysSuffix) }

// Data keys of the Secrets.
const (
	// OperatorIdentitySeed and OperatorSigningSeed are the operator key Secret's seeds.
	OperatorIdentitySeed = "operator.nk"
	OperatorSigningSeed  = "signing.nk"
	// AccountIdentitySeed is the account key Secret's identity seed.
	AccountIdentitySeed = "account.nk"
	// DefaultSigningKey names the unscoped signing key every account has; users and activation
	// tokens are signed with it unless they name another key.
	DefaultSigningKey = "default"

	// UserCreds, UserJWT and UserSeed are the creds Secret's data keys.
	UserCreds = "user.creds"
	UserJWT   = "user.jwt"
	UserSeed  = "user.nk"

	// AuthConf, OperatorJWT, SystemAccountJWT and SystemAccountPublicKey are the server config
	// Secret's data keys.
	AuthConf               = "auth.conf"
	OperatorJWT            = "operator.jwt"
	SystemAccountJWT       = "sys.jwt"
	SystemAccountPublicKey = "sys.pub"
)

// OperatorSigningSeedAt is the data key of generation gen of the operator signing key:
// OperatorSigningSeed for generation 0, signing.<gen>.nk after a rotation.
func OperatorSigningSeedAt(gen int32) string {
	if gen <= 0 {
		return OperatorSigningSeed
	}
	return "signing." + strconv.Itoa(int(gen)) + seedSuffix
}

// AccountSigningSeed is the data key of the account signing key named name in the account key
// Secret.
func AccountSigningSeed(name string) string { return signingSeedPrefix + name + seedSuffix }

// AccountSigningSeedAt is the data key of generation gen of the signing key named name:
// AccountSigningSeed for generation 0, signing-<name>.<gen>.nk after a rotation. Key names
// have no dots, so no two (name, generation) pairs share a data key.
func AccountSigningSeedAt(name string, gen int32) string {
	if gen <= 0 {
		return AccountSigningSeed(name)
	}
	return signingSeedPrefix + name + "." + strconv.Itoa(int(gen)) + seedSuffix
}

// SigningKeyOfSeed returns the signing key name whose AccountSigningSeed is dataKey.
func SigningKeyOfSeed(dataKey string) (string, bool) {
	return cut(dataKey, signingSeedPrefix, seedSuffix)
}

// cut returns s without prefix and suffix, or "" and false when s lacks either.
func cut(s, prefix, suffix string) (string, bool) {
	if !strings.HasPrefix(s, prefix) || !strings.HasSuffix(s, suffix) || len(s) < len(prefix)+len(suffix) {
		return "", false
	}
	return s[len(prefix) : len(s)-len(suffix)], true
}
