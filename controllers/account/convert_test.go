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
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// testKeys returns an account public key and signing key statuses for acc (default first, then
// spec order), as ensureKeys would record them.
func testKeys(t *testing.T, acc *natsv1alpha1.NatsAccount) (string, []natsv1alpha1.SigningKeyStatus) {
	t.Helper()
	pub := func() string {
		kp, err := natsjwt.NewKey(natsjwt.KindAccount)
		if err != nil {
			t.Fatal(err)
		}
		p, err := kp.PublicKey()
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	keys := []natsv1alpha1.SigningKeyStatus{{Name: naming.DefaultSigningKey, PublicKey: pub()}}
	for _, sk := range acc.Spec.SigningKeys {
		keys = append(keys, natsv1alpha1.SigningKeyStatus{Name: sk.Name, PublicKey: pub(), Scoped: sk.Scope != nil})
	}
	return pub(), keys
}

func richAccount() *natsv1alpha1.NatsAccount {
	return &natsv1alpha1.NatsAccount{
		ObjectMeta: metav1.ObjectMeta{Name: "orders", Namespace: "nats"},
		Spec: natsv1alpha1.NatsAccountSpec{
			OperatorRef: natsv1alpha1.LocalObjectReference{Name: "main"},
			Description: "orders team",
			Tags:        []natsv1alpha1.Tag{"team:orders"},
			Expiration:  ptr.To(metav1.NewTime(time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC))),
			Limits:      &natsv1alpha1.AccountLimits{Conn: ptr.To[int64](10), LeafConn: ptr.To[int64](0), DisallowBearer: true},
			JetStream: &natsv1alpha1.JetStreamSpec{Tiers: map[string]natsv1alpha1.JetStreamLimits{
				"R1": {MemStorage: ptr.To[int64](1 << 20), DiskStorage: ptr.To[int64](1 << 30), MaxBytesRequired: ptr.To(true)},
				"R3": {DiskStorage: ptr.To[int64](-1)},
			}},
			DefaultPermissions: &natsv1alpha1.Permissions{
				Pub:  &natsv1alpha1.PublishPermission{Allow: []natsv1alpha1.Subject{"orders.>"}},
				Sub:  &natsv1alpha1.SubscribePermission{Deny: []natsv1alpha1.SubscribeSubject{"secret.> q"}},
				Resp: &natsv1alpha1.ResponsePermission{MaxMsgs: 2, TTL: &metav1.Duration{Duration: 5 * time.Second}},
			},
			Exports: []natsv1alpha1.Export{
				{Name: "events", Subject: "orders.events.>", Type: natsv1alpha1.ExportStream},
				{Name: "api", Subject: "orders.api.*", Type: natsv1alpha1.ExportService, TokenRequired: true,
					ResponseType: "Stream", ResponseThreshold: &metav1.Duration{Duration: time.Second}, AccountTokenPosition: ptr.To[int32](3)},
			},
			Imports: []natsv1alpha1.Import{{Name: "billing", Subject: "billing.>", LocalSubject: "in.billing.>", Type: natsv1alpha1.ExportStream,
				AccountRef: &natsv1alpha1.NatsAccountReference{Name: "billing"}}},
			Mappings: []natsv1alpha1.Mapping{{From: "orders.new", To: []natsv1alpha1.MappingDestination{
				{Subject: "orders.v2.new", Weight: ptr.To[int32](90)}, {Subject: "orders.v1.new", Weight: ptr.To[int32](10)},
			}}},
			SigningKeys: []natsv1alpha1.AccountSigningKey{
				{Name: "ci"},
				{Name: "readers", Scope: &natsv1alpha1.SigningKeyScope{Role: "reader", Template: natsv1alpha1.UserPermissionLimits{
					Permissions: &natsv1alpha1.Permissions{Sub: &natsv1alpha1.SubscribePermission{Allow: []natsv1alpha1.SubscribeSubject{"orders.{{name()}}.>"}}},
					Limits:      &natsv1alpha1.UserLimits{Subs: ptr.To[int64](10), Src: []natsv1alpha1.CIDR{"10.0.0.0/8"}},
				}}},
			},
		},
	}
}

func TestToAccountSpecBuildsValidClaims(t *testing.T) {
	acc := richAccount()
	pub, keys := testKeys(t, acc)
	exporter, _ := testKeys(t, &natsv1alpha1.NatsAccount{})
	spec, issues := toAccountSpec(acc, keys, []resolvedImport{{Account: exporter}}, map[string]int64{"*": 5})
	if len(issues) > 0 {
		t.Fatalf("unexpected issues: %v", issues)
	}
	if spec.JetStream != nil || len(spec.JetStreamTiers) != 2 {
		t.Errorf("tiers only must give JetStreamTiers and no flat limits: %+v %+v", spec.JetStream, spec.JetStreamTiers)
	}
	claims, err := natsjwt.AccountClaims(pub, spec)
	if err != nil {
		t.Fatalf("AccountClaims: %v", err)
	}
	if claims.Name != "orders" || claims.Limits.Conn != 10 || claims.Limits.LeafNodeConn != 0 || claims.Limits.Subs != -1 || !claims.Limits.DisallowBearer {
		t.Errorf("limits: %+v", claims.Limits)
	}
	if r1 := claims.Limits.JetStreamTieredLimits["R1"]; r1.MemoryStorage != 1<<20 || !r1.MaxBytesRequired || r1.Streams != -1 {
		t.Errorf("tier R1: %+v", r1)
	}
	if len(claims.Exports) != 2 || claims.Exports[0].AccountTokenPosition != 3 || !claims.Exports[0].TokenReq {
		t.Errorf("exports: %+v", claims.Exports)
	}
	if len(claims.Imports) != 1 || claims.Imports[0].Account != exporter || claims.Imports[0].LocalSubject != "in.billing.>" {
		t.Errorf("imports: %+v", claims.Imports)
	}
	if w := claims.Mappings["orders.new"]; len(w) != 2 || w[0].Weight != 90 {
		t.Errorf("mappings: %+v", claims.Mappings)
	}
	if claims.DefaultPermissions.Resp == nil || claims.DefaultPermissions.Resp.Expires != 5*time.Second {
		t.Errorf("default permissions: %+v", claims.DefaultPermissions)
	}
	if !claims.SigningKeys.Contains(keys[0].PublicKey) || !claims.SigningKeys.Contains(keys[1].PublicKey) {
		t.Errorf("plain signing keys missing: %v", claims.SigningKeys.Keys())
	}
	scope, ok := claims.SigningKeys.GetScope(keys[2].PublicKey)
	us, isUser := scope.(*jwt.UserScope)
	if !ok || !isUser || us.Role != "reader" || us.Template.Subs != 10 || us.Template.Sub.Allow[0] != "orders.{{name()}}.>" {
		t.Errorf("scoped key: %+v", scope)
	}
	if claims.Revocations["*"] != 5 {
		t.Errorf("revocations: %v", claims.Revocations)
	}
}

func TestToAccountSpecDefaults(t *testing.T) {
	acc := &natsv1alpha1.NatsAccount{ObjectMeta: metav1.ObjectMeta{Name: "a"}}
	pub, keys := testKeys(t, acc)
	spec, issues := toAccountSpec(acc, keys, nil, nil)
	if len(issues) > 0 || spec.JetStream != nil || spec.JetStreamTiers != nil {
		t.Fatalf("issues %v, JetStream %+v", issues, spec.JetStream)
	}
	claims, err := natsjwt.AccountClaims(pub, spec)
	if err != nil {
		t.Fatal(err)
	}
	l := claims.Limits
	if l.Conn != -1 || l.Subs != -1 || l.Payload != -1 || l.Exports != -1 || !l.WildcardExports || l.IsJSEnabled() {
		t.Errorf("unset limits must be unlimited and JetStream off: %+v", l)
	}
	// An empty jetstream object enables JetStream, unlimited.
	acc.Spec.JetStream = &natsv1alpha1.JetStreamSpec{}
	spec, _ = toAccountSpec(acc, keys, nil, nil)
	if claims, err = natsjwt.AccountClaims(pub, spec); err != nil || claims.Limits.DiskStorage != -1 {
		t.Errorf("empty jetstream: err %v, limits %+v", err, claims.Limits)
	}
}

func TestToAccountSpecSystemAccountHasNoJetStream(t *testing.T) {
	acc := &natsv1alpha1.NatsAccount{ObjectMeta: metav1.ObjectMeta{Name: "main-system",
		Labels: map[string]string{naming.LabelSystemAccount: "main"}}}
	_, keys := testKeys(t, acc)
	if _, issues := toAccountSpec(acc, keys, nil, nil); len(issues) != 0 {
		t.Errorf("system account without JetStream: %v", issues)
	}
	acc.Spec.JetStream = &natsv1alpha1.JetStreamSpec{JetStreamLimits: natsv1alpha1.JetStreamLimits{DiskStorage: ptr.To[int64](0)}}
	_, issues := toAccountSpec(acc, keys, nil, nil)
	if len(issues) != 1 || issues[0].Field != "jetstream" {
		t.Errorf("want one issue at jetstream, got %v", issues)
	}
}

func TestFlatAndTieredJetStreamIsReported(t *testing.T) {
	acc := &natsv1alpha1.NatsAccount{ObjectMeta: metav1.ObjectMeta{Name: "a"}, Spec: natsv1alpha1.NatsAccountSpec{
		JetStream: &natsv1alpha1.JetStreamSpec{
			JetStreamLimits: natsv1alpha1.JetStreamLimits{Streams: ptr.To[int64](1)},
			Tiers:           map[string]natsv1alpha1.JetStreamLimits{"R1": {}},
		}}}
	pub, keys := testKeys(t, acc)
	spec, _ := toAccountSpec(acc, keys, nil, nil)
	_, err := natsjwt.AccountClaims(pub, spec)
	var ve *natsjwt.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want a ValidationError, got %v", err)
	}
	if msg := issuesMessage(specIssues(acc, ve)); !strings.Contains(msg, "spec.jetstream: ") {
		t.Errorf("message %q does not name spec.jetstream", msg)
	}
}

func TestSpecPath(t *testing.T) {
	acc := richAccount()
	acc.Spec.SigningKeys = append(acc.Spec.SigningKeys, natsv1alpha1.AccountSigningKey{Name: "writers",
		Scope: &natsv1alpha1.SigningKeyScope{}})
	for in, want := range map[string]string{
		"expires":                                      "expiration",
		"jetStream":                                    "jetstream",
		`jetStreamTiers["R3"].memStorage`:              `jetstream.tiers["R3"].memStorage`,
		"defaultPermissions.pubAllow[2]":               "defaultPermissions.pub.allow[2]",
		"defaultPermissions.subDeny[0]":                "defaultPermissions.sub.deny[0]",
		`mappings["orders.new"]`:                       "mappings[0]",
		`mappings["orders.new"][1].weight`:             "mappings[0].to[1].weight",
		`mappings["unknown"]`:                          `mappings["unknown"]`,
		"scopedSigningKeys[0].template.subs":           "signingKeys[1].scope.template.limits.subs",
		"scopedSigningKeys[1].template.pubAllow[0]":    "signingKeys[2].scope.template.permissions.pub.allow[0]",
		"scopedSigningKeys[1].template.src[0]":         "signingKeys[2].scope.template.limits.src[0]",
		"scopedSigningKeys[0].template.times[1].start": "signingKeys[1].scope.template.limits.times[1].start",
		"scopedSigningKeys[0].role":                    "signingKeys[1].scope.role",
		"scopedSigningKeys[0].key":                     "signingKeys[1]",
		"signingKeys[1]":                               "signingKeys[0]",
		"exports[1].accountTokenPosition":              "exports[1].accountTokenPosition",
		"imports[0].account":                           "imports[0]",
		"limits.exports":                               "limits.exports",
		"":                                             "",
	} {
		if got := specPath(acc, in); got != want {
			t.Errorf("specPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzSpecPath(f *testing.F) {
	for _, s := range []string{"scopedSigningKeys[7].template.subs", `mappings["a\"b"][3]`, "signingKeys[0]", "jetStreamTiers"} {
		f.Add(s)
	}
	acc := richAccount()
	f.Fuzz(func(t *testing.T, p string) {
		_ = specPath(acc, p) // must never panic, whatever natsjwt reports
	})
}
