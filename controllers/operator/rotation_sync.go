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
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"

	"github.com/nats-io/jwt/v2"
	corev1 "k8s.io/api/core/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// planRotation advances the signing-key rotation from the stored status (op is still the cached
// copy's content). Operators with adopted or external keys do not rotate here (CEL refuses
// signingKeyRotation next to them): nsc holds their keys.
func (c *Controller) planRotation(op *natsv1alpha1.NatsOperator) (keyStep, error) {
	if op.Spec.KeysSecretRef != nil || op.Spec.External != nil {
		return keyStep{}, nil
	}
	// Every account status write re-queues the operator: the accounts are listed at most once
	// per sync, and only by the steps that need them (after ServersRolledAt).
	var accounts []*natsv1alpha1.NatsAccount
	listed := false
	live := func() []*natsv1alpha1.NatsAccount {
		if !listed {
			accounts, listed = c.issuedAccounts(op), true
		}
		return accounts
	}
	in := rotationInputs{
		now:          c.deps.Clock.Now(),
		serversTrust: func(pub string) bool { return serversTrust(op.Status, pub) },
		accountsLeft: func(pub string) []string {
			return accountNames(live(), func(a *natsv1alpha1.NatsAccount) bool { return tokenIssuer(a.Status.JWT) == pub })
		},
		accountsUnpushed: func(pub string) []string {
			return accountNames(live(), func(a *natsv1alpha1.NatsAccount) bool { return a.Status.PushedIssuer != pub })
		},
	}
	if op.Spec.Resolver.Type == natsv1alpha1.ResolverMemory {
		// Nothing is pushed: the servers load the re-signed JWTs from resolver_preload.
		in.accountsUnpushed = nil
	}
	if op.Status.PublicKey != "" && len(op.Status.SigningKeys) > 0 {
		in.currentPub = op.Status.SigningKeys[0]
	}
	step, err := stepRotation(op.Status.SigningKey, op.Spec.SigningKeyRotation, in)
	step.accountsLeft, step.accountsUnpushed = in.accountsLeft, in.accountsUnpushed
	return step, err
}

// serversTrust reports whether the servers run (by the resolver's serversClaimsHash) the
// stored operator JWT, and that JWT trusts pub.
func serversTrust(st natsv1alpha1.NatsOperatorStatus, pub string) bool {
	if st.ServersClaimsHash == "" || st.JWT == "" {
		return false
	}
	claims, err := jwt.DecodeOperatorClaims(st.JWT)
	if err != nil || !claims.SigningKeys.Contains(pub) {
		return false
	}
	h, err := natsjwt.Hash(claims)
	return err == nil && h == st.ServersClaimsHash
}

// issuedAccounts are the live accounts of op that have a JWT.
func (c *Controller) issuedAccounts(op *natsv1alpha1.NatsOperator) []*natsv1alpha1.NatsAccount {
	objs, _ := c.accountIndexer.ByIndex(naming.AccountsByOperator, naming.Key(op.Namespace, op.Name))
	var out []*natsv1alpha1.NatsAccount
	for _, o := range objs {
		a, ok := o.(*natsv1alpha1.NatsAccount)
		if ok && a.DeletionTimestamp == nil && a.Status.JWT != "" {
			out = append(out, a)
		}
	}
	return out
}

// accountNames names the accounts match selects, sorted.
func accountNames(accounts []*natsv1alpha1.NatsAccount, match func(*natsv1alpha1.NatsAccount) bool) []string {
	var out []string
	for _, a := range accounts {
		if match(a) {
			out = append(out, a.Name)
		}
	}
	slices.Sort(out)
	return out
}

// tokenIssuer is the iss of a JWT's payload, read without checking the signature ("" when it
// does not parse). The rotation only asks which key the account controller signed status.jwt
// with; it signs every token it writes there and the resolver verifies each one before a push
// (and nats-server on load), so verifying N signatures on every operator sync, which each
// account's status write triggers, would buy nothing.
func tokenIssuer(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var claims struct {
		Issuer string `json:"iss"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return ""
	}
	return claims.Issuer
}

// signingKeys are the operator signing keys the JWT trusts: the controller's current key, the
// previous one while it retires, then spec.signingKeys.
func signingKeys(op *natsv1alpha1.NatsOperator, signingPub string) []string {
	keys := []string{signingPub}
	if st := op.Status.SigningKey; trustsPrevious(st) {
		keys = append(keys, st.PreviousPublicKey)
	}
	return append(keys, op.Spec.SigningKeys...)
}

// rotationEvents emits the steps the stored status records.
func (c *Controller) rotationEvents(op *natsv1alpha1.NatsOperator, step keyStep) {
	for _, e := range step.events {
		c.deps.Recorder.Event(op, corev1.EventTypeNormal, e.reason, e.message)
	}
}
