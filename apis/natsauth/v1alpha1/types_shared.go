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

// Every field whose Go decoder can refuse what the schema's type admits (metav1.Duration:
// time.ParseDuration; metav1.Time: RFC 3339; int32: its range) carries a rule that admits only
// what the decoder accepts. The apiserver stores whatever the schema admits, and one stored
// object that the typed client cannot decode fails the informer's list of its whole kind, which
// stops reconciliation for every tenant. test/integration's TestSchemaDecodesWhatItAdmits finds
// such fields by reflection and probes each one.

// Subject is a NATS subject: dot-separated tokens, no whitespace, no empty tokens. The wildcards
// '*' (one token) and '>' (the rest, last token only) are allowed where the field says so.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=256
// +kubebuilder:validation:XValidation:rule="self.matches('^[^[:space:][:cntrl:].]+([.][^[:space:][:cntrl:].]+)*$')",message="a subject is dot-separated tokens with no spaces, control characters or empty tokens, for example orders.created or events.>"
// +kubebuilder:validation:XValidation:rule="!self.contains('>') || self == '>' || (self.endsWith('.>') && self.indexOf('>') == size(self) - 1)",message="'>' may only be the last token of a subject, for example events.>"
type Subject string

// SubscribeSubject is a subject a user may subscribe to, optionally followed by one space and a
// queue group name ("orders.* workers").
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=256
// +kubebuilder:validation:XValidation:rule="self.matches('^[^[:space:][:cntrl:].]+([.][^[:space:][:cntrl:].]+)*( [^[:space:][:cntrl:]]+)?$')",message="a subscribe subject is dot-separated tokens with no empty tokens or control characters, optionally followed by one space and a queue name, for example orders.* or 'orders.* workers'"
type SubscribeSubject string

// CIDR is an IPv4 or IPv6 network in CIDR notation.
// +kubebuilder:validation:MaxLength=64
// +kubebuilder:validation:XValidation:rule="isCIDR(self)",message="must be a network in CIDR notation, for example 10.0.0.0/8 or 2001:db8::/32"
type CIDR string

// Tag is a free-form label carried in a JWT. NATS lower-cases tags; upper-case letters are refused
// here so that what you write is what the JWT says.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=128
// +kubebuilder:validation:XValidation:rule="self == self.lowerAscii() && !self.matches('[[:space:][:cntrl:]]')",message="a tag is lower-case and has no spaces or control characters, for example team:payments"
type Tag string

// KeyDeletionPolicy says what happens to an object's key Secret when the object is deleted.
// +kubebuilder:validation:Enum=Retain;Delete
type KeyDeletionPolicy string

const (
	// KeyDeletionPolicyRetain keeps the key Secret so a re-created object adopts the same identity.
	KeyDeletionPolicyRetain KeyDeletionPolicy = "Retain"
	// KeyDeletionPolicyDelete gives the key Secret an owner reference so it is garbage-collected.
	KeyDeletionPolicyDelete KeyDeletionPolicy = "Delete"
)

// Permissions are the publish, subscribe and response permissions of a user.
type Permissions struct {
	// pub lists the subjects that may (allow) and may not (deny) be published to. Deny wins.
	// +optional
	Pub *PublishPermission `json:"pub,omitempty"`
	// sub lists the subjects that may (allow) and may not (deny) be subscribed to. Deny wins.
	// +optional
	Sub *SubscribePermission `json:"sub,omitempty"`
	// resp lets a user publish replies to the requests it received, even where pub does not allow
	// the reply subject.
	// +optional
	Resp *ResponsePermission `json:"resp,omitempty"`
}

// PublishPermission is an allow and a deny list of publish subjects.
type PublishPermission struct {
	// allow lists the subjects that may be published to; empty means all that deny does not deny.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=128
	Allow []Subject `json:"allow,omitempty"`
	// deny lists the subjects that may never be published to.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=128
	Deny []Subject `json:"deny,omitempty"`
}

// SubscribePermission is an allow and a deny list of subscribe subjects (with optional queue).
type SubscribePermission struct {
	// allow lists the subjects that may be subscribed to; empty means all that deny does not deny.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=128
	Allow []SubscribeSubject `json:"allow,omitempty"`
	// deny lists the subjects that may never be subscribed to.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=128
	Deny []SubscribeSubject `json:"deny,omitempty"`
}

// ResponsePermission allows publishing replies to received requests.
type ResponsePermission struct {
	// maxMsgs is how many replies may be sent per request; -1 means unlimited. Default 1.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=-1
	// +kubebuilder:validation:Maximum=2147483647
	MaxMsgs int32 `json:"maxMsgs,omitempty"`
	// ttl is how long after the request the replies may be sent (a duration such as 5s). Unset
	// means no time limit.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^(0|(([0-9]+([.][0-9]*)?|[.][0-9]+)(ns|us|ms|s|m|h))+)$') && duration(self) >= duration('0s')",message="ttl must be a duration such as 500ms, 30s, 1m30s or 2h (units ns, us, ms, s, m, h; no sign, no spaces)"
	TTL *metav1.Duration `json:"ttl,omitempty"`
}

// UserLimits limits one user's connections. Unset fields mean unlimited, never 0.
type UserLimits struct {
	// subs is the maximum number of subscriptions per connection; -1 means unlimited.
	// +optional
	// +kubebuilder:validation:Minimum=-1
	Subs *int64 `json:"subs,omitempty"`
	// data is the maximum number of bytes; -1 means unlimited. nats-server does not enforce it.
	// +optional
	// +kubebuilder:validation:Minimum=-1
	Data *int64 `json:"data,omitempty"`
	// payload is the maximum message payload in bytes; -1 means unlimited.
	// +optional
	// +kubebuilder:validation:Minimum=-1
	Payload *int64 `json:"payload,omitempty"`
	// src lists the client networks the user may connect from; empty means any.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	Src []CIDR `json:"src,omitempty"`
	// times lists the daily windows in which the user may connect; empty means always. A
	// connection is closed when its window ends.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	Times []TimeRange `json:"times,omitempty"`
	// timesLocation is the IANA time zone of times (for example Europe/Berlin); empty means the
	// nats-server's local time.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=64
	TimesLocation string `json:"timesLocation,omitempty"`
}

// TimeRange is a daily window; it may cross midnight (22:00:00 to 06:00:00).
type TimeRange struct {
	// start is the beginning of the window, HH:MM:SS in 24-hour time.
	// +kubebuilder:validation:XValidation:rule="self.matches('^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$')",message="a time is HH:MM:SS in 24-hour time, for example 08:00:00"
	// +kubebuilder:validation:MaxLength=8
	Start string `json:"start"`
	// end is the end of the window, HH:MM:SS in 24-hour time.
	// +kubebuilder:validation:XValidation:rule="self.matches('^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$')",message="a time is HH:MM:SS in 24-hour time, for example 17:30:00"
	// +kubebuilder:validation:MaxLength=8
	End string `json:"end"`
}

// ConnectionType is a kind of client connection nats-server distinguishes.
// +kubebuilder:validation:Enum=STANDARD;WEBSOCKET;LEAFNODE;LEAFNODE_WS;MQTT;MQTT_WS;IN_PROCESS
type ConnectionType string

// UserPermissionLimits is what a user JWT says about permissions and limits. A NatsUser carries it
// directly, and a scoped account signing key carries it as the template for its users.
type UserPermissionLimits struct {
	// permissions are the user's publish, subscribe and response permissions. Unset means the
	// account's defaultPermissions apply.
	// +optional
	Permissions *Permissions `json:"permissions,omitempty"`
	// limits are the user's connection limits. Unset fields mean unlimited.
	// +optional
	Limits *UserLimits `json:"limits,omitempty"`
	// allowedConnectionTypes restricts how the user may connect; empty means any.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=7
	AllowedConnectionTypes []ConnectionType `json:"allowedConnectionTypes,omitempty"`
	// bearerToken lets the JWT alone authenticate, without proving the private key. Only for
	// clients that cannot sign a nonce (for example browsers); the account may disallow it.
	// +optional
	BearerToken bool `json:"bearerToken,omitempty"`
}

// NatsAccountReference names a NatsAccount.
type NatsAccountReference struct {
	// name is the NatsAccount's name.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// namespace is the NatsAccount's namespace; empty means the referring object's namespace.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace,omitempty"`
}

// LocalObjectReference names an object in the same namespace.
type LocalObjectReference struct {
	// name is the object's name.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// Condition types and reasons shared by the kinds.
const (
	// ConditionReady is True when everything the object asks for is issued and stored.
	ConditionReady = "Ready"
	// ConditionPushed (NatsAccount only) is True when every nats-server acknowledged the JWT.
	ConditionPushed = "Pushed"
	// ConditionJWTSizeNearLimit (NatsAccount only) is True when the signed account JWT is close
	// to the largest message the nats-servers accept: pushes and lookups of a larger one fail.
	// Without spec.maxUserLifetime its revocations, and so the JWT, only grow.
	ConditionJWTSizeNearLimit = "JWTSizeNearLimit"
	// ConditionSigningKeysRotated (NatsAccount with spec.keysSecretRef only) is False while a
	// declared signing-key rotation waits for the seed of its new generation, which only the
	// user can add to their Secret; the key stays at its current generation meanwhile.
	ConditionSigningKeysRotated = "SigningKeysRotated"
	// ConditionDeleted (NatsAccount only, while it is being deleted) is True when every
	// nats-server acknowledged the account's delete request.
	ConditionDeleted = "Deleted"
)
