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

package user

import (
	"errors"
	"strings"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/specconv"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// toUserSpec converts a NatsUser into the natsjwt description of its JWT. It is pure: the
// account identity and whether the signing key is scoped are passed in. Expires carries only
// spec.expiration; the expiry of validFor credentials depends on when they are signed, so the
// caller sets it at signing time and keeps it out of the claims hash.
func toUserSpec(user *natsv1alpha1.NatsUser, accountPub string, scoped bool) natsjwt.UserSpec {
	spec := natsjwt.UserSpec{
		Name:          user.Name,
		IssuerAccount: accountPub,
		Scoped:        scoped,
		Tags:          specconv.Strings(user.Spec.Tags),
	}
	if user.Spec.Expiration != nil {
		spec.Expires = user.Spec.Expiration.Time
	}
	spec.UserPermissionLimits = specconv.PermissionLimits(user.Spec.UserPermissionLimits)
	return spec
}

// specFields maps the first element of natsjwt's user field paths to the NatsUser field that
// produced it, so messages point at what the user wrote (spec.limits.times[0].start rather than
// times[0].start).
var specFields = map[string]string{
	"pubAllow":               "spec.permissions.pub.allow",
	"pubDeny":                "spec.permissions.pub.deny",
	"subAllow":               "spec.permissions.sub.allow",
	"subDeny":                "spec.permissions.sub.deny",
	"resp":                   "spec.permissions.resp",
	"src":                    "spec.limits.src",
	"times":                  "spec.limits.times",
	"timesLocation":          "spec.limits.timesLocation",
	"subs":                   "spec.limits.subs",
	"data":                   "spec.limits.data",
	"payload":                "spec.limits.payload",
	"bearerToken":            "spec.bearerToken",
	"allowedConnectionTypes": "spec.allowedConnectionTypes",
	"tags":                   "spec.tags",
	"expires":                "spec.expiration",
	"name":                   "metadata.name",
	"issuerAccount":          "the account's status.publicKey",
}

// specPath translates one natsjwt issue path; unknown paths are prefixed with "spec.".
func specPath(path string) string {
	if path == "" {
		return "spec"
	}
	head, rest := path, ""
	if i := strings.IndexAny(path, ".["); i >= 0 {
		head, rest = path[:i], path[i:]
	}
	if mapped, ok := specFields[head]; ok {
		return mapped + rest
	}
	return "spec." + path
}

// invalidSpecMessage lists every problem of a natsjwt validation error with NatsUser paths, so
// one edit can fix them all. Other errors are returned as they are.
func invalidSpecMessage(err error) string {
	var ve *natsjwt.ValidationError
	if !errors.As(err, &ve) {
		return err.Error()
	}
	parts := make([]string, len(ve.Issues))
	for i, is := range ve.Issues {
		parts[i] = specPath(is.Field) + ": " + is.Message
	}
	return "invalid user: " + strings.Join(parts, "; ")
}
