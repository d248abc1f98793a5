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

// Package specconv converts the API types that several kinds share (permissions, user limits)
// into their natsjwt descriptions. It is pure: no clients, no clock.
package specconv

import (
	"time"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// UnlimitedTTL is jwt's "no time limit" for response permissions: nats-server turns a ttl of 0
// into two minutes and checks the ttl only when it is positive, and the CRD documents an unset
// ttl as unlimited.
const UnlimitedTTL = time.Duration(-1)

// PermissionLimits converts the permissions and limits shared by users and scoped key
// templates. Unset limits stay nil, which natsjwt encodes as unlimited (-1), never 0.
func PermissionLimits(u natsv1alpha1.UserPermissionLimits) natsjwt.UserPermissionLimits {
	out := natsjwt.UserPermissionLimits{
		Permissions:            Permissions(u.Permissions),
		BearerToken:            u.BearerToken,
		AllowedConnectionTypes: Strings(u.AllowedConnectionTypes),
	}
	if l := u.Limits; l != nil {
		out.Subs, out.Data, out.Payload = l.Subs, l.Data, l.Payload
		out.Src = Strings(l.Src)
		out.TimesLocation = l.TimesLocation
		for _, tr := range l.Times {
			out.Times = append(out.Times, natsjwt.TimeRange{Start: tr.Start, End: tr.End})
		}
	}
	return out
}

// Permissions converts publish, subscribe and response permissions.
func Permissions(p *natsv1alpha1.Permissions) natsjwt.Permissions {
	var out natsjwt.Permissions
	if p == nil {
		return out
	}
	if p.Pub != nil {
		out.PubAllow, out.PubDeny = Strings(p.Pub.Allow), Strings(p.Pub.Deny)
	}
	if p.Sub != nil {
		out.SubAllow, out.SubDeny = Strings(p.Sub.Allow), Strings(p.Sub.Deny)
	}
	if p.Resp != nil {
		out.Resp = &natsjwt.ResponsePermission{MaxMsgs: int(p.Resp.MaxMsgs), TTL: UnlimitedTTL}
		if p.Resp.TTL != nil {
			out.Resp.TTL = p.Resp.TTL.Duration
		}
	}
	return out
}

// Strings converts a list of string-typed values (subjects, tags, CIDRs, connection types).
func Strings[S ~string](in []S) []string {
	if len(in) == 0 {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = string(s)
	}
	return out
}
