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
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestSchemaRejects proves that the CRD schema and its CEL rules refuse bad input at admission,
// each with a message a user can act on.
func TestSchemaRejects(t *testing.T) {
	ns := controlPlane.NewNamespace(t)
	client := suite.NatsClient(t)
	ctx := suite.Context(t)

	pub := func(s ...natsv1alpha1.Subject) *natsv1alpha1.Permissions {
		return &natsv1alpha1.Permissions{Pub: &natsv1alpha1.PublishPermission{Allow: s}}
	}
	user := func(mut func(*natsv1alpha1.NatsUserSpec)) func() error {
		return func() error {
			u := &natsv1alpha1.NatsUser{ObjectMeta: metav1.ObjectMeta{GenerateName: "u-", Namespace: ns},
				Spec: natsv1alpha1.NatsUserSpec{AccountRef: natsv1alpha1.NatsAccountReference{Name: "a"}}}
			mut(&u.Spec)
			_, err := client.NatsauthV1alpha1().NatsUsers(ns).Create(ctx, u, metav1.CreateOptions{})
			return err
		}
	}
	account := func(mut func(*natsv1alpha1.NatsAccountSpec)) func() error {
		return func() error {
			a := &natsv1alpha1.NatsAccount{ObjectMeta: metav1.ObjectMeta{GenerateName: "a-", Namespace: ns},
				Spec: natsv1alpha1.NatsAccountSpec{OperatorRef: natsv1alpha1.LocalObjectReference{Name: "o"}}}
			mut(&a.Spec)
			_, err := client.NatsauthV1alpha1().NatsAccounts(ns).Create(ctx, a, metav1.CreateOptions{})
			return err
		}
	}
	operator := func(mut func(*natsv1alpha1.NatsOperatorSpec)) func() error {
		return func() error {
			o := &natsv1alpha1.NatsOperator{ObjectMeta: metav1.ObjectMeta{GenerateName: "o-", Namespace: ns}}
			mut(&o.Spec)
			_, err := client.NatsauthV1alpha1().NatsOperators(ns).Create(ctx, o, metav1.CreateOptions{})
			return err
		}
	}
	raw := func(resource, spec string) func() error {
		return func() error {
			kind := map[string]string{"natsusers": "NatsUser", "natsaccounts": "NatsAccount"}[resource]
			body := fmt.Sprintf(`{"apiVersion":%q,"kind":%q,"metadata":{"generateName":"raw-"},"spec":%s}`,
				natsv1alpha1.SchemeGroupVersion.String(), kind, spec)
			return client.NatsauthV1alpha1().RESTClient().Post().Namespace(ns).Resource(resource).Body([]byte(body)).Do(ctx).Error()
		}
	}
	subjectMsg := "a subject is dot-separated tokens with no spaces, control characters or empty tokens"

	cases := []struct {
		name   string
		create func() error
		want   string
	}{
		{"subject with a space", user(func(s *natsv1alpha1.NatsUserSpec) { s.Permissions = pub("orders new") }), subjectMsg},
		{"subject with an empty token", user(func(s *natsv1alpha1.NatsUserSpec) { s.Permissions = pub("orders..new") }), subjectMsg},
		{"subject with a leading dot", user(func(s *natsv1alpha1.NatsUserSpec) { s.Permissions = pub(".orders") }), subjectMsg},
		{"subject with a trailing dot", user(func(s *natsv1alpha1.NatsUserSpec) { s.Permissions = pub("orders.") }), subjectMsg},
		{"subject with a NUL", user(func(s *natsv1alpha1.NatsUserSpec) { s.Permissions = pub("orders.\x00") }), subjectMsg},
		{"subject with an ESC", user(func(s *natsv1alpha1.NatsUserSpec) { s.Permissions = pub("orders.\x1b[31m") }), subjectMsg},
		{"queue name with a control character", user(func(s *natsv1alpha1.NatsUserSpec) {
			s.Permissions = &natsv1alpha1.Permissions{Sub: &natsv1alpha1.SubscribePermission{Allow: []natsv1alpha1.SubscribeSubject{"orders.* q\x07"}}}
		}), "a subscribe subject is dot-separated tokens"},
		{"tag with a control character", user(func(s *natsv1alpha1.NatsUserSpec) { s.Tags = []natsv1alpha1.Tag{"team:\x1b"} }), "a tag is lower-case"},
		{"mapping destination with a control character", account(func(s *natsv1alpha1.NatsAccountSpec) {
			s.Mappings = []natsv1alpha1.Mapping{{From: "a", To: []natsv1alpha1.MappingDestination{{Subject: "b\x00"}}}}
		}), "a destination subject has no spaces or control characters"},
		{"mapping destination with spaces inside a function", account(func(s *natsv1alpha1.NatsAccountSpec) {
			s.Mappings = []natsv1alpha1.Mapping{{From: "a.*", To: []natsv1alpha1.MappingDestination{{Subject: "b.{{ wildcard(1) }}"}}}}
		}), "not even inside mapping functions"},
		{"negative resp.ttl", user(func(s *natsv1alpha1.NatsUserSpec) {
			s.Permissions = &natsv1alpha1.Permissions{Resp: &natsv1alpha1.ResponsePermission{TTL: &metav1.Duration{Duration: -time.Second}}}
		}), "ttl must be a duration"},
		// A zero metav1.Time marshals as null, so these are sent as the YAML a user would write.
		{"zero user expiration", raw("natsusers", `{"accountRef":{"name":"a"},"expiration":"0001-01-01T00:00:00Z"}`),
			"expiration must be after 1970"},
		{"zero account expiration", raw("natsaccounts", `{"operatorRef":{"name":"o"},"expiration":"0001-01-01T00:00:00Z"}`),
			"expiration must be after 1970"},
		{"negative resolver timeout", operator(func(s *natsv1alpha1.NatsOperatorSpec) { s.Resolver.Timeout = &metav1.Duration{Duration: -time.Second} }),
			"timeout must be a duration"},
		{"user name over 63 characters", func() error {
			u := &natsv1alpha1.NatsUser{ObjectMeta: metav1.ObjectMeta{Name: strings.Repeat("u", 64), Namespace: ns},
				Spec: natsv1alpha1.NatsUserSpec{AccountRef: natsv1alpha1.NatsAccountReference{Name: "a"}}}
			_, err := client.NatsauthV1alpha1().NatsUsers(ns).Create(ctx, u, metav1.CreateOptions{})
			return err
		}, "a NatsUser name has at most 63 characters"},
		{"account name over 63 characters", func() error {
			a := newAccount(ns, strings.Repeat("a", 64), "o")
			_, err := client.NatsauthV1alpha1().NatsAccounts(ns).Create(ctx, a, metav1.CreateOptions{})
			return err
		}, "a NatsAccount name has at most 63 characters"},
		{"operator name over 54 characters", func() error {
			o := &natsv1alpha1.NatsOperator{ObjectMeta: metav1.ObjectMeta{Name: strings.Repeat("o", 55), Namespace: ns}}
			_, err := client.NatsauthV1alpha1().NatsOperators(ns).Create(ctx, o, metav1.CreateOptions{})
			return err
		}, "a NatsOperator name has at most 54 characters"},
		{"operator signing-key rotation of adopted keys", operator(func(s *natsv1alpha1.NatsOperatorSpec) {
			s.KeysSecretRef = &natsv1alpha1.KeysSecretReference{Name: "nsc-keys"}
			s.SigningKeyRotation = &natsv1alpha1.SigningKeyRotation{Generation: 1}
		}), "signingKeyRotation rotates the signing key the controller generated"},
		{"service URL with port 99999", operator(func(s *natsv1alpha1.NatsOperatorSpec) { s.ServiceURLs = []string{"nats://nats:99999"} }),
			"a service URL's port is between 1 and 65535"},
		{"'>' not last", user(func(s *natsv1alpha1.NatsUserSpec) { s.Permissions = pub("orders.>.new") }), "'>' may only be the last token"},
		{"queue subscription with two spaces", user(func(s *natsv1alpha1.NatsUserSpec) {
			s.Permissions = &natsv1alpha1.Permissions{Sub: &natsv1alpha1.SubscribePermission{Allow: []natsv1alpha1.SubscribeSubject{"orders.* q extra"}}}
		}), "a subscribe subject is dot-separated tokens"},
		{"source network without a mask", user(func(s *natsv1alpha1.NatsUserSpec) {
			s.Limits = &natsv1alpha1.UserLimits{Src: []natsv1alpha1.CIDR{"10.0.0.1"}}
		}), "must be a network in CIDR notation"},
		{"time of day 25:00:00", user(func(s *natsv1alpha1.NatsUserSpec) {
			s.Limits = &natsv1alpha1.UserLimits{Times: []natsv1alpha1.TimeRange{{Start: "25:00:00", End: "06:00:00"}}}
		}), "a time is HH:MM:SS in 24-hour time"},
		{"time without seconds", user(func(s *natsv1alpha1.NatsUserSpec) {
			s.Limits = &natsv1alpha1.UserLimits{Times: []natsv1alpha1.TimeRange{{Start: "08:00:00", End: "17:30"}}}
		}), "a time is HH:MM:SS in 24-hour time"},
		{"expiration and validFor", user(func(s *natsv1alpha1.NatsUserSpec) {
			s.Expiration = ptr.To(metav1.NewTime(time.Now().Add(time.Hour)))
			s.ValidFor = &metav1.Duration{Duration: time.Hour}
		}), "set at most one of expiration and validFor"},
		{"validFor too short", user(func(s *natsv1alpha1.NatsUserSpec) { s.ValidFor = &metav1.Duration{Duration: 30 * time.Second} }),
			"validFor must be at least 1m"},
		{"upper-case tag", user(func(s *natsv1alpha1.NatsUserSpec) { s.Tags = []natsv1alpha1.Tag{"Team:A"} }), "a tag is lower-case"},
		{"unknown connection type", user(func(s *natsv1alpha1.NatsUserSpec) {
			s.AllowedConnectionTypes = []natsv1alpha1.ConnectionType{"CARRIER_PIGEON"}
		}), "Unsupported value"},
		{"negative user limit below -1", user(func(s *natsv1alpha1.NatsUserSpec) { s.Limits = &natsv1alpha1.UserLimits{Payload: ptr.To[int64](-2)} }),
			"should be greater than or equal to -1"},
		{"'*' with other namespaces", account(func(s *natsv1alpha1.NatsAccountSpec) { s.AllowedUserNamespaces = []string{"*", "apps"} }),
			"'*' allows every namespace and must be the only entry"},
		{"flat JetStream limits and tiers", account(func(s *natsv1alpha1.NatsAccountSpec) {
			s.JetStream = &natsv1alpha1.JetStreamSpec{JetStreamLimits: natsv1alpha1.JetStreamLimits{DiskStorage: ptr.To[int64](1)},
				Tiers: map[string]natsv1alpha1.JetStreamLimits{"R1": {DiskStorage: ptr.To[int64](1)}}}
		}), "use either flat JetStream limits or tiers, not both"},
		{"bad tier name", account(func(s *natsv1alpha1.NatsAccountSpec) {
			s.JetStream = &natsv1alpha1.JetStreamSpec{Tiers: map[string]natsv1alpha1.JetStreamLimits{"replicas3": {}}}
		}), "tier names are R followed by a replica count"},
		{"import with both account reference and key", account(func(s *natsv1alpha1.NatsAccountSpec) {
			s.Imports = []natsv1alpha1.Import{{Subject: "x", Type: "stream", AccountRef: &natsv1alpha1.NatsAccountReference{Name: "b"},
				AccountPublicKey: "ABJHLOVMPA4CI6R5KLNGOB4GSLNIY7IOUPAJC4YFNDLQVIOBYQGUWVLA"}}
		}), "set exactly one of accountRef and accountPublicKey"},
		{"import with no account", account(func(s *natsv1alpha1.NatsAccountSpec) {
			s.Imports = []natsv1alpha1.Import{{Subject: "x", Type: "stream"}}
		}), "set exactly one of accountRef and accountPublicKey"},
		{"import from a non-account key", account(func(s *natsv1alpha1.NatsAccountSpec) {
			s.Imports = []natsv1alpha1.Import{{Subject: "x", Type: "stream", AccountPublicKey: "UBJHLOVMPA4CI6R5KLNGOB4GSLNIY7IOUPAJC4YFNDLQVIOBYQGUWVLA"}}
		}), "accountPublicKey"},
		{"stream export with a response type", account(func(s *natsv1alpha1.NatsAccountSpec) {
			s.Exports = []natsv1alpha1.Export{{Subject: "x", Type: "stream", ResponseType: "Stream"}}
		}), "responseType and responseThreshold apply to service exports only"},
		{"unknown export type", account(func(s *natsv1alpha1.NatsAccountSpec) {
			s.Exports = []natsv1alpha1.Export{{Subject: "x", Type: "queue"}}
		}), "Unsupported value"},
		{"signing key named default", account(func(s *natsv1alpha1.NatsAccountSpec) {
			s.SigningKeys = []natsv1alpha1.AccountSigningKey{{Name: "default"}}
		}), "the name default is reserved"},
		{"mapping weight over 100", account(func(s *natsv1alpha1.NatsAccountSpec) {
			s.Mappings = []natsv1alpha1.Mapping{{From: "a", To: []natsv1alpha1.MappingDestination{{Subject: "b", Weight: ptr.To[int32](101)}}}}
		}), "should be less than or equal to 100"},
		{"account connection limit below -1", account(func(s *natsv1alpha1.NatsAccountSpec) {
			s.Limits = &natsv1alpha1.AccountLimits{Conn: ptr.To[int64](-5)}
		}), "should be greater than or equal to -1"},
		{"hardDelete without allowDelete", operator(func(s *natsv1alpha1.NatsOperatorSpec) { s.Resolver.HardDelete = true }),
			"hardDelete requires allowDelete"},
		{"allowDelete with a cache resolver", operator(func(s *natsv1alpha1.NatsOperatorSpec) {
			s.Resolver = natsv1alpha1.ResolverSpec{Type: natsv1alpha1.ResolverCache, AllowDelete: true}
		}), "allowDelete is only valid with the full resolver"},
		{"dir with the memory resolver", operator(func(s *natsv1alpha1.NatsOperatorSpec) {
			s.Resolver = natsv1alpha1.ResolverSpec{Type: natsv1alpha1.ResolverMemory, Dir: "/x"}
		}), "not used by the memory resolver"},
		{"operator signing key of the wrong type", operator(func(s *natsv1alpha1.NatsOperatorSpec) {
			s.SigningKeys = []string{"ABJHLOVMPA4CI6R5KLNGOB4GSLNIY7IOUPAJC4YFNDLQVIOBYQGUWVLA"}
		}), "signingKeys"},
		{"service URL with http scheme", operator(func(s *natsv1alpha1.NatsOperatorSpec) { s.ServiceURLs = []string{"http://nats:4222"} }),
			"serviceURLs"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.create()
			if err == nil {
				t.Fatalf("the apiserver accepted it; want an error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

// TestImmutableReferences proves that an account cannot move to another operator, nor a user to
// another account (that would silently change who signs them).
func TestImmutableReferences(t *testing.T) {
	ns := controlPlane.NewNamespace(t)
	client := suite.NatsClient(t)
	ctx := suite.Context(t)
	acc, err := client.NatsauthV1alpha1().NatsAccounts(ns).Create(ctx, &natsv1alpha1.NatsAccount{
		ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: ns},
		Spec:       natsv1alpha1.NatsAccountSpec{OperatorRef: natsv1alpha1.LocalObjectReference{Name: "o"}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	acc.Spec.OperatorRef.Name = "other"
	_, err = client.NatsauthV1alpha1().NatsAccounts(ns).Update(ctx, acc, metav1.UpdateOptions{})
	if err == nil || !strings.Contains(err.Error(), "operatorRef is immutable") {
		t.Errorf("changing operatorRef: got %v", err)
	}
	user, err := client.NatsauthV1alpha1().NatsUsers(ns).Create(ctx, &natsv1alpha1.NatsUser{
		ObjectMeta: metav1.ObjectMeta{Name: "u", Namespace: ns},
		Spec:       natsv1alpha1.NatsUserSpec{AccountRef: natsv1alpha1.NatsAccountReference{Name: "a"}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	user.Spec.AccountRef.Name = "b"
	_, err = client.NatsauthV1alpha1().NatsUsers(ns).Update(ctx, user, metav1.UpdateOptions{})
	if err == nil || !strings.Contains(err.Error(), "accountRef is immutable") {
		t.Errorf("changing accountRef: got %v", err)
	}
}
