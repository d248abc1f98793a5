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

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +genclient
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=nop,categories=nats
// +kubebuilder:printcolumn:name="Public Key",type=string,JSONPath=".status.publicKey"
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=".status.conditions[?(@.type=='Ready')].reason"
// +kubebuilder:printcolumn:name="System Account",type=string,JSONPath=".status.systemAccount",priority=1
// +kubebuilder:printcolumn:name="Signing Key",type=string,JSONPath=".status.signingKey.phase",priority=1
// +kubebuilder:printcolumn:name="Servers",type=string,JSONPath=".status.conditions[?(@.type=='ServersRolled')].reason",priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 54",message="a NatsOperator name has at most 54 characters: its resolver NatsUser <name>-resolver must fit the 63-character label value"

// NatsOperator is the root of trust of a NATS deployment: it holds the operator identity and
// signing keys, the system account, the resolver user, and the rendered nats-server auth config.
type NatsOperator struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired operator.
	Spec NatsOperatorSpec `json:"spec,omitempty"`
	// status is what the controller last observed and issued.
	// +optional
	Status NatsOperatorStatus `json:"status,omitempty"`
}

// NatsOperatorSpec is the desired state of a NatsOperator.
// +kubebuilder:validation:XValidation:rule="has(self.keysSecretRef) == has(oldSelf.keysSecretRef) && has(self.external) == has(oldSelf.external) && has(self.systemAccountKeysSecretRef) == has(oldSelf.systemAccountKeysSecretRef)",message="keysSecretRef, external and systemAccountKeysSecretRef are set when the NatsOperator is created and never added or removed: an operator never changes identity"
// +kubebuilder:validation:XValidation:rule="!has(self.external) || !has(self.keysSecretRef)",message="external and keysSecretRef exclude each other: an external operator's identity key is not in the cluster"
// +kubebuilder:validation:XValidation:rule="!has(self.signingKeyRotation) || (!has(self.keysSecretRef) && !has(self.external))",message="signingKeyRotation rotates the signing key the controller generated; with keysSecretRef or external the operator's keys are nsc's to rotate"
// +kubebuilder:validation:XValidation:rule="!has(self.external) || (!has(self.signingKeys) && !has(self.serviceURLs) && !has(self.accountServerURL) && !has(self.tags) && !(has(self.strictSigningKeyUsage) && self.strictSigningKeyUsage))",message="with external the operator JWT is taken as it is: signingKeys, serviceURLs, accountServerURL, tags and strictSigningKeyUsage are set with nsc instead"
type NatsOperatorSpec struct {
	// signingKeys lists extra operator signing public keys (O...) whose holders may sign account
	// JWTs outside this cluster. The controller's own signing key is always included.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:Pattern=`^O[A-Z2-7]{55}$`
	SigningKeys []string `json:"signingKeys,omitempty"`
	// strictSigningKeyUsage makes nats-servers refuse account JWTs signed by the operator identity
	// key and user JWTs signed by account identity keys. This operator signs with signing keys only,
	// so it is safe to turn on.
	// +optional
	StrictSigningKeyUsage bool `json:"strictSigningKeyUsage,omitempty"`
	// serviceURLs are the client URLs of the NATS deployment (nats://, tls://, ws:// or wss://,
	// without credentials or path), published in the operator JWT for tools.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=512
	// +kubebuilder:validation:items:Pattern=`^(nats|tls|ws|wss)://[^/@]+/?$`
	// +kubebuilder:validation:XValidation:rule="self.all(u, !u.matches(':[0-9]+/?$') || u.matches(':([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])/?$'))",message="a service URL's port is between 1 and 65535"
	ServiceURLs []string `json:"serviceURLs,omitempty"`
	// accountServerURL is published in the operator JWT for tools such as nsc push and pull.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:Pattern=`^[a-z][a-z0-9+.-]*://`
	AccountServerURL string `json:"accountServerURL,omitempty"`
	// tags are carried in the operator JWT.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=32
	Tags []Tag `json:"tags,omitempty"`
	// signingKeyRotation declares a rotation of the controller's operator signing key
	// (signing.nk): raising generation adds a new key next to the old one in the operator JWT,
	// which nats-servers load only on a restart (roll them: the server-config checksum
	// annotation changes); once every server runs that JWT (the resolver reports it in
	// status.serversClaimsHash), every account is re-signed with the new key, and once every
	// server acknowledged the re-signed JWTs (status.pushedIssuer of each account) and the
	// grace period passed, the old key leaves the operator JWT (roll again). Emergency drops the old
	// key at once. Unset keeps generation 0, the key the operator was created with.
	// +optional
	SigningKeyRotation *SigningKeyRotation `json:"signingKeyRotation,omitempty"`
	// resolver configures how nats-servers resolve account JWTs; it shapes the rendered auth.conf.
	// +optional
	// +kubebuilder:default={}
	Resolver ResolverSpec `json:"resolver,omitempty"`
	// keyDeletionPolicy says whether the operator-keys Secret is deleted with this object (Delete)
	// or kept so that a re-created NatsOperator of the same name adopts the same identity (Retain,
	// the default). Losing the operator key means re-configuring every nats-server.
	// +optional
	// +kubebuilder:default=Retain
	KeyDeletionPolicy KeyDeletionPolicy `json:"keyDeletionPolicy,omitempty"`

	// --- Adopting an nsc setup (issue 15, item 2) ---

	// keysSecretRef names a Secret, in this namespace, that the user created from an nsc store
	// with the operator's seeds: operator.nk (the identity, SO...) and signing.nk (a signing key).
	// The controller signs the operator JWT with that identity instead of generating one, and
	// only ever reads the Secret: it never writes, labels or deletes it, and keyDeletionPolicy
	// does not apply to it. Unset (the default): keys are generated.
	// +optional
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="keysSecretRef is immutable: an operator never changes identity"
	KeysSecretRef *KeysSecretReference `json:"keysSecretRef,omitempty"`
	// external runs an operator made elsewhere (by nsc) of which only the public operator JWT and
	// one of its signing keys are known: no operator key is generated and no operator JWT is
	// signed; accounts are signed with the provided signing key, and the rendered server config
	// carries the provided operator JWT unchanged.
	// +optional
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="external is immutable: an operator never changes identity"
	External *ExternalOperator `json:"external,omitempty"`
	// systemAccountKeysSecretRef becomes the keysSecretRef of the system account the controller
	// creates (<name>-system), so that it keeps the identity of the nsc system account. Required
	// in external mode when the operator JWT names a system account.
	// +optional
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="systemAccountKeysSecretRef is immutable: an account never changes identity"
	SystemAccountKeysSecretRef *KeysSecretReference `json:"systemAccountKeysSecretRef,omitempty"`
	// --- end of adoption fields ---
}

// KeysSecretReference names a user-provided Secret of seeds in the object's namespace.
type KeysSecretReference struct {
	// name is the Secret's name.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// ExternalOperator is an operator whose identity key stays outside the cluster.
type ExternalOperator struct {
	// operatorJWTRef names the Secret key that holds the operator JWT, as written by
	// `nsc describe operator --raw`. A Secret rather than a ConfigMap although the JWT is public,
	// so the controller needs no access to ConfigMaps.
	OperatorJWTRef OperatorJWTReference `json:"operatorJWTRef"`
	// signingKeySecretRef names a Secret whose signing.nk holds an operator signing seed (SO...)
	// whose public key the operator JWT lists among its signing keys.
	SigningKeySecretRef KeysSecretReference `json:"signingKeySecretRef"`
}

// OperatorJWTReference names one key of a Secret in the operator's namespace.
type OperatorJWTReference struct {
	// name is the Secret's name.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// key is the data key holding the JWT; default operator.jwt.
	// +optional
	// +kubebuilder:default=operator.jwt
	// +kubebuilder:validation:MaxLength=253
	Key string `json:"key,omitempty"`
}

// ResolverType is the kind of account resolver nats-servers run.
// +kubebuilder:validation:Enum=full;cache;memory
type ResolverType string

const (
	// ResolverFull stores every account JWT on disk and answers lookups from other servers.
	ResolverFull ResolverType = "full"
	// ResolverCache keeps recently used account JWTs and looks others up from full servers or the
	// resolver binary.
	ResolverCache ResolverType = "cache"
	// ResolverMemory knows only the accounts preloaded in auth.conf; every account change needs a
	// config reload.
	ResolverMemory ResolverType = "memory"
)

// ResolverSpec is the resolver block of the rendered nats-server configuration.
// +kubebuilder:validation:XValidation:rule="!has(self.hardDelete) || !self.hardDelete || (has(self.allowDelete) && self.allowDelete)",message="hardDelete requires allowDelete"
// +kubebuilder:validation:XValidation:rule="self.type == 'full' || !has(self.allowDelete) || !self.allowDelete",message="allowDelete is only valid with the full resolver"
// +kubebuilder:validation:XValidation:rule="self.type == 'full' || !has(self.interval)",message="interval is only valid with the full resolver"
// +kubebuilder:validation:XValidation:rule="self.type == 'cache' || !has(self.ttl)",message="ttl is only valid with the cache resolver"
// +kubebuilder:validation:XValidation:rule="self.type != 'memory' || (!has(self.dir) && !has(self.limit) && !has(self.timeout))",message="dir, limit and timeout are not used by the memory resolver"
type ResolverSpec struct {
	// type is full (default), cache or memory.
	// +optional
	// +kubebuilder:default=full
	Type ResolverType `json:"type,omitempty"`
	// dir is where full and cache resolvers keep account JWTs inside the nats-server container.
	// Default /data/resolver, the official NATS helm chart's resolver volume.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	Dir string `json:"dir,omitempty"`
	// allowDelete lets the resolver binary delete the JWTs of deleted NatsAccounts from the
	// servers (full resolver only). Without it a deleted account stays on the servers.
	// +optional
	AllowDelete bool `json:"allowDelete,omitempty"`
	// hardDelete removes deleted JWT files instead of renaming them to .deleted.
	// +optional
	HardDelete bool `json:"hardDelete,omitempty"`
	// interval is how often full servers sync JWTs with each other (a duration such as 2m).
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^(0|(([0-9]+([.][0-9]*)?|[.][0-9]+)(ns|us|ms|s|m|h))+)$') && duration(self) >= duration('0s')",message="interval must be a duration such as 500ms, 30s, 1m30s or 2h (units ns, us, ms, s, m, h; no sign, no spaces)"
	Interval *metav1.Duration `json:"interval,omitempty"`
	// timeout is how long a server waits for an account lookup (a duration such as 1.9s).
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^(0|(([0-9]+([.][0-9]*)?|[.][0-9]+)(ns|us|ms|s|m|h))+)$') && duration(self) >= duration('0s')",message="timeout must be a duration such as 500ms, 30s, 1m30s or 2h (units ns, us, ms, s, m, h; no sign, no spaces)"
	Timeout *metav1.Duration `json:"timeout,omitempty"`
	// ttl is how long a cache resolver keeps a JWT (cache only).
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^(0|(([0-9]+([.][0-9]*)?|[.][0-9]+)(ns|us|ms|s|m|h))+)$') && duration(self) >= duration('0s')",message="ttl must be a duration such as 500ms, 30s, 1m30s or 2h (units ns, us, ms, s, m, h; no sign, no spaces)"
	TTL *metav1.Duration `json:"ttl,omitempty"`
	// limit is the most JWTs a server keeps; 0 means the server default.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Limit *int64 `json:"limit,omitempty"`
}

// NatsOperatorStatus is what the controller observed and issued for a NatsOperator.
type NatsOperatorStatus struct {
	// observedGeneration is the generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// publicKey is the operator identity public key (O...).
	// +optional
	PublicKey string `json:"publicKey,omitempty"`
	// signingKeys are every operator signing public key the operator JWT trusts.
	// +optional
	// +listType=atomic
	SigningKeys []string `json:"signingKeys,omitempty"`
	// systemAccount is the public key of the system account.
	// +optional
	SystemAccount string `json:"systemAccount,omitempty"`
	// serverConfigSecret is the name of the Secret holding auth.conf for nats-servers.
	// +optional
	ServerConfigSecret string `json:"serverConfigSecret,omitempty"`
	// claimsHash is a digest of the operator claims (ignoring issue time); it changes exactly when
	// nats-servers need the new operator JWT and so a restart.
	// +optional
	ClaimsHash string `json:"claimsHash,omitempty"`
	// jwt is the issued operator JWT (public, like an account's). It is kept here so that a
	// re-created server-config Secret carries the same JWT: nats-server cannot reload another
	// operator JWT, even one that differs only in its issue time.
	// +optional
	JWT string `json:"jwt,omitempty"`
	// signingKey reports the controller's operator signing key and its rotation (set once
	// spec.signingKeyRotation is declared).
	// +optional
	SigningKey *OperatorSigningKeyStatus `json:"signingKey,omitempty"`
	// serversClaimsHash is the claimsHash of the operator JWT that every nats-server answering
	// $SYS.REQ.SERVER.PING.VARZ runs (set by the resolver, with condition ServersRolled). A
	// scheduled rotation re-signs the accounts only once it equals claimsHash.
	// +optional
	ServersClaimsHash string `json:"serversClaimsHash,omitempty"`
	// conditions describe the operator's state; Ready is True when everything is issued, and
	// ServersRolled (resolver) whether every nats-server runs the current operator JWT.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// OperatorSigningKeyStatus reports the operator signing key and its rotation. Phases: Rotating
// (the operator JWT trusts publicKey and previousPublicKey; accounts stay signed by the previous
// key until serversRolledAt, then are re-signed and pushed), Retiring (every account is re-signed
// and every server acknowledged its re-signed JWT; the previous key stays until the grace period
// after accountsResignedAt ends) and Active (only
// publicKey is trusted).
type OperatorSigningKeyStatus struct {
	// publicKey is the signing public key (O...) of generation.
	// +optional
	PublicKey string `json:"publicKey,omitempty"`
	// generation is the key generation publicKey belongs to.
	// +optional
	Generation int32 `json:"generation,omitempty"`
	// phase is Active, Rotating or Retiring.
	// +optional
	Phase SigningKeyPhase `json:"phase,omitempty"`
	// previousPublicKey is the key the last rotation replaced; the operator JWT trusts it only
	// while the phase is Rotating or Retiring.
	// +optional
	PreviousPublicKey string `json:"previousPublicKey,omitempty"`
	// previousGeneration is the generation of previousPublicKey.
	// +optional
	PreviousGeneration int32 `json:"previousGeneration,omitempty"`
	// rotationStartedAt is when the last rotation started.
	// +optional
	RotationStartedAt *metav1.Time `json:"rotationStartedAt,omitempty"`
	// serversRolledAt is when every nats-server was first seen running an operator JWT that
	// trusts publicKey; accounts are signed by publicKey from then on.
	// +optional
	ServersRolledAt *metav1.Time `json:"serversRolledAt,omitempty"`
	// accountsResignedAt is when every account was seen re-signed by publicKey and its re-signed
	// JWT acknowledged by every nats-server (with the memory resolver: re-signed); the grace
	// period runs from here.
	// +optional
	AccountsResignedAt *metav1.Time `json:"accountsResignedAt,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true

// NatsOperatorList is a list of NatsOperators.
type NatsOperatorList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the NatsOperators.
	Items []NatsOperator `json:"items"`
}
