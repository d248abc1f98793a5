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

package integration

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/natsjwt"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestAccountInvalidSpec proves that input the CRD schema accepts but NATS does not gives
// Ready=False InvalidSpec with a message naming the spec field, exactly one Warning event (also
// after re-syncs) and no JWT.
func TestAccountInvalidSpec(t *testing.T) {
	ctx := suite.Context(t)
	ns := controlPlane.NewNamespace(t)
	suite.StartControllers(t)
	op := setupOperator(t, ctx, ns, "main")
	external := newPublicKey(t, natsjwt.KindAccount)
	service := natsv1alpha1.ExportService
	stream := natsv1alpha1.ExportStream

	cases := []struct {
		name   string
		mutate func(*natsv1alpha1.NatsAccount)
		want   string // in the condition message
	}{
		{"token-position-not-wildcard", func(a *natsv1alpha1.NatsAccount) {
			a.Spec.Exports = []natsv1alpha1.Export{{Subject: "orders.api.v1", Type: service, AccountTokenPosition: ptr.To[int32](3)}}
		}, "spec.exports[0].accountTokenPosition: token 3"},
		{"token-position-beyond-subject", func(a *natsv1alpha1.NatsAccount) {
			a.Spec.Exports = []natsv1alpha1.Export{{Subject: "orders.*", Type: service, AccountTokenPosition: ptr.To[int32](5)}}
		}, "spec.exports[0].accountTokenPosition"},
		{"overlapping-service-exports", func(a *natsv1alpha1.NatsAccount) {
			a.Spec.Exports = []natsv1alpha1.Export{{Subject: "svc.>", Type: service}, {Subject: "svc.orders", Type: service}}
		}, "spec.exports[1].subject"},
		{"overlapping-stream-exports", func(a *natsv1alpha1.NatsAccount) {
			a.Spec.Exports = []natsv1alpha1.Export{{Subject: "events.*", Type: stream}, {Subject: "events.orders", Type: stream}}
		}, "spec.exports[1].subject"},
		{"scoped-template-limit-zero", func(a *natsv1alpha1.NatsAccount) {
			a.Spec.SigningKeys = []natsv1alpha1.AccountSigningKey{{Name: "readers", Scope: &natsv1alpha1.SigningKeyScope{
				Template: natsv1alpha1.UserPermissionLimits{Limits: &natsv1alpha1.UserLimits{Subs: ptr.To[int64](0)}}}}}
		}, "spec.signingKeys[0].scope.template.limits.subs: cannot be 0"},
		{"scoped-template-bad-time-zone", func(a *natsv1alpha1.NatsAccount) {
			a.Spec.SigningKeys = []natsv1alpha1.AccountSigningKey{{Name: "ci"}, {Name: "night", Scope: &natsv1alpha1.SigningKeyScope{
				Template: natsv1alpha1.UserPermissionLimits{Limits: &natsv1alpha1.UserLimits{
					Times: []natsv1alpha1.TimeRange{{Start: "22:00:00", End: "06:00:00"}}, TimesLocation: "Mars/Olympus_Mons"}}}}}
		}, "spec.signingKeys[1].scope.template.limits.timesLocation"},
		{"jetstream-on-system-account", func(a *natsv1alpha1.NatsAccount) {
			a.Labels = map[string]string{naming.LabelSystemAccount: op.Name}
			a.Spec.JetStream = &natsv1alpha1.JetStreamSpec{}
		}, "spec.jetstream: must not be set on the system account"},
		{"wildcard-export-without-wildcards", func(a *natsv1alpha1.NatsAccount) {
			a.Spec.Limits = &natsv1alpha1.AccountLimits{Wildcards: ptr.To(false)}
			a.Spec.Exports = []natsv1alpha1.Export{{Subject: "events.>", Type: stream}}
		}, "spec.exports[0].subject"},
		{"mapping-wildcard-the-source-lacks", func(a *natsv1alpha1.NatsAccount) {
			a.Spec.Mappings = []natsv1alpha1.Mapping{{From: "orders.*", To: []natsv1alpha1.MappingDestination{{Subject: "shipped.{{wildcard(2)}}"}}}}
		}, "uses wildcard 2 but the source"},
		{"mapping-weights-over-100", func(a *natsv1alpha1.NatsAccount) {
			a.Spec.Mappings = []natsv1alpha1.Mapping{{From: "orders", To: []natsv1alpha1.MappingDestination{
				{Subject: "orders.a", Weight: ptr.To[int32](60)}, {Subject: "orders.b", Weight: ptr.To[int32](50)}}}}
		}, "spec.mappings[0]: weights add up to 110%"},
		{"cluster-mapping-weights-over-100", func(a *natsv1alpha1.NatsAccount) {
			a.Spec.Mappings = []natsv1alpha1.Mapping{{From: "orders", To: []natsv1alpha1.MappingDestination{
				{Subject: "orders.a", Weight: ptr.To[int32](80), Cluster: "east"}, {Subject: "orders.b", Weight: ptr.To[int32](30), Cluster: "east"}}}}
		}, `spec.mappings[0]: weights for cluster "east"`},
		{"mapping-destination-empty-token", func(a *natsv1alpha1.NatsAccount) {
			a.Spec.Mappings = []natsv1alpha1.Mapping{{From: "orders", To: []natsv1alpha1.MappingDestination{{Subject: "orders..new"}}}}
		}, "spec.mappings[0].to[0].subject"},
		{"more-exports-than-allowed", func(a *natsv1alpha1.NatsAccount) {
			a.Spec.Limits = &natsv1alpha1.AccountLimits{Exports: ptr.To[int64](1)}
			a.Spec.Exports = []natsv1alpha1.Export{{Subject: "a", Type: stream}, {Subject: "b", Type: stream}}
		}, "spec.limits.exports"},
		{"imports-not-allowed", func(a *natsv1alpha1.NatsAccount) {
			a.Spec.Limits = &natsv1alpha1.AccountLimits{Imports: ptr.To[int64](0)}
			a.Spec.Imports = []natsv1alpha1.Import{{Subject: "ext", Type: stream, AccountPublicKey: external}}
		}, "spec.limits.imports"},
		{"share-on-stream-import", func(a *natsv1alpha1.NatsAccount) {
			a.Spec.Imports = []natsv1alpha1.Import{{Subject: "ext", Type: stream, Share: true, AccountPublicKey: external}}
		}, "spec.imports[0].share"},
		{"expiration-in-the-past", func(a *natsv1alpha1.NatsAccount) {
			a.Spec.Expiration = ptr.To(metav1.NewTime(time.Now().Add(-time.Hour)))
		}, "spec.expiration"},
	}
	for _, tc := range cases {
		acc := newAccount(ns, tc.name, op.Name)
		tc.mutate(acc)
		createAccount(t, ctx, acc)
	}
	for _, tc := range cases {
		acc := waitAccountCondition(t, ctx, ns, tc.name, metav1.ConditionFalse, "InvalidSpec")
		if msg := readyMessage(acc); !strings.Contains(msg, tc.want) {
			t.Errorf("%s: message %q does not contain %q", tc.name, msg, tc.want)
		}
		if acc.Status.JWT != "" || acc.Status.ClaimsHash != "" {
			t.Errorf("%s: an invalid spec must not be signed", tc.name)
		}
		suite.WaitFor(t, ctx, tc.name+" has its Warning event", func() bool { return warningEvents(t, ctx, ns, tc.name, "InvalidSpec") >= 1 })
	}
	settle(t, ctx, ns, op.Name)
	consistently(t, ctx, "exactly one Warning event per invalid account", 2*time.Second, func() bool {
		for _, tc := range cases {
			if n := warningEvents(t, ctx, ns, tc.name, ""); n != 1 {
				t.Logf("%s has %d Warning events", tc.name, n)
				return false
			}
		}
		return true
	})
}
