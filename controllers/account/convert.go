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
	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/controllers/specconv"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// toAccountSpec converts a NatsAccount into the natsjwt description of its JWT. It is pure: the
// public keys come in as signingKeys (status order: default first, then spec order), the
// imports as resolved by resolveImports (same order as spec.imports) and the revocations as
// collected. It reports, with CRD paths, the problems natsjwt cannot know about; natsjwt checks
// the rest when it builds the claims.
func toAccountSpec(acc *natsv1alpha1.NatsAccount, signingKeys []natsv1alpha1.SigningKeyStatus,
	imports []resolvedImport, revocations map[string]int64) (natsjwt.AccountSpec, []natsjwt.Issue) {
	s := acc.Spec
	out := natsjwt.AccountSpec{
		Name:               acc.Name,
		Description:        s.Description,
		InfoURL:            s.InfoURL,
		Tags:               tags(s.Tags),
		Limits:             accountLimits(s.Limits),
		DefaultPermissions: specconv.Permissions(s.DefaultPermissions),
		Revocations:        revocations,
	}
	if s.Expiration != nil {
		out.Expires = s.Expiration.Time
	}
	var issues []natsjwt.Issue
	if s.JetStream != nil {
		if _, system := acc.Labels[naming.LabelSystemAccount]; system {
			issues = append(issues, natsjwt.Issue{Field: "jetstream", Message: "must not be set on the system account " +
				"(label " + naming.LabelSystemAccount + "): a JetStream-enabled nats-server refuses to start with it"})
		}
		out.JetStream, out.JetStreamTiers = jetStream(s.JetStream)
	}
	for _, e := range s.Exports {
		out.Exports = append(out.Exports, export(e))
	}
	out.Imports = importsOf(s.Imports, imports)
	out.Mappings = mappings(s.Mappings)
	out.SigningKeys, out.ScopedSigningKeys = accountSigningKeys(s.SigningKeys, signingKeys)
	return out, issues
}

// importsOf pairs each spec import with what resolveImports found for it.
func importsOf(spec []natsv1alpha1.Import, resolved []resolvedImport) []natsjwt.Import {
	out := make([]natsjwt.Import, 0, len(spec))
	for i, im := range spec {
		r := resolvedImport{Account: im.AccountPublicKey}
		if i < len(resolved) {
			r = resolved[i]
		}
		out = append(out, natsjwt.Import{
			Name: im.Name, Subject: string(im.Subject), LocalSubject: string(im.LocalSubject),
			Account: r.Account, Token: r.Token, Type: string(im.Type), Share: im.Share,
		})
	}
	return out
}

func mappings(in []natsv1alpha1.Mapping) map[string][]natsjwt.WeightedMapping {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string][]natsjwt.WeightedMapping, len(in))
	for _, m := range in {
		out[string(m.From)] = destinations(m.To)
	}
	return out
}

// accountSigningKeys splits the signing keys (status order: default first, then spec order)
// into plain keys and scoped keys with their templates from the spec. The order is kept, which
// is what specPath relies on to map natsjwt's paths back to spec.signingKeys.
func accountSigningKeys(spec []natsv1alpha1.AccountSigningKey, keys []natsv1alpha1.SigningKeyStatus) ([]string, []natsjwt.ScopedSigningKey) {
	scopes := map[string]*natsv1alpha1.SigningKeyScope{}
	for _, sk := range spec {
		scopes[sk.Name] = sk.Scope
	}
	var plain []string
	var scoped []natsjwt.ScopedSigningKey
	add := func(name, pub string) {
		scope := scopes[name]
		if name == naming.DefaultSigningKey || scope == nil {
			plain = append(plain, pub)
			return
		}
		scoped = append(scoped, natsjwt.ScopedSigningKey{
			Key: pub, Role: scope.Role, Description: scope.Description, Template: specconv.PermissionLimits(scope.Template),
		})
	}
	for _, sk := range keys {
		add(sk.Name, sk.PublicKey)
	}
	// Keys still retiring after a rotation come last, with their successor's scope, so the
	// indexes specPath maps back to spec.signingKeys stay those of the current keys.
	for _, sk := range keys {
		if trustsPrevious(sk) {
			add(sk.Name, sk.PreviousPublicKey)
		}
	}
	return plain, scoped
}

func tags(in []natsv1alpha1.Tag) []string {
	out := make([]string, 0, len(in))
	for _, t := range in {
		out = append(out, string(t))
	}
	return out
}

// accountLimits copies the limits; nil stays nil, which natsjwt reads as unlimited (never 0).
func accountLimits(l *natsv1alpha1.AccountLimits) natsjwt.AccountLimits {
	if l == nil {
		return natsjwt.AccountLimits{}
	}
	return natsjwt.AccountLimits{
		Conn: l.Conn, LeafConn: l.LeafConn, Subs: l.Subs, Data: l.Data, Payload: l.Payload,
		Imports: l.Imports, Exports: l.Exports, Wildcards: l.Wildcards, DisallowBearer: l.DisallowBearer,
	}
}

// jetStream maps the CRD's either-or shape onto natsjwt's two fields. Flat limits are passed
// along with tiers only when some are set, so that natsjwt reports the conflict.
func jetStream(j *natsv1alpha1.JetStreamSpec) (*natsjwt.JetStreamLimits, map[string]natsjwt.JetStreamLimits) {
	flat := jetStreamLimits(j.JetStreamLimits)
	if len(j.Tiers) == 0 {
		return &flat, nil
	}
	tiers := make(map[string]natsjwt.JetStreamLimits, len(j.Tiers))
	for name, t := range j.Tiers {
		tiers[name] = jetStreamLimits(t)
	}
	if flat == (natsjwt.JetStreamLimits{}) {
		return nil, tiers
	}
	return &flat, tiers
}

func jetStreamLimits(l natsv1alpha1.JetStreamLimits) natsjwt.JetStreamLimits {
	return natsjwt.JetStreamLimits{
		MemStorage: l.MemStorage, DiskStorage: l.DiskStorage, Streams: l.Streams, Consumers: l.Consumers,
		MaxAckPending: l.MaxAckPending, MemMaxStreamBytes: l.MemMaxStreamBytes, DiskMaxStreamBytes: l.DiskMaxStreamBytes,
		MaxBytesRequired: l.MaxBytesRequired != nil && *l.MaxBytesRequired,
	}
}

func export(e natsv1alpha1.Export) natsjwt.Export {
	out := natsjwt.Export{
		Name: e.Name, Subject: string(e.Subject), Type: string(e.Type), TokenRequired: e.TokenRequired,
		ResponseType: e.ResponseType, Advertise: e.Advertise, Description: e.Description, InfoURL: e.InfoURL,
	}
	if e.ResponseThreshold != nil {
		out.ResponseThreshold = e.ResponseThreshold.Duration
	}
	if p := e.AccountTokenPosition; p != nil && *p > 0 {
		out.AccountTokenPosition = uint(*p)
	}
	return out
}

func destinations(to []natsv1alpha1.MappingDestination) []natsjwt.WeightedMapping {
	out := make([]natsjwt.WeightedMapping, 0, len(to))
	for _, d := range to {
		wm := natsjwt.WeightedMapping{Subject: d.Subject, Cluster: d.Cluster}
		if d.Weight != nil {
			// The schema bounds weights to 1-100; clamp anything else to a value natsjwt rejects
			// instead of letting a conversion wrap it into a valid-looking one.
			wm.Weight = uint8(min(max(*d.Weight, 0), 255))
		}
		out = append(out, wm)
	}
	return out
}
