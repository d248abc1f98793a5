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

	"github.com/nats-io/jwt/v2"
)

// UserClaims builds the unsigned claims of a user JWT for userPub.
//
// The result is deterministic: lists with no meaningful order (permission
// subjects, CIDRs, time windows, connection types, tags) are sorted and
// de-duplicated. Unset limits are -1 (unlimited), never 0. issuer_account is
// always set from spec.IssuerAccount, which is required.
//
// Scoped users get SetScoped(true): their JWT carries no permissions or
// limits, and a spec that sets any is rejected with one issue per field.
//
// Validation covers everything jwt's Validate checks plus stricter subject,
// key and enum checks. Time checks against the clock are not done here (the
// builder has no clock); NotBefore must be before Expires. See CheckTimes
// and Sign for clock-based checks.
func UserClaims(userPub string, spec UserSpec) (*jwt.UserClaims, error) {
	if err := ValidatePublicKey(userPub, KindUser); err != nil {
		return nil, fmt.Errorf("user public key: %w", err)
	}
	is := &issues{}
	uc := jwt.NewUserClaims(userPub)
	uc.Name = checkText(is, "name", spec.Name)
	if spec.IssuerAccount == "" {
		is.add("issuerAccount", "must be the account's public key: users are signed by an account signing key, and the server rejects such users without issuer_account")
	} else {
		checkPublicKey(is, "issuerAccount", spec.IssuerAccount, KindAccount)
	}
	uc.IssuerAccount = spec.IssuerAccount
	uc.Tags = buildTags(is, "tags", spec.Tags)
	uc.Expires = unixTime(is, "expires", spec.Expires)
	uc.NotBefore = unixTime(is, "notBefore", spec.NotBefore)
	if uc.Expires != 0 && uc.NotBefore != 0 && uc.NotBefore >= uc.Expires {
		is.add("notBefore", "must be before expires")
	}
	if spec.Scoped {
		for _, f := range setUserFields(spec.UserPermissionLimits) {
			is.add(f, "must be empty for a scoped user: its permissions and limits come from the scoped signing key's template")
		}
		uc.SetScoped(true)
	} else {
		uc.UserPermissionLimits = buildUserPermissionLimits(is, "", spec.UserPermissionLimits, false)
	}
	uc.Type = jwt.UserClaim
	uc.Version = claimsVersion
	if err := is.finish("user", uc); err != nil {
		return nil, err
	}
	return uc, nil
}
