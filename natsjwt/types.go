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

package natsjwt

import "time"

// The types in this file are the Kubernetes-independent description of what
// a JWT should say. Controllers mirror them from their CRDs (see
// controllers/<kind>/convert.go). Pointers mean "optional with a default";
// the default is always jwt's "unlimited" (-1), never 0, because 0 is a real
// limit in NATS ("no subscriptions at all").

// Permissions are subject permissions for publishing, subscribing and
// replying. They are used for account default permissions, user permissions
// and scoped signing key templates.
type Permissions struct {
	// PubAllow lists subjects the client may publish to. Entries may not name
	// a queue group.
	PubAllow []string
	// PubDeny lists subjects the client may not publish to.
	PubDeny []string
	// SubAllow lists subjects the client may subscribe to. An entry may be
	// "subject queue" to allow only that queue group.
	SubAllow []string
	// SubDeny lists subjects the client may not subscribe to ("subject queue"
	// allowed).
	SubDeny []string
	// Resp, when set, lets the client publish to the reply subject of
	// requests it received even if PubAllow does not cover it.
	Resp *ResponsePermission
}

// ResponsePermission bounds replies to received requests. The server maps
// MaxMsgs 0 to 1 and TTL 0 to two minutes; negative values mean unlimited.
type ResponsePermission struct {
	// MaxMsgs is the number of replies allowed per request.
	MaxMsgs int
	// TTL is how long after the request replies are allowed.
	TTL time.Duration
}

// OperatorSpec describes an operator JWT.
type OperatorSpec struct {
	// Name is the JWT name.
	Name string
	// SigningKeys are operator public keys (O…) that may sign account JWTs.
	SigningKeys []string
	// SystemAccount is the system account public key (A…). Servers using a
	// NATS-based resolver need it, here or in their config.
	SystemAccount string
	// StrictSigningKeyUsage makes servers accept only signing keys, never the
	// identity key, as issuers of account JWTs (and, one level down, of users).
	StrictSigningKeyUsage bool
	// ServiceURLs are nats://, tls://, ws:// or wss:// URLs for tools.
	ServiceURLs []string
	// AccountServerURL is the account server base URL used by tools. Beware:
	// a server configured without an explicit resolver builds a URL resolver
	// from it.
	AccountServerURL string
	// Tags are free-form tags; jwt lower-cases them.
	Tags []string
	// AssertServerVersion is a minimum server version, "major.minor.update".
	AssertServerVersion string
	// Expires is the JWT expiry; the zero value means never.
	Expires time.Time
}

// AccountSpec describes an account JWT.
type AccountSpec struct {
	// Name is the JWT name; templates expand it as {{account-name()}}.
	Name string
	// Description is free text of at most 8 KiB.
	Description string
	// InfoURL must have a scheme and a host.
	InfoURL string
	// Tags are free-form tags; jwt lower-cases them. {{account-tag(k)}}
	// expands the values of "k:v" tags.
	Tags []string
	// Expires is the JWT expiry; the zero value means never.
	Expires time.Time
	// Limits are the connection and messaging limits.
	Limits AccountLimits
	// JetStream enables JetStream with account-wide limits. Nil disables
	// JetStream (unless JetStreamTiers is set).
	JetStream *JetStreamLimits
	// JetStreamTiers enables JetStream with per-replica-count limits, keyed
	// "R1", "R3", ... It cannot be combined with JetStream.
	JetStreamTiers map[string]JetStreamLimits
	// DefaultPermissions apply to users whose JWT has no permissions of its own.
	DefaultPermissions Permissions
	// Exports are streams and services offered to other accounts.
	Exports []Export
	// Imports are streams and services taken from other accounts.
	Imports []Import
	// Mappings map a subject to weighted destinations.
	Mappings map[string][]WeightedMapping
	// SigningKeys are plain account signing public keys (A…).
	SigningKeys []string
	// ScopedSigningKeys are signing keys whose users get the template's
	// permissions and limits.
	ScopedSigningKeys []ScopedSigningKey
	// Revocations maps user public keys (or "*" for all users) to a unix
	// time; user JWTs issued at or before it are rejected. See revocations.go.
	Revocations map[string]int64
}

// AccountLimits are account-wide limits. A nil pointer means unlimited (-1).
type AccountLimits struct {
	// Conn is the maximum number of client connections.
	Conn *int64
	// LeafConn is the maximum number of leafnode connections.
	LeafConn *int64
	// Subs is the maximum number of subscriptions per connection.
	Subs *int64
	// Data is the maximum number of bytes; the server does not enforce it.
	Data *int64
	// Payload is the maximum message payload in bytes.
	Payload *int64
	// Imports is the maximum number of imports in this JWT.
	Imports *int64
	// Exports is the maximum number of exports in this JWT.
	Exports *int64
	// Wildcards allows wildcard export subjects; nil means allowed. Unlike
	// jwt, which checks it only when Exports is limited, this package always
	// enforces false.
	Wildcards *bool
	// DisallowBearer rejects bearer-token user JWTs.
	DisallowBearer bool
}

// JetStreamLimits are JetStream limits, account-wide or for one tier.
//
// A nil MemStorage, DiskStorage, Streams or Consumers means unlimited (-1);
// in particular nil storage means "enabled, unlimited", never "disabled".
// Set a storage to 0 to disable that storage type. A nil or -1 MaxAckPending,
// MemMaxStreamBytes or DiskMaxStreamBytes is written as 0, jwt's own
// "unlimited" for those three fields (the server turns 0 into -1).
type JetStreamLimits struct {
	// MemStorage is the total bytes of memory storage; 0 disables it.
	MemStorage *int64
	// DiskStorage is the total bytes of file storage; 0 disables it.
	DiskStorage *int64
	// Streams is the maximum number of streams.
	Streams *int64
	// Consumers is the maximum number of consumers.
	Consumers *int64
	// MaxAckPending is the maximum ack-pending per consumer.
	MaxAckPending *int64
	// MemMaxStreamBytes is the largest allowed memory stream.
	MemMaxStreamBytes *int64
	// DiskMaxStreamBytes is the largest allowed file stream.
	DiskMaxStreamBytes *int64
	// MaxBytesRequired makes streams declare max_bytes.
	MaxBytesRequired bool
}

// Values of Export.Type, Import.Type and the kind of ActivationClaims.
const (
	// ExportStream is the Type of a stream export or import.
	ExportStream = "stream"
	// ExportService is the Type of a service export or import.
	ExportService = "service"
)

// Export offers a stream or a service to other accounts.
type Export struct {
	// Name is a label.
	Name string
	// Subject is the exported subject; wildcards need Limits.Wildcards.
	Subject string
	// Type is ExportStream or ExportService.
	Type string
	// TokenRequired makes the export private: importers need an activation.
	TokenRequired bool
	// ResponseType is "Singleton" (default when empty), "Stream" or
	// "Chunked"; services only.
	ResponseType string
	// ResponseThreshold is the expected response time; services only.
	ResponseThreshold time.Duration
	// AccountTokenPosition is the 1-based subject token, a "*", that must
	// hold the importer's account public key.
	AccountTokenPosition uint
	// Advertise is a hint for tools.
	Advertise bool
	// Description is free text of at most 8 KiB.
	Description string
	// InfoURL must have a scheme and a host.
	InfoURL string
	// Revocations maps importing account public keys (or "*") to a unix
	// time; activations issued at or before it are rejected.
	Revocations map[string]int64
}

// Import takes a stream or service from another account.
type Import struct {
	// Name is a label.
	Name string
	// Subject is the exporter's subject (for services: what the importer
	// sends to).
	Subject string
	// LocalSubject renames Subject locally; it may use $1..$n.
	LocalSubject string
	// Account is the exporting account's public key.
	Account string
	// Token is the activation JWT for a TokenRequired export.
	Token string
	// Type is ExportStream or ExportService.
	Type string
	// Share shares latency information; services only.
	Share bool
}

// WeightedMapping is one destination of a subject mapping.
type WeightedMapping struct {
	// Subject is the destination subject.
	Subject string
	// Weight is a percentage, 1-100; 0 means 100.
	Weight uint8
	// Cluster restricts the destination to one cluster.
	Cluster string
}

// ScopedSigningKey is an account signing key whose users take permissions
// and limits from Template instead of their own JWT.
type ScopedSigningKey struct {
	// Key is the signing public key (A…).
	Key string
	// Role is a name for the scope.
	Role string
	// Description is free text.
	Description string
	// Template holds the users' permissions and limits. Its Subs, Data and
	// Payload may not be 0: jwt drops 0 when encoding and reads a missing
	// value back as -1, so 0 would silently become unlimited.
	Template UserPermissionLimits
}

// TimeRange is a daily window, "HH:MM:SS" to "HH:MM:SS"; it may wrap
// around midnight.
type TimeRange struct {
	// Start is the window start.
	Start string
	// End is the window end.
	End string
}

// UserPermissionLimits are a user's permissions and limits (also used as a
// scoped signing key template).
type UserPermissionLimits struct {
	Permissions
	// Src lists CIDRs the client may connect from; empty means anywhere.
	Src []string
	// Times lists daily windows in which the client may connect.
	Times []TimeRange
	// TimesLocation is the IANA zone of Times; empty means server local time.
	TimesLocation string
	// Subs is the maximum number of subscriptions; nil means unlimited.
	Subs *int64
	// Data is the maximum number of bytes; nil means unlimited (not enforced).
	Data *int64
	// Payload is the maximum message payload; nil means unlimited.
	Payload *int64
	// BearerToken lets the client connect with the JWT alone.
	BearerToken bool
	// AllowedConnectionTypes restricts connection types (STANDARD,
	// WEBSOCKET, LEAFNODE, LEAFNODE_WS, MQTT, MQTT_WS, IN_PROCESS).
	AllowedConnectionTypes []string
}

// UserSpec describes a user JWT.
type UserSpec struct {
	// Name is the JWT name; templates expand it as {{name()}}.
	Name string
	// IssuerAccount is the account identity public key. It is required
	// because this project always signs users with an account signing key,
	// and the server rejects signing-key users without it.
	IssuerAccount string
	// Scoped marks a user signed by a scoped signing key: the JWT then carries
	// no permissions or limits and UserPermissionLimits must be empty.
	Scoped bool
	UserPermissionLimits
	// Tags are free-form tags; jwt lower-cases them. {{tag(k)}} expands the
	// values of "k:v" tags.
	Tags []string
	// Expires is the JWT expiry; the zero value means never.
	Expires time.Time
	// NotBefore is the start of validity; the zero value means immediately.
	NotBefore time.Time
}
