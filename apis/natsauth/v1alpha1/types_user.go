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
// +kubebuilder:resource:shortName=nu,categories=nats
// +kubebuilder:printcolumn:name="Public Key",type=string,JSONPath=".status.publicKey"
// +kubebuilder:printcolumn:name="Account",type=string,JSONPath=".status.account"
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=".status.conditions[?(@.type=='Ready')].reason"
// +kubebuilder:printcolumn:name="Secret",type=string,JSONPath=".status.secretName",priority=1
// +kubebuilder:printcolumn:name="Expires",type=string,JSONPath=".status.expiresAt",priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 63",message="a NatsUser name has at most 63 characters: it is the value of the natsauth.io/user label on its Secret"

// NatsUser is a NATS user of a NatsAccount. The controller writes its credentials (user.creds)
// into a Secret in the user's namespace, which applications and NACK mount.
type NatsUser struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired user.
	Spec NatsUserSpec `json:"spec"`
	// status is what the controller issued.
	// +optional
	Status NatsUserStatus `json:"status,omitempty"`
}

// NatsUserSpec is the desired state of a NatsUser.
// +kubebuilder:validation:XValidation:rule="!(has(self.expiration) && has(self.validFor))",message="set at most one of expiration and validFor"
type NatsUserSpec struct {
	// accountRef names the NatsAccount the user belongs to. The account must allow this
	// namespace in spec.allowedUserNamespaces unless it lives in the same namespace.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="accountRef is immutable: create a new NatsUser for another account"
	AccountRef NatsAccountReference `json:"accountRef"`

	UserPermissionLimits `json:",inline"`

	// tags are carried in the user JWT; scoped templates can use them via {{tag(k)}}.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=32
	Tags []Tag `json:"tags,omitempty"`
	// signingKey names a signing key of the account (spec.signingKeys) to sign this user; empty
	// means the account's default key. With a scoped key the user gets its permissions and limits
	// from the key's template only, so permissions, limits, connection types and bearer must stay
	// unset (the controller reports InvalidSpec otherwise).
	// +optional
	// +kubebuilder:validation:MaxLength=63
	SigningKey string `json:"signingKey,omitempty"`
	// secretName is the Secret the credentials are written to; default: the NatsUser's name. An
	// existing Secret not created for this NatsUser is never overwritten.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	SecretName string `json:"secretName,omitempty"`
	// expiration is when the credentials expire (RFC 3339); connected clients are closed then.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Format=date-time
	// +kubebuilder:validation:Pattern=`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$`
	// +kubebuilder:validation:XValidation:rule="self > timestamp('1970-01-01T00:00:00Z')",message="expiration must be after 1970-01-01T00:00:00Z: JWTs carry it in Unix seconds"
	Expiration *metav1.Time `json:"expiration,omitempty"`
	// validFor makes short-lived credentials (a duration such as 24h): each JWT is valid this long
	// and is re-issued, with the Secret updated in place, after two thirds of it.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^(0|(([0-9]+([.][0-9]*)?|[.][0-9]+)(ns|us|ms|s|m|h))+)$') && duration(self) >= duration('0s')",message="validFor must be a duration such as 500ms, 30s, 1m30s or 2h (units ns, us, ms, s, m, h; no sign, no spaces)"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^(0|(([0-9]+([.][0-9]*)?|[.][0-9]+)(ns|us|ms|s|m|h))+)$') || duration(self) >= duration('1m')",message="validFor must be at least 1m so that renewal can keep up"
	ValidFor *metav1.Duration `json:"validFor,omitempty"`
}

// NatsUserStatus is what the controller issued for a NatsUser.
type NatsUserStatus struct {
	// observedGeneration is the generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// publicKey is the user's public key (U...).
	// +optional
	PublicKey string `json:"publicKey,omitempty"`
	// account is the NatsAccount the user belongs to, as namespace/name (spec.accountRef with
	// its namespace defaulted), for kubectl get.
	// +optional
	// +kubebuilder:validation:MaxLength=317
	Account string `json:"account,omitempty"`
	// accountPublicKey is the public key of the account the user belongs to.
	// +optional
	AccountPublicKey string `json:"accountPublicKey,omitempty"`
	// secretName is the Secret holding user.creds, user.jwt and user.nk.
	// +optional
	SecretName string `json:"secretName,omitempty"`
	// claimsHash is a digest of the user claims (ignoring issue time); the JWT is re-issued only
	// when it changes or the credentials are due for renewal.
	// +optional
	ClaimsHash string `json:"claimsHash,omitempty"`
	// issuedAt is when the current JWT was issued.
	// +optional
	IssuedAt *metav1.Time `json:"issuedAt,omitempty"`
	// revokedBefore, when set, says that every JWT of this user's key issued before it is revoked
	// in the account (set when an edit re-issued the credentials, so older copies stop working).
	// +optional
	RevokedBefore *metav1.Time `json:"revokedBefore,omitempty"`
	// expiresAt is when the current JWT expires; unset means never.
	// +optional
	ExpiresAt *metav1.Time `json:"expiresAt,omitempty"`
	// credsDigest is the digest of the creds Secret's data as the controller last wrote or
	// verified it ("sha256:" and hex). A Secret whose data still has this digest is taken as
	// written, without verifying its JWT again; any other is verified and repaired.
	// +optional
	// +kubebuilder:validation:MaxLength=71
	CredsDigest string `json:"credsDigest,omitempty"`
	// conditions describe the user's state; Ready is True when the credentials are written.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true

// NatsUserList is a list of NatsUsers.
type NatsUserList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the NatsUsers.
	Items []NatsUser `json:"items"`
}
