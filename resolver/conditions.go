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

package resolver

// Names of the controller, its queue and its writes.
const (
	// ControllerName names the queue, the logger and the sync metrics.
	ControllerName = "resolver"
	// FieldManager owns the Pushed condition, status.pushedClaimsHash and status.pushedIssuer
	// (the key that signed the JWT every server acknowledged). The controller binary
	// writes the rest of the status under its own manager; server-side apply merges the two.
	FieldManager = "nats-auth-resolver"
	// DeleteFieldManager owns the Deleted condition. It is not FieldManager: an apply drops
	// every field its manager stops listing, so the Deleted apply would otherwise have to repeat
	// the Pushed condition, pushedClaimsHash and pushedIssuer exactly, from a cache that may lag.
	DeleteFieldManager = "nats-auth-resolver-delete"
)

// Reasons of the Pushed condition, also used as event reasons.
const (
	// ReasonPushed: every expected server acknowledged the current JWT.
	ReasonPushed = "Pushed"
	// ReasonPartiallyPushed: some servers acknowledged, others refused or stayed silent.
	ReasonPartiallyPushed = "PartiallyPushed"
	// ReasonPushFailed: no server acknowledged, or the resolver could not reach NATS.
	ReasonPushFailed = "PushFailed"
	// ReasonUntrustedIssuer: the JWT is not signed by a signing key of the operator, so it is
	// never pushed (a full server would store it and then fail to load it).
	ReasonUntrustedIssuer = "UntrustedIssuer"
	// ReasonInvalidJWT: status.jwt does not decode as this account's JWT.
	ReasonInvalidJWT = "InvalidJWT"
	// ReasonJWTTooLarge: the JWT is larger than the servers' max_payload, so it was not sent;
	// the servers keep the JWT they have. Pushes are retried, in case max_payload is raised.
	ReasonJWTTooLarge = "JWTTooLarge"
	// ReasonPushNotSupported: the operator's servers run the memory resolver, which takes
	// accounts only from resolver_preload in auth.conf.
	ReasonPushNotSupported = "PushNotSupported"
)

// Reasons of the Deleted condition, set while an account is being deleted. Failures are also
// event reasons; the controller announces the success when it lets the object go.
const (
	// ReasonDeletedFromServers: every expected server acknowledged the delete request (a
	// server that did not have the account acknowledges it too).
	ReasonDeletedFromServers = "DeletedFromServers"
	// ReasonPartiallyDeleted: some servers acknowledged, others refused or stayed silent.
	ReasonPartiallyDeleted = "PartiallyDeleted"
	// ReasonDeleteFailed: no server acknowledged, or the resolver could not reach NATS.
	ReasonDeleteFailed = "DeleteFailed"
	// ReasonInvalidDeleteRequest: status.deleteRequest is not a request signed by an operator
	// signing key to delete exactly this account, so it is never sent.
	ReasonInvalidDeleteRequest = "InvalidDeleteRequest"
)
