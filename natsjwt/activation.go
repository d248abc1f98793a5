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
	"time"

	"github.com/nats-io/jwt/v2"
)

// ActivationClaims builds the unsigned claims of an activation token that
// lets the importing account importerPub import subject (kind ExportStream
// or ExportService) from a TokenRequired export. issuerAccount is the
// exporter's identity key and must be set when the token will be signed by
// one of the exporter's signing keys; leave it empty when the exporter's
// identity key signs. expires may be zero (no expiry); the server removes
// the import when the activation expires.
func ActivationClaims(importerPub, subject, kind, issuerAccount string, expires time.Time) (*jwt.ActivationClaims, error) {
	if err := ValidatePublicKey(importerPub, KindAccount); err != nil {
		return nil, fmt.Errorf("importer public key: %w", err)
	}
	is := &issues{}
	checkSubject(is, "subject", subject)
	ac := jwt.NewActivationClaims(importerPub)
	ac.ImportSubject = jwt.Subject(subject)
	ac.ImportType = exportType(is, "kind", kind)
	if issuerAccount != "" {
		checkPublicKey(is, "issuerAccount", issuerAccount, KindAccount)
	}
	ac.IssuerAccount = issuerAccount
	ac.Expires = unixTime(is, "expires", expires)
	ac.Type = jwt.ActivationClaim
	ac.Version = claimsVersion
	if err := is.finish("activation", ac); err != nil {
		return nil, err
	}
	return ac, nil
}
