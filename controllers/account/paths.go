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

package account

import (
	"regexp"
	"strconv"
	"strings"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// natsjwt reports problems with the field paths of its own spec types. The user edits the CRD,
// so each path is mapped back to the CRD field it came from; a path this file does not know is
// kept as it is, which is still close enough to find the field.

var (
	indexedPath = regexp.MustCompile(`^(scopedSigningKeys|signingKeys)\[(\d+)\](.*)$`)
	mappingPath = regexp.MustCompile(`^mappings\[("(?:[^"\\]|\\.)*")\](.*)$`)
	listIndex   = regexp.MustCompile(`^\[(\d+)\](.*)$`)
)

// permissionFields maps natsjwt's flat permission lists onto the CRD's pub/sub objects.
var permissionFields = []struct{ from, to string }{
	{".pubAllow", ".pub.allow"}, {".pubDeny", ".pub.deny"},
	{".subAllow", ".sub.allow"}, {".subDeny", ".sub.deny"},
}

// templateLimitFields are the template fields that live under limits in the CRD.
var templateLimitFields = []string{".subs", ".data", ".payload", ".src", ".times", ".timesLocation"}

// specIssues returns the issues of ve with CRD paths (relative to spec).
func specIssues(acc *natsv1alpha1.NatsAccount, ve *natsjwt.ValidationError) []natsjwt.Issue {
	out := make([]natsjwt.Issue, 0, len(ve.Issues))
	for _, is := range ve.Issues {
		out = append(out, natsjwt.Issue{Field: specPath(acc, is.Field), Message: is.Message})
	}
	return out
}

// issuesMessage renders issues as one condition message, each path prefixed with "spec.".
func issuesMessage(issues []natsjwt.Issue) string {
	parts := make([]string, 0, len(issues))
	for _, is := range issues {
		if is.Field == "" {
			parts = append(parts, is.Message)
			continue
		}
		parts = append(parts, "spec."+is.Field+": "+is.Message)
	}
	return strings.Join(parts, "; ")
}

// specPath maps one natsjwt field path to the CRD path of acc.
func specPath(acc *natsv1alpha1.NatsAccount, p string) string {
	switch {
	case p == "expires":
		return "expiration"
	case strings.HasPrefix(p, "jetStreamTiers"):
		return "jetstream.tiers" + strings.TrimPrefix(p, "jetStreamTiers")
	case strings.HasPrefix(p, "jetStream"):
		return "jetstream" + strings.TrimPrefix(p, "jetStream")
	case strings.HasPrefix(p, "defaultPermissions"):
		return "defaultPermissions" + permissionPath(strings.TrimPrefix(p, "defaultPermissions"))
	case strings.HasPrefix(p, "mappings["):
		return mappingSpecPath(acc, p)
	case strings.HasPrefix(p, "imports[") && strings.HasSuffix(p, "].account"):
		// The public key came from accountRef or accountPublicKey; the import is what to fix.
		return strings.TrimSuffix(p, ".account")
	}
	if m := indexedPath.FindStringSubmatch(p); m != nil {
		return signingKeySpecPath(acc, m[1] == "scopedSigningKeys", m[2], m[3])
	}
	return p
}

// signingKeySpecPath maps scopedSigningKeys[i] and signingKeys[i] (natsjwt's split of the keys,
// see accountSigningKeys) back to spec.signingKeys[j].
func signingKeySpecPath(acc *natsv1alpha1.NatsAccount, scoped bool, idx, rest string) string {
	n, _ := strconv.Atoi(idx)
	// The plain list starts with the controller's default key, which is not in the spec.
	if !scoped && n == 0 {
		return "signingKeys (the default signing key)" + rest
	}
	if !scoped {
		n--
	}
	seen := 0
	for j, sk := range acc.Spec.SigningKeys {
		if (sk.Scope != nil) != scoped {
			continue
		}
		if seen == n {
			base := "signingKeys[" + strconv.Itoa(j) + "]"
			return base + scopeFieldPath(rest)
		}
		seen++
	}
	return "signingKeys" + rest
}

// scopeFieldPath maps the fields of natsjwt.ScopedSigningKey onto AccountSigningKey.
func scopeFieldPath(rest string) string {
	switch {
	case rest == ".key" || rest == "":
		return ""
	case rest == ".role" || rest == ".description":
		return ".scope" + rest
	case strings.HasPrefix(rest, ".template"):
		return ".scope.template" + templatePath(strings.TrimPrefix(rest, ".template"))
	}
	return rest
}

// templatePath maps a natsjwt.UserPermissionLimits field onto natsv1alpha1.UserPermissionLimits.
func templatePath(rest string) string {
	for _, f := range permissionFields {
		if strings.HasPrefix(rest, f.from) {
			return ".permissions" + permissionPath(rest)
		}
	}
	for _, f := range templateLimitFields {
		if rest == f || strings.HasPrefix(rest, f+"[") || strings.HasPrefix(rest, f+".") {
			return ".limits" + rest
		}
	}
	return rest
}

func permissionPath(rest string) string {
	for _, f := range permissionFields {
		if rest == f.from || strings.HasPrefix(rest, f.from+"[") {
			return f.to + strings.TrimPrefix(rest, f.from)
		}
	}
	return rest
}

// mappingSpecPath maps mappings["from"][j].x (natsjwt keys mappings by subject) onto the CRD list,
// mappings[i].to[j].x.
func mappingSpecPath(acc *natsv1alpha1.NatsAccount, p string) string {
	m := mappingPath.FindStringSubmatch(p)
	if m == nil {
		return p
	}
	from, err := strconv.Unquote(m[1])
	if err != nil {
		return p
	}
	for i, mp := range acc.Spec.Mappings {
		if string(mp.From) != from {
			continue
		}
		base := "mappings[" + strconv.Itoa(i) + "]"
		if d := listIndex.FindStringSubmatch(m[2]); d != nil {
			return base + ".to[" + d[1] + "]" + d[2]
		}
		return base + m[2]
	}
	return p
}
