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
	"fmt"
	"net/url"

	"github.com/nats-io/jwt/v2"
)

// OperatorClaims builds the unsigned claims of the operator JWT for
// operatorPub. Sign it with the operator identity key (operator JWTs are
// self-signed). Signing keys, service URLs and tags are sorted and
// de-duplicated so the result is deterministic. jwt's NewOperatorClaims
// pre-sets iss to the subject; it is cleared here so every builder returns
// claims with empty iss, iat and jti.
//
// Validation covers jwt's rules (key types, URL schemes, version format)
// with field paths. No clock-based checks are done; see CheckTimes.
func OperatorClaims(operatorPub string, spec OperatorSpec) (*jwt.OperatorClaims, error) {
	if err := ValidatePublicKey(operatorPub, KindOperator); err != nil {
		return nil, fmt.Errorf("operator public key: %w", err)
	}
	is := &issues{}
	oc := jwt.NewOperatorClaims(operatorPub)
	oc.Issuer = ""
	oc.Name = checkText(is, "name", spec.Name)
	oc.SigningKeys = operatorSigningKeys(is, operatorPub, spec.SigningKeys)
	if spec.SystemAccount != "" {
		checkPublicKey(is, "systemAccount", spec.SystemAccount, KindAccount)
	}
	oc.SystemAccount = spec.SystemAccount
	oc.StrictSigningKeyUsage = spec.StrictSigningKeyUsage
	oc.OperatorServiceURLs = serviceURLs(is, "serviceURLs", spec.ServiceURLs)
	oc.AccountServerURL = accountServerURL(is, "accountServerURL", spec.AccountServerURL)
	oc.Tags = buildTags(is, "tags", spec.Tags)
	if _, _, _, err := jwt.ParseServerVersion(spec.AssertServerVersion); err != nil {
		is.add("assertServerVersion", "%q must look like 2.10.0 (major.minor.update)", spec.AssertServerVersion)
	}
	oc.AssertServerVersion = spec.AssertServerVersion
	oc.Expires = unixTime(is, "expires", spec.Expires)
	oc.Type = jwt.OperatorClaim
	oc.Version = claimsVersion
	if err := is.finish("operator", oc); err != nil {
		return nil, err
	}
	return oc, nil
}

// operatorSigningKeys checks the signing keys. Listing the identity key
// itself is refused: it is pointless without strict mode and, with it,
// would quietly undo what strict mode is for.
func operatorSigningKeys(is *issues, operatorPub string, keys []string) jwt.StringList {
	for i, k := range keys {
		p := index("signingKeys", i)
		if checkPublicKey(is, p, k, KindOperator) && k == operatorPub {
			is.add(p, "is the operator identity key; list only separate signing keys")
		}
	}
	return jwt.StringList(sortedUnique(keys))
}

// serviceURLs checks operator service URLs with jwt's own rule.
func serviceURLs(is *issues, path string, urls []string) jwt.StringList {
	for i, u := range urls {
		if u == "" {
			is.add(index(path, i), "must not be empty")
			continue
		}
		if err := jwt.ValidateOperatorServiceURL(u); err != nil {
			is.add(index(path, i), "%v", err)
		}
	}
	return jwt.StringList(sortedUnique(urls))
}

// accountServerURL checks the URL parses and has a scheme (as jwt and its
// Encode require) and a host.
func accountServerURL(is *issues, path, v string) string {
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	switch {
	case err != nil:
		is.add(path, "is not a valid URL: %v", err)
	case u.Scheme == "" || u.Host == "":
		// jwt only demands a scheme, but "host:4222" parses as scheme
		// "host" with no host, which no tool can use.
		is.add(path, "%q needs a scheme and a host, like nats://nats:4222 or https://accounts.example.com/jwt/v1", v)
	}
	return v
}
