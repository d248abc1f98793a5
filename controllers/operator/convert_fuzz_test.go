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

package operator

import (
	"errors"
	"slices"
	"testing"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// FuzzOperatorSpec: whatever a NatsOperator's spec says, converting it and building the
// operator claims never panics; the claims are either refused with a validation error, or carry
// the system account and every signing key (the controller's own first), and sign and decode.
func FuzzOperatorSpec(f *testing.F) {
	f.Add("main", "", "nats://nats:4222", "https://accounts.example/jwt", "prod", true)
	f.Add("x", "OABC", "tls://a:1", "", "", false)
	f.Add("", "not-a-key", "http://a", "nats://b", "Team:A B", false)
	identity, err := nkeys.CreateOperator()
	if err != nil {
		f.Fatal(err)
	}
	signing, err := nkeys.CreateOperator()
	if err != nil {
		f.Fatal(err)
	}
	external, _ := nkeys.CreateOperator()
	externalPub, _ := external.PublicKey()
	identityPub, _ := identity.PublicKey()
	signingPub, _ := signing.PublicKey()
	sys, _ := nkeys.CreateAccount()
	sysPub, _ := sys.PublicKey()
	f.Fuzz(func(t *testing.T, name, signingKey, serviceURL, accountServerURL, tag string, strict bool) {
		if signingKey == "external" {
			signingKey = externalPub
		}
		op := &natsv1alpha1.NatsOperator{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "nats"},
			Spec: natsv1alpha1.NatsOperatorSpec{StrictSigningKeyUsage: strict, AccountServerURL: accountServerURL}}
		if signingKey != "" {
			op.Spec.SigningKeys = []string{signingKey}
		}
		if serviceURL != "" {
			op.Spec.ServiceURLs = []string{serviceURL}
		}
		if tag != "" {
			op.Spec.Tags = []natsv1alpha1.Tag{natsv1alpha1.Tag(tag)}
		}
		spec := operatorSpec(op, signing, sysPub)
		oc, err := natsjwt.OperatorClaims(identityPub, spec)
		if err != nil {
			if !errors.Is(err, natsjwt.ErrInvalidSpec) && !errors.Is(err, natsjwt.ErrInvalidKey) && !errors.Is(err, natsjwt.ErrWrongKeyType) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if oc.SystemAccount != sysPub || len(oc.SigningKeys) == 0 || !slices.Contains(oc.SigningKeys, signingPub) {
			t.Fatalf("operator claims lack the system account or the signing key: %+v", oc)
		}
		if signingKey != "" && !slices.Contains(oc.SigningKeys, signingKey) {
			t.Fatalf("external signing key %q dropped: %v", signingKey, oc.SigningKeys)
		}
		token, _, err := natsjwt.Sign(oc, identity)
		if err != nil {
			if errors.Is(err, natsjwt.ErrExpired) {
				return
			}
			t.Fatalf("claims accepted by the builder are refused by Sign: %v", err)
		}
		if _, err := jwt.DecodeOperatorClaims(token); err != nil {
			t.Fatalf("signed operator JWT does not decode: %v", err)
		}
	})
}
