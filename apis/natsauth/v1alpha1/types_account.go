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
// +kubebuilder:resource:shortName=nacc,categories=nats
// +kubebuilder:printcolumn:name="Public Key",type=string,JSONPath=".status.publicKey"
// +kubebuilder:printcolumn:name="Operator",type=string,JSONPath=".spec.operatorRef.name"
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=".status.conditions[?(@.type=='Ready')].reason"
// +kubebuilder:printcolumn:name="Pushed",type=string,JSONPath=".status.conditions[?(@.type=='Pushed')].reason",priority=1
// +kubebuilder:printcolumn:name="Revocations",type=integer,JSONPath=".status.revocations",priority=1
// +kubebuilder:printcolumn:name="JWT Size",type=string,JSONPath=".status.conditions[?(@.type=='JWTSizeNearLimit')].reason",priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 63",message="a NatsAccount name has at most 63 characters: it is the value of the natsauth.io/account label on its key Secret"

// NatsAccount is a NATS account: an isolated subject space with its own limits, exports and
// imports, signed by its NatsOperator. Only platform admins create accounts; users bind to them
// from the namespaces the account allows.
type NatsAccount struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired account.
	Spec NatsAccountSpec `json:"spec"`
	// status is what the controller issued and the resolver pushed.
	// +optional
	Status NatsAccountStatus `json:"status,omitempty"`
}

// NatsAccountSpec is the desired state of a NatsAccount.
// +kubebuilder:validation:XValidation:rule="has(self.keysSecretRef) == has(oldSelf.keysSecretRef)",message="keysSecretRef is set when the NatsAccount is created and never added or removed: an account never changes identity"
// +kubebuilder:validation:XValidation:rule="!has(self.allowedUserNamespaces) || !('*' in self.allowedUserNamespaces) || size(self.allowedUserNamespaces) == 1",message="'*' allows every namespace and must be the only entry of allowedUserNamespaces"
type NatsAccountSpec struct {
	// operatorRef names the NatsOperator, in this namespace, that signs the account.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="operatorRef is immutable: an account cannot move to another operator"
	OperatorRef LocalObjectReference `json:"operatorRef"`
	// description is a human-readable description carried in the JWT.
	// +optional
	// +kubebuilder:validation:MaxLength=8192
	Description string `json:"description,omitempty"`
	// infoURL is a link to more information, carried in the JWT.
	// +optional
	// +kubebuilder:validation:MaxLength=8192
	// +kubebuilder:validation:Pattern=`^[a-zA-Z][a-zA-Z0-9+.-]*://[^/]+`
	InfoURL string `json:"infoURL,omitempty"`
	// tags are carried in the JWT; scoped-key templates can use them via {{account-tag(k)}}.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=32
	Tags []Tag `json:"tags,omitempty"`
	// expiration is when the account JWT expires; all its users are disconnected then.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Format=date-time
	// +kubebuilder:validation:Pattern=`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$`
	// +kubebuilder:validation:XValidation:rule="self > timestamp('1970-01-01T00:00:00Z')",message="expiration must be after 1970-01-01T00:00:00Z: JWTs carry it in Unix seconds"
	Expiration *metav1.Time `json:"expiration,omitempty"`
	// allowedUserNamespaces are the namespaces whose NatsUsers may bind to this account, besides
	// the account's own namespace. A single "*" allows every namespace.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MaxLength=63
	// +kubebuilder:validation:items:Pattern=`^(\*|[a-z0-9]([-a-z0-9]*[a-z0-9])?)$`
	AllowedUserNamespaces []string `json:"allowedUserNamespaces,omitempty"`
	// maxUserLifetime bounds the life of every user JWT of this account (a duration such as
	// 720h). Users without validFor or expiration get it as their validFor and are renewed after
	// two thirds of it; a longer validFor or a later expiration is shortened to it. With it set,
	// revocations are compacted once every JWT they revoke has expired, so the account JWT stays
	// small however many users come and go. Changing it re-issues every user of the account.
	// Unset: user JWTs may live forever, and so do their revocations.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^(0|(([0-9]+([.][0-9]*)?|[.][0-9]+)(ns|us|ms|s|m|h))+)$') && duration(self) >= duration('0s')",message="maxUserLifetime must be a duration such as 500ms, 30s, 1m30s or 2h (units ns, us, ms, s, m, h; no sign, no spaces)"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^(0|(([0-9]+([.][0-9]*)?|[.][0-9]+)(ns|us|ms|s|m|h))+)$') || duration(self) >= duration('1h')",message="maxUserLifetime must be at least 1h"
	MaxUserLifetime *metav1.Duration `json:"maxUserLifetime,omitempty"`
	// limits are the account-wide limits. Unset fields mean unlimited, never 0.
	// +optional
	Limits *AccountLimits `json:"limits,omitempty"`
	// jetstream enables JetStream for the account with these limits; absent means disabled.
	// +optional
	JetStream *JetStreamSpec `json:"jetstream,omitempty"`
	// defaultPermissions apply to users whose own permissions are unset. nats-servers apply
	// changes to connected users at once.
	// +optional
	DefaultPermissions *Permissions `json:"defaultPermissions,omitempty"`
	// exports are the streams and services other accounts may import.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=256
	Exports []Export `json:"exports,omitempty"`
	// imports are streams and services taken from other accounts.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=256
	Imports []Import `json:"imports,omitempty"`
	// mappings rewrite subjects published in this account, optionally split by weight.
	// +optional
	// +listType=map
	// +listMapKey=from
	// +kubebuilder:validation:MaxItems=256
	Mappings []Mapping `json:"mappings,omitempty"`
	// signingKeys are named account signing keys in addition to the unscoped "default" key the
	// controller always creates. A key with a scope is a scoped key: users that name it get their
	// permissions and limits from its template only.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=32
	SigningKeys []AccountSigningKey `json:"signingKeys,omitempty"`
	// signingKeyRotation declares a rotation of the unscoped default signing key: raising
	// generation adds a new key, re-issues every user with it and retires the old key (see
	// SigningKeyRotation). Unset keeps the current generation: 0, the key the account was
	// created with, for a key that never rotated.
	// +optional
	SigningKeyRotation *SigningKeyRotation `json:"signingKeyRotation,omitempty"`
	// keyDeletionPolicy says whether the account-keys Secret is deleted with this object (Delete)
	// or kept so that a re-created NatsAccount of the same name adopts the same identity (Retain,
	// the default). A new account key orphans the account's JetStream data.
	// +optional
	// +kubebuilder:default=Retain
	KeyDeletionPolicy KeyDeletionPolicy `json:"keyDeletionPolicy,omitempty"`

	// --- Adopting an nsc setup (issue 15, item 2) ---

	// keysSecretRef names a Secret, in this namespace, that the user created from an nsc store
	// with the account's seeds: account.nk (the identity, SA...), signing-default.nk (the default
	// signing key) and signing-<name>.nk for each entry of signingKeys. The account then keeps its
	// nsc identity. The controller only reads that Secret: it never writes, labels or deletes it,
	// and keyDeletionPolicy does not apply to it. Unset (the default): keys are generated.
	// +optional
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="keysSecretRef is immutable: an account never changes identity"
	KeysSecretRef *KeysSecretReference `json:"keysSecretRef,omitempty"`
	// --- end of adoption fields ---
}

// AccountLimits are account-wide limits; -1 means unlimited, unset means unlimited.
type AccountLimits struct {
	// conn is the maximum number of client connections; lowering it closes the newest ones.
	// +optional
	// +kubebuilder:validation:Minimum=-1
	Conn *int64 `json:"conn,omitempty"`
	// leafConn is the maximum number of leafnode connections.
	// +optional
	// +kubebuilder:validation:Minimum=-1
	LeafConn *int64 `json:"leafConn,omitempty"`
	// subs is the maximum number of subscriptions.
	// +optional
	// +kubebuilder:validation:Minimum=-1
	Subs *int64 `json:"subs,omitempty"`
	// data is the maximum number of bytes; nats-server does not enforce it.
	// +optional
	// +kubebuilder:validation:Minimum=-1
	Data *int64 `json:"data,omitempty"`
	// payload is the maximum message payload in bytes.
	// +optional
	// +kubebuilder:validation:Minimum=-1
	Payload *int64 `json:"payload,omitempty"`
	// imports is the maximum number of imports.
	// +optional
	// +kubebuilder:validation:Minimum=-1
	Imports *int64 `json:"imports,omitempty"`
	// exports is the maximum number of exports.
	// +optional
	// +kubebuilder:validation:Minimum=-1
	Exports *int64 `json:"exports,omitempty"`
	// wildcards allows exports with wildcard subjects (checked only when exports is limited).
	// Unset means allowed.
	// +optional
	Wildcards *bool `json:"wildcards,omitempty"`
	// disallowBearer refuses bearer-token users; connected ones are disconnected.
	// +optional
	DisallowBearer bool `json:"disallowBearer,omitempty"`
}

// JetStreamSpec enables JetStream with either flat limits or per-replica tiers, never both.
// +kubebuilder:validation:XValidation:rule="!has(self.tiers) || size(self.tiers) == 0 || !(has(self.memStorage) || has(self.diskStorage) || has(self.streams) || has(self.consumers) || has(self.maxAckPending) || has(self.memMaxStreamBytes) || has(self.diskMaxStreamBytes) || has(self.maxBytesRequired))",message="use either flat JetStream limits or tiers, not both: nats-server silently drops the flat limits when tiers exist"
type JetStreamSpec struct {
	JetStreamLimits `json:",inline"`
	// tiers are limits per stream replica count, keyed R1, R3 and so on. A stream whose replica
	// count has no tier cannot be created.
	// +optional
	// +kubebuilder:validation:MaxProperties=8
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^R[1-9][0-9]?$'))",message="tier names are R followed by a replica count, for example R1 or R3"
	Tiers map[string]JetStreamLimits `json:"tiers,omitempty"`
}

// JetStreamLimits are JetStream limits. Unset storage means unlimited (-1); 0 disables that
// storage type.
type JetStreamLimits struct {
	// memStorage is the bytes of memory storage; -1 unlimited.
	// +optional
	// +kubebuilder:validation:Minimum=-1
	MemStorage *int64 `json:"memStorage,omitempty"`
	// diskStorage is the bytes of file storage; -1 unlimited.
	// +optional
	// +kubebuilder:validation:Minimum=-1
	DiskStorage *int64 `json:"diskStorage,omitempty"`
	// streams is the maximum number of streams; -1 unlimited.
	// +optional
	// +kubebuilder:validation:Minimum=-1
	Streams *int64 `json:"streams,omitempty"`
	// consumers is the maximum number of consumers; -1 unlimited.
	// +optional
	// +kubebuilder:validation:Minimum=-1
	Consumers *int64 `json:"consumers,omitempty"`
	// maxAckPending is the most unacknowledged messages per consumer; -1 unlimited.
	// +optional
	// +kubebuilder:validation:Minimum=-1
	MaxAckPending *int64 `json:"maxAckPending,omitempty"`
	// memMaxStreamBytes is the largest a memory stream may be; -1 unlimited.
	// +optional
	// +kubebuilder:validation:Minimum=-1
	MemMaxStreamBytes *int64 `json:"memMaxStreamBytes,omitempty"`
	// diskMaxStreamBytes is the largest a file stream may be; -1 unlimited.
	// +optional
	// +kubebuilder:validation:Minimum=-1
	DiskMaxStreamBytes *int64 `json:"diskMaxStreamBytes,omitempty"`
	// maxBytesRequired makes every stream declare its max bytes.
	// +optional
	MaxBytesRequired *bool `json:"maxBytesRequired,omitempty"`
}

// ExportType is stream or service.
// +kubebuilder:validation:Enum=stream;service
type ExportType string

const (
	// ExportStream is a one-way flow of messages.
	ExportStream ExportType = "stream"
	// ExportService answers requests.
	ExportService ExportType = "service"
)

// Export offers a subject to other accounts.
// +kubebuilder:validation:XValidation:rule="self.type == 'service' || (!has(self.responseType) && !has(self.responseThreshold))",message="responseType and responseThreshold apply to service exports only"
type Export struct {
	// name labels the export.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	Name string `json:"name,omitempty"`
	// subject is the exported subject; wildcards are allowed.
	Subject Subject `json:"subject"`
	// type is stream or service.
	Type ExportType `json:"type"`
	// tokenRequired makes the export private: importers need an activation token, which the
	// controller mints for NatsAccounts that import it by reference.
	// +optional
	TokenRequired bool `json:"tokenRequired,omitempty"`
	// responseType is how a service answers: Singleton (default), Stream or Chunked.
	// +optional
	// +kubebuilder:validation:Enum=Singleton;Stream;Chunked
	ResponseType string `json:"responseType,omitempty"`
	// responseThreshold is how long a service may take to respond (a duration such as 2s).
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^(0|(([0-9]+([.][0-9]*)?|[.][0-9]+)(ns|us|ms|s|m|h))+)$') && duration(self) >= duration('0s')",message="responseThreshold must be a duration such as 500ms, 30s, 1m30s or 2h (units ns, us, ms, s, m, h; no sign, no spaces)"
	ResponseThreshold *metav1.Duration `json:"responseThreshold,omitempty"`
	// accountTokenPosition is the 1-based subject token that must equal the importer's account
	// public key; that token must be '*' in subject.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=2147483647
	AccountTokenPosition *int32 `json:"accountTokenPosition,omitempty"`
	// advertise marks the export as discoverable by tools.
	// +optional
	Advertise bool `json:"advertise,omitempty"`
	// description is a human-readable description.
	// +optional
	// +kubebuilder:validation:MaxLength=8192
	Description string `json:"description,omitempty"`
	// infoURL is a link to more information.
	// +optional
	// +kubebuilder:validation:MaxLength=8192
	InfoURL string `json:"infoURL,omitempty"`
}

// Import takes a stream or service from another account.
// +kubebuilder:validation:XValidation:rule="has(self.accountRef) != has(self.accountPublicKey)",message="set exactly one of accountRef and accountPublicKey"
type Import struct {
	// name labels the import.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	Name string `json:"name,omitempty"`
	// subject is the exporter's subject, as it exports it (for services, the subject requests go to).
	Subject Subject `json:"subject"`
	// localSubject is the subject in this account, when it differs; it may use $1..$n for the
	// wildcards of subject.
	// +optional
	LocalSubject Subject `json:"localSubject,omitempty"`
	// type is stream or service, matching the export.
	Type ExportType `json:"type"`
	// accountRef names the exporting NatsAccount. The controller resolves its public key and, for a
	// token-required export, mints the activation token.
	// +optional
	AccountRef *NatsAccountReference `json:"accountRef,omitempty"`
	// accountPublicKey is the exporting account's public key (A...), for accounts this operator
	// does not manage. Token-required exports from such accounts are not supported.
	// +optional
	// +kubebuilder:validation:Pattern=`^A[A-Z2-7]{55}$`
	AccountPublicKey string `json:"accountPublicKey,omitempty"`
	// share shares service latency information with the exporter (services only).
	// +optional
	Share bool `json:"share,omitempty"`
}

// Mapping rewrites a subject to one or more destinations.
type Mapping struct {
	// from is the subject to rewrite.
	From Subject `json:"from"`
	// to are the destinations; weights (percent) must add up to at most 100 per cluster.
	// +listType=atomic
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	To []MappingDestination `json:"to"`
}

// MappingDestination is one weighted destination of a mapping.
type MappingDestination struct {
	// subject is the destination; it may use {{wildcard(n)}} and the other mapping functions.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:XValidation:rule="!self.matches('[[:space:][:cntrl:]]')",message="a destination subject has no spaces or control characters, not even inside mapping functions (nats-server refuses them): write {{wildcard(1)}}, not {{ wildcard(1) }}"
	Subject string `json:"subject"`
	// weight is the percentage of messages sent here; unset means 100.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	Weight *int32 `json:"weight,omitempty"`
	// cluster restricts this destination to one cluster.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	Cluster string `json:"cluster,omitempty"`
}

// AccountSigningKey is a named account signing key, optionally scoped.
type AccountSigningKey struct {
	// name identifies the key; NatsUsers refer to it in spec.signingKey. "default" is reserved.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:XValidation:rule="self != 'default'",message="the name default is reserved for the controller's unscoped signing key"
	Name string `json:"name"`
	// scope, when set, makes this a scoped key: every user it signs gets exactly this template.
	// Changing the template disconnects those users, who reconnect with the new one.
	// +optional
	Scope *SigningKeyScope `json:"scope,omitempty"`
	// rotation declares a rotation of this key, like spec.signingKeyRotation for the default key.
	// +optional
	Rotation *SigningKeyRotation `json:"rotation,omitempty"`
}

// RotationMode says how a signing-key rotation treats the key it replaces.
// +kubebuilder:validation:Enum=Scheduled;Emergency
type RotationMode string

const (
	// RotationScheduled keeps the old key trusted until every user it signed was re-issued with
	// the new key and the grace period passed, so connected clients keep working.
	RotationScheduled RotationMode = "Scheduled"
	// RotationEmergency removes the old key from the account JWT at once: every JWT it signed is
	// refused by the servers as soon as they have the new account JWT.
	RotationEmergency RotationMode = "Emergency"
)

// SigningKeyRotation is a declared rotation of one account signing key.
// +kubebuilder:validation:XValidation:rule="self.generation >= oldSelf.generation",message="generation only goes up: a lower one would name a retired key"
type SigningKeyRotation struct {
	// generation is the key generation wanted; raising it starts a rotation to a new key. It
	// only goes up. Generation 0 is the key the account was created with.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000000
	Generation int32 `json:"generation"`
	// mode is Scheduled (the default: overlap, then retire) or Emergency (drop the old key now).
	// Setting Emergency during a scheduled rotation drops the old key at once.
	// +optional
	// +kubebuilder:default=Scheduled
	Mode RotationMode `json:"mode,omitempty"`
	// gracePeriod is how long the old key stays trusted after the last JWT it signed was
	// replaced (users for an account key, accounts for the operator key), so that clients can
	// load their new credentials and servers their new account JWTs. Unset means 10m.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^(0|(([0-9]+([.][0-9]*)?|[.][0-9]+)(ns|us|ms|s|m|h))+)$') && duration(self) >= duration('0s')",message="gracePeriod must be a duration such as 30s, 10m or 1h (units ns, us, ms, s, m, h; no sign, no spaces)"
	GracePeriod *metav1.Duration `json:"gracePeriod,omitempty"`
}

// SigningKeyPhase is where a signing key is in its rotation.
type SigningKeyPhase string

const (
	// SigningKeyActive: one key; any earlier one is no longer trusted.
	SigningKeyActive SigningKeyPhase = "Active"
	// SigningKeyRotating: the new key signs, the previous one is still trusted while users
	// signed by it are re-issued.
	SigningKeyRotating SigningKeyPhase = "Rotating"
	// SigningKeyRetiring: every user was re-issued; the previous key is trusted until the grace
	// period ends.
	SigningKeyRetiring SigningKeyPhase = "Retiring"
)

// SigningKeyScope is the template applied to users of a scoped signing key.
type SigningKeyScope struct {
	// role is a label for the scope, shown by tools.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	Role string `json:"role,omitempty"`
	// description describes the scope.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Description string `json:"description,omitempty"`
	// template is applied to every user signed by this key. Subjects may use {{name()}},
	// {{subject()}}, {{account-name()}}, {{account-subject()}}, {{tag(k)}} and {{account-tag(k)}}.
	Template UserPermissionLimits `json:"template"`
}

// SigningKeyStatus reports one account signing key.
type SigningKeyStatus struct {
	// name is the key's name from spec.signingKeys, or default.
	Name string `json:"name"`
	// publicKey is the signing public key (A...).
	PublicKey string `json:"publicKey"`
	// scoped is true for a scoped key.
	// +optional
	Scoped bool `json:"scoped,omitempty"`
	// generation is the key generation publicKey belongs to (set once a rotation is declared).
	// +optional
	Generation int32 `json:"generation,omitempty"`
	// phase is the key's rotation phase: Active, Rotating or Retiring (set once a rotation is
	// declared).
	// +optional
	Phase SigningKeyPhase `json:"phase,omitempty"`
	// previousPublicKey is the key the last rotation replaced; the account JWT trusts it only
	// while the phase is Rotating or Retiring.
	// +optional
	PreviousPublicKey string `json:"previousPublicKey,omitempty"`
	// previousGeneration is the generation of previousPublicKey.
	// +optional
	PreviousGeneration int32 `json:"previousGeneration,omitempty"`
	// rotationStartedAt is when the last rotation started.
	// +optional
	RotationStartedAt *metav1.Time `json:"rotationStartedAt,omitempty"`
	// usersReissuedAt is when the last user signed by previousPublicKey was re-issued; the grace
	// period runs from here.
	// +optional
	UsersReissuedAt *metav1.Time `json:"usersReissuedAt,omitempty"`
}

// NatsAccountStatus is what the controller issued and the resolver pushed for a NatsAccount.
type NatsAccountStatus struct {
	// observedGeneration is the generation the controller's part of the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// publicKey is the account identity public key (A...).
	// +optional
	PublicKey string `json:"publicKey,omitempty"`
	// operatorPublicKey is the public key of the operator that signs the account.
	// +optional
	OperatorPublicKey string `json:"operatorPublicKey,omitempty"`
	// jwt is the signed account JWT. It is not a credential; the resolver pushes it from here.
	// +optional
	JWT string `json:"jwt,omitempty"`
	// claimsHash is a digest of the account claims (ignoring issue time); the JWT is re-signed only
	// when it changes.
	// +optional
	ClaimsHash string `json:"claimsHash,omitempty"`
	// signingKeys are the account's signing keys.
	// +optional
	// +listType=map
	// +listMapKey=name
	SigningKeys []SigningKeyStatus `json:"signingKeys,omitempty"`
	// revocations is the number of revoked user keys in the JWT.
	// +optional
	Revocations int32 `json:"revocations,omitempty"`
	// pushedClaimsHash is the claimsHash every nats-server acknowledged last (set by the resolver).
	// +optional
	PushedClaimsHash string `json:"pushedClaimsHash,omitempty"`
	// pushedIssuer is the public key that signed the account JWT every nats-server acknowledged
	// last (set by the resolver with pushedClaimsHash). pushedClaimsHash ignores iss, so this is
	// what tells an operator signing-key rotation that the re-signed JWT reached every server.
	// +optional
	PushedIssuer string `json:"pushedIssuer,omitempty"`
	// deleteRequest is the operator-signed request to delete this account from the nats-servers,
	// set by the controller while the account is being deleted and the operator allows deletes;
	// the resolver sends it. It authorizes nothing beyond deleting this account and only
	// system-account users can send it.
	// +optional
	DeleteRequest string `json:"deleteRequest,omitempty"`
	// conditions: Ready (controller), JWTSizeNearLimit (controller: True once the signed JWT
	// reaches three quarters of the largest JWT the servers accept, 1 MiB, their default
	// max_payload; Ready stays True), SigningKeysRotated (controller, spec.keysSecretRef only:
	// False while a declared rotation waits for a seed only the user can add; Ready stays
	// True), Pushed (resolver: acknowledged by n of N servers) and, while the account is being
	// deleted, Deleted (resolver: deleted from n of N servers).
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true

// NatsAccountList is a list of NatsAccounts.
type NatsAccountList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the NatsAccounts.
	Items []NatsAccount `json:"items"`
}
