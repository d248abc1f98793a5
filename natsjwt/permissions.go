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

import (
	"net"
	"slices"
	"strings"
	"time"
	// The controller image may have no zoneinfo. Without embedded tzdata,
	// every times_location except UTC would fail validation here although
	// the NATS server (which has its own tzdata) accepts it.
	_ "time/tzdata"

	"github.com/nats-io/jwt/v2"
)

// timeOfDay is the layout jwt and the server use for TimeRange values.
const timeOfDay = "15:04:05"

// connectionTypes are the values the server knows for
// allowed_connection_types. Unknown ones are ignored by the server when a
// known one remains and rejected otherwise; either way they are a mistake.
var connectionTypes = []string{
	jwt.ConnectionTypeStandard,
	jwt.ConnectionTypeWebsocket,
	jwt.ConnectionTypeLeafnode,
	jwt.ConnectionTypeLeafnodeWS,
	jwt.ConnectionTypeMqtt,
	jwt.ConnectionTypeMqttWS,
	jwt.ConnectionTypeInProcess,
}

// buildPermissions converts and checks p. Subject lists are sorted and
// de-duplicated: their order has no meaning, so reordering a CR list must
// not change the hash and force a re-sign.
func buildPermissions(is *issues, path string, p Permissions) jwt.Permissions {
	var out jwt.Permissions
	out.Pub.Allow = permissionList(is, field(path, "pubAllow"), p.PubAllow, false)
	out.Pub.Deny = permissionList(is, field(path, "pubDeny"), p.PubDeny, false)
	out.Sub.Allow = permissionList(is, field(path, "subAllow"), p.SubAllow, true)
	out.Sub.Deny = permissionList(is, field(path, "subDeny"), p.SubDeny, true)
	if p.Resp != nil {
		out.Resp = &jwt.ResponsePermission{MaxMsgs: p.Resp.MaxMsgs, Expires: p.Resp.TTL}
	}
	return out
}

// permissionList checks each entry and returns the sorted unique list.
func permissionList(is *issues, path string, list []string, allowQueue bool) jwt.StringList {
	for i, s := range list {
		checkPermissionEntry(is, index(path, i), s, allowQueue)
	}
	return jwt.StringList(sortedUnique(list))
}

// buildUserPermissionLimits converts and checks u. template is true for a
// scoped signing key template, where 0 limits cannot be represented.
func buildUserPermissionLimits(is *issues, path string, u UserPermissionLimits, template bool) jwt.UserPermissionLimits {
	var out jwt.UserPermissionLimits
	out.Permissions = buildPermissions(is, path, u.Permissions)
	out.Src = buildCIDRs(is, field(path, "src"), u.Src)
	out.Times = buildTimes(is, field(path, "times"), u.Times)
	out.Locale = buildLocation(is, field(path, "timesLocation"), u.TimesLocation)
	out.Subs = userLimit(is, field(path, "subs"), u.Subs, template)
	out.Data = userLimit(is, field(path, "data"), u.Data, template)
	out.Payload = userLimit(is, field(path, "payload"), u.Payload, template)
	out.BearerToken = u.BearerToken
	out.AllowedConnectionTypes = buildConnectionTypes(is, field(path, "allowedConnectionTypes"), u.AllowedConnectionTypes)
	return out
}

// userLimit is limit() plus the template rule: jwt omits a 0 limit from
// the JSON and NewUserScope pre-fills -1 before decoding, so a template
// limit of 0 would come back (in the server too) as unlimited.
func userLimit(is *issues, path string, v *int64, template bool) int64 {
	n := limit(is, path, v)
	if template && v != nil && *v == 0 {
		is.add(path, "cannot be 0 in a scoped signing key template: jwt encodes 0 as absent and the server reads it back as -1 (unlimited); use 1 or more, or leave it unset")
	}
	return n
}

// buildCIDRs checks and normalises source networks (trimmed, lower case
// like jwt's CIDRList.Add), sorted and de-duplicated.
func buildCIDRs(is *issues, path string, src []string) jwt.CIDRList {
	norm := make([]string, 0, len(src))
	for i, c := range src {
		n := strings.ToLower(strings.TrimSpace(c))
		if _, _, err := net.ParseCIDR(n); err != nil {
			is.add(index(path, i), "%q is not a CIDR such as 10.0.0.0/8 or 2001:db8::/32", c)
			continue
		}
		norm = append(norm, n)
	}
	return jwt.CIDRList(sortedUnique(norm))
}

// buildTimes checks the daily windows and sorts them by start, then end.
func buildTimes(is *issues, path string, times []TimeRange) []jwt.TimeRange {
	if len(times) == 0 {
		return nil
	}
	out := make([]jwt.TimeRange, 0, len(times))
	for i, tr := range times {
		p := index(path, i)
		okStart := checkTimeOfDay(is, field(p, "start"), tr.Start)
		okEnd := checkTimeOfDay(is, field(p, "end"), tr.End)
		if okStart && okEnd {
			out = append(out, jwt.TimeRange{Start: tr.Start, End: tr.End})
		}
	}
	slices.SortFunc(out, func(a, b jwt.TimeRange) int {
		return strings.Compare(a.Start+"-"+a.End, b.Start+"-"+b.End)
	})
	return slices.Compact(out)
}

// checkTimeOfDay checks one "HH:MM:SS" value.
func checkTimeOfDay(is *issues, path, v string) bool {
	if v == "" {
		is.add(path, "must be set, as HH:MM:SS")
		return false
	}
	if _, err := time.Parse(timeOfDay, v); err != nil {
		is.add(path, "%q is not a time of day in HH:MM:SS (24-hour) form", v)
		return false
	}
	return true
}

// buildLocation checks an IANA zone name. "Local" is refused: it would
// mean the zone of whichever machine evaluates it.
func buildLocation(is *issues, path, name string) string {
	if name == "" {
		return ""
	}
	if name == "Local" {
		is.add(path, `"Local" depends on the server's configuration; use an IANA zone such as "Europe/Berlin", or leave it empty for the server's local time`)
		return name
	}
	if _, err := time.LoadLocation(name); err != nil {
		is.add(path, "%q is not an IANA time zone such as \"Europe/Berlin\" or \"UTC\"", name)
	}
	return name
}

// buildConnectionTypes checks the values against the server's list.
func buildConnectionTypes(is *issues, path string, types []string) jwt.StringList {
	for i, t := range types {
		if !slices.Contains(connectionTypes, t) {
			is.add(index(path, i), "%q is not one of %s", t, strings.Join(connectionTypes, ", "))
		}
	}
	return jwt.StringList(sortedUnique(types))
}

// setUserFields names the fields of u that carry a value, for the scoped
// user check.
func setUserFields(u UserPermissionLimits) []string {
	var set []string
	add := func(name string, isSet bool) {
		if isSet {
			set = append(set, name)
		}
	}
	add("pubAllow", len(u.PubAllow) > 0)
	add("pubDeny", len(u.PubDeny) > 0)
	add("subAllow", len(u.SubAllow) > 0)
	add("subDeny", len(u.SubDeny) > 0)
	add("resp", u.Resp != nil)
	add("src", len(u.Src) > 0)
	add("times", len(u.Times) > 0)
	add("timesLocation", u.TimesLocation != "")
	add("subs", u.Subs != nil)
	add("data", u.Data != nil)
	add("payload", u.Payload != nil)
	add("bearerToken", u.BearerToken)
	add("allowedConnectionTypes", len(u.AllowedConnectionTypes) > 0)
	return set
}
