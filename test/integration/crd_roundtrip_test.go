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
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	natsinformers "github.com/natsauth/nats-auth-operator/generated/informers/externalversions"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// fullAccount sets every field of the NatsAccount spec so that a round trip proves the schema
// keeps them all (an unknown or mis-tagged field would be pruned by the apiserver).
func fullAccount(ns string) *natsv1alpha1.NatsAccount {
	return &natsv1alpha1.NatsAccount{
		ObjectMeta: metav1.ObjectMeta{Name: "orders", Namespace: ns},
		Spec: natsv1alpha1.NatsAccountSpec{
			OperatorRef:           natsv1alpha1.LocalObjectReference{Name: "main"},
			Description:           "orders team",
			InfoURL:               "https://wiki.example.com/orders",
			Tags:                  []natsv1alpha1.Tag{"team:orders"},
			Expiration:            ptr.To(metav1.NewTime(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))),
			AllowedUserNamespaces: []string{"apps", "batch"},
			Limits: &natsv1alpha1.AccountLimits{
				Conn: ptr.To[int64](100), LeafConn: ptr.To[int64](0), Subs: ptr.To[int64](-1),
				Data: ptr.To[int64](1 << 30), Payload: ptr.To[int64](1 << 20), Imports: ptr.To[int64](10),
				Exports: ptr.To[int64](10), Wildcards: ptr.To(false), DisallowBearer: true,
			},
			JetStream: &natsv1alpha1.JetStreamSpec{Tiers: map[string]natsv1alpha1.JetStreamLimits{
				"R1": {MemStorage: ptr.To[int64](1 << 20), DiskStorage: ptr.To[int64](1 << 30), Streams: ptr.To[int64](10),
					Consumers: ptr.To[int64](100), MaxAckPending: ptr.To[int64](1000),
					MemMaxStreamBytes: ptr.To[int64](1 << 19), DiskMaxStreamBytes: ptr.To[int64](1 << 29), MaxBytesRequired: ptr.To(true)},
				"R3": {DiskStorage: ptr.To[int64](-1)},
			}},
			DefaultPermissions: &natsv1alpha1.Permissions{
				Pub:  &natsv1alpha1.PublishPermission{Allow: []natsv1alpha1.Subject{"orders.>"}, Deny: []natsv1alpha1.Subject{"orders.admin.*"}},
				Sub:  &natsv1alpha1.SubscribePermission{Allow: []natsv1alpha1.SubscribeSubject{"orders.* workers", "_INBOX.>"}},
				Resp: &natsv1alpha1.ResponsePermission{MaxMsgs: 1, TTL: &metav1.Duration{Duration: 5 * time.Second}},
			},
			Exports: []natsv1alpha1.Export{
				{Name: "events", Subject: "orders.events.>", Type: natsv1alpha1.ExportStream, Advertise: true},
				{Name: "api", Subject: "orders.api.*", Type: natsv1alpha1.ExportService, TokenRequired: true,
					ResponseType: "Stream", ResponseThreshold: &metav1.Duration{Duration: 2 * time.Second},
					AccountTokenPosition: ptr.To[int32](3), Description: "d", InfoURL: "https://x.example.com"},
			},
			Imports: []natsv1alpha1.Import{
				{Name: "billing", Subject: "billing.events.>", LocalSubject: "imported.billing.>", Type: natsv1alpha1.ExportStream,
					AccountRef: &natsv1alpha1.NatsAccountReference{Name: "billing", Namespace: "finance"}},
				{Subject: "ext.api", Type: natsv1alpha1.ExportService, Share: true,
					AccountPublicKey: "ABJHLOVMPA4CI6R5KLNGOB4GSLNIY7IOUPAJC4YFNDLQVIOBYQGUWVLA"},
			},
			Mappings: []natsv1alpha1.Mapping{{From: "orders.new", To: []natsv1alpha1.MappingDestination{
				{Subject: "orders.v2.new", Weight: ptr.To[int32](90)}, {Subject: "orders.v1.new", Weight: ptr.To[int32](10), Cluster: "east"},
			}}},
			SigningKeys: []natsv1alpha1.AccountSigningKey{
				{Name: "ci"},
				{Name: "readers", Scope: &natsv1alpha1.SigningKeyScope{Role: "reader", Description: "read only",
					Template: natsv1alpha1.UserPermissionLimits{
						Permissions:            &natsv1alpha1.Permissions{Sub: &natsv1alpha1.SubscribePermission{Allow: []natsv1alpha1.SubscribeSubject{"orders.{{name()}}.>"}}},
						Limits:                 &natsv1alpha1.UserLimits{Subs: ptr.To[int64](10)},
						AllowedConnectionTypes: []natsv1alpha1.ConnectionType{"STANDARD"},
					}}},
			},
			KeyDeletionPolicy: natsv1alpha1.KeyDeletionPolicyDelete,
		},
	}
}

func fullUser(ns string) *natsv1alpha1.NatsUser {
	return &natsv1alpha1.NatsUser{
		ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: ns},
		Spec: natsv1alpha1.NatsUserSpec{
			AccountRef: natsv1alpha1.NatsAccountReference{Name: "orders", Namespace: "platform"},
			UserPermissionLimits: natsv1alpha1.UserPermissionLimits{
				Permissions: &natsv1alpha1.Permissions{
					Pub:  &natsv1alpha1.PublishPermission{Allow: []natsv1alpha1.Subject{"orders.>", "*"}, Deny: []natsv1alpha1.Subject{">"}},
					Sub:  &natsv1alpha1.SubscribePermission{Deny: []natsv1alpha1.SubscribeSubject{"secret.>"}},
					Resp: &natsv1alpha1.ResponsePermission{MaxMsgs: -1},
				},
				Limits: &natsv1alpha1.UserLimits{Subs: ptr.To[int64](0), Data: ptr.To[int64](-1), Payload: ptr.To[int64](4096),
					Src:           []natsv1alpha1.CIDR{"10.0.0.0/8", "2001:db8::/32"},
					Times:         []natsv1alpha1.TimeRange{{Start: "22:00:00", End: "06:00:00"}},
					TimesLocation: "Europe/Berlin"},
				AllowedConnectionTypes: []natsv1alpha1.ConnectionType{"STANDARD", "WEBSOCKET"},
				BearerToken:            true,
			},
			Tags:       []natsv1alpha1.Tag{"tier:gold"},
			SecretName: "api-nats-creds",
			ValidFor:   &metav1.Duration{Duration: 24 * time.Hour},
		},
	}
}

func fullOperator(ns string) *natsv1alpha1.NatsOperator {
	return &natsv1alpha1.NatsOperator{
		ObjectMeta: metav1.ObjectMeta{Name: "main", Namespace: ns},
		Spec: natsv1alpha1.NatsOperatorSpec{
			SigningKeys:           []string{"OCY6XJYNA3CN7TM6JPT3CFOEUKAPWUUKCS6RLNWSMZ4M4L6RGEYCMXOA"},
			StrictSigningKeyUsage: true,
			ServiceURLs:           []string{"nats://nats.example.com:4222", "wss://nats.example.com"},
			AccountServerURL:      "nats://nats.example.com:4222",
			Tags:                  []natsv1alpha1.Tag{"env:prod"},
			Resolver: natsv1alpha1.ResolverSpec{Type: natsv1alpha1.ResolverFull, Dir: "/data/resolver", AllowDelete: true,
				HardDelete: true, Interval: &metav1.Duration{Duration: 2 * time.Minute},
				Timeout: &metav1.Duration{Duration: 1900 * time.Millisecond}, Limit: ptr.To[int64](1000)},
			KeyDeletionPolicy: natsv1alpha1.KeyDeletionPolicyRetain,
		},
	}
}

// TestRoundTrip creates one fully populated object of each kind and checks the apiserver hands
// back exactly what was sent, through the clientset, a lister fed by an informer, and a status
// update seen by the informer.
func TestRoundTrip(t *testing.T) {
	ctx := suite.Context(t)
	ns := controlPlane.NewNamespace(t)
	client := suite.NatsClient(t)

	factory := natsinformers.NewSharedInformerFactoryWithOptions(client, 0, natsinformers.WithNamespace(ns))
	opInformer := factory.Natsauth().V1alpha1().NatsOperators()
	accInformer := factory.Natsauth().V1alpha1().NatsAccounts()
	userInformer := factory.Natsauth().V1alpha1().NatsUsers()
	_ = opInformer.Informer()
	_ = accInformer.Informer()
	_ = userInformer.Informer()
	informerCtx, stopInformers := context.WithCancel(ctx)
	factory.Start(informerCtx.Done())
	// Shutdown waits for the informers, which stop only once their context is cancelled.
	t.Cleanup(func() { stopInformers(); factory.Shutdown() })
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			t.Fatalf("informer for %v did not sync", typ)
		}
	}

	op, err := client.NatsauthV1alpha1().NatsOperators(ns).Create(ctx, fullOperator(ns), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create operator: %v", err)
	}
	if diff := cmp.Diff(fullOperator(ns).Spec, op.Spec); diff != "" {
		t.Errorf("operator spec changed by the apiserver (-sent +stored):\n%s", diff)
	}
	acc, err := client.NatsauthV1alpha1().NatsAccounts(ns).Create(ctx, fullAccount(ns), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create account: %v", err)
	}
	if diff := cmp.Diff(fullAccount(ns).Spec, acc.Spec); diff != "" {
		t.Errorf("account spec changed by the apiserver (-sent +stored):\n%s", diff)
	}
	user, err := client.NatsauthV1alpha1().NatsUsers(ns).Create(ctx, fullUser(ns), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create user: %v", err)
	}
	if diff := cmp.Diff(fullUser(ns).Spec, user.Spec); diff != "" {
		t.Errorf("user spec changed by the apiserver (-sent +stored):\n%s", diff)
	}

	// Listers see what was created.
	suite.WaitFor(t, ctx, "lister sees the user", func() bool {
		got, err := userInformer.Lister().NatsUsers(ns).Get("api")
		return err == nil && got.ResourceVersion == user.ResourceVersion
	})
	if _, err := accInformer.Lister().NatsAccounts(ns).Get("orders"); err != nil {
		t.Errorf("account lister: %v", err)
	}
	if _, err := opInformer.Lister().NatsOperators(ns).Get("main"); err != nil {
		t.Errorf("operator lister: %v", err)
	}

	// The status subresource keeps conditions and the informer delivers the update.
	acc.Status = natsv1alpha1.NatsAccountStatus{ObservedGeneration: acc.Generation, PublicKey: "AXYZ", ClaimsHash: "h",
		SigningKeys: []natsv1alpha1.SigningKeyStatus{{Name: "default", PublicKey: "AB", Scoped: false}}, Revocations: 2}
	meta.SetStatusCondition(&acc.Status.Conditions, metav1.Condition{Type: natsv1alpha1.ConditionReady,
		Status: metav1.ConditionTrue, Reason: "Issued", Message: "account JWT issued", ObservedGeneration: acc.Generation,
		// The apiserver stores times with second precision.
		LastTransitionTime: metav1.NewTime(time.Now().Truncate(time.Second))})
	updated, err := client.NatsauthV1alpha1().NatsAccounts(ns).UpdateStatus(ctx, acc, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("update status: %v", err)
	}
	if diff := cmp.Diff(acc.Status, updated.Status); diff != "" {
		t.Errorf("status changed by the apiserver (-sent +stored):\n%s", diff)
	}
	if updated.Generation != acc.Generation {
		t.Errorf("a status update bumped the generation: %d -> %d", acc.Generation, updated.Generation)
	}
	suite.WaitFor(t, ctx, "informer sees the status update", func() bool {
		got, err := accInformer.Lister().NatsAccounts(ns).Get("orders")
		return err == nil && meta.IsStatusConditionTrue(got.Status.Conditions, natsv1alpha1.ConditionReady)
	})
}

// TestDefaults checks the schema defaults a minimal object gets.
func TestDefaults(t *testing.T) {
	ctx := suite.Context(t)
	ns := controlPlane.NewNamespace(t)
	client := suite.NatsClient(t)
	op, err := client.NatsauthV1alpha1().NatsOperators(ns).Create(ctx, &natsv1alpha1.NatsOperator{
		ObjectMeta: metav1.ObjectMeta{Name: "min", Namespace: ns}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if op.Spec.Resolver.Type != natsv1alpha1.ResolverFull || op.Spec.KeyDeletionPolicy != natsv1alpha1.KeyDeletionPolicyRetain {
		t.Errorf("operator defaults: resolver type %q, key deletion policy %q; want full, Retain",
			op.Spec.Resolver.Type, op.Spec.KeyDeletionPolicy)
	}
	acc, err := client.NatsauthV1alpha1().NatsAccounts(ns).Create(ctx, &natsv1alpha1.NatsAccount{
		ObjectMeta: metav1.ObjectMeta{Name: "min", Namespace: ns},
		Spec:       natsv1alpha1.NatsAccountSpec{OperatorRef: natsv1alpha1.LocalObjectReference{Name: "min"}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if acc.Spec.KeyDeletionPolicy != natsv1alpha1.KeyDeletionPolicyRetain || acc.Spec.Limits != nil || acc.Spec.JetStream != nil {
		t.Errorf("account defaults: %+v", acc.Spec)
	}
	user, err := client.NatsauthV1alpha1().NatsUsers(ns).Create(ctx, &natsv1alpha1.NatsUser{
		ObjectMeta: metav1.ObjectMeta{Name: "min", Namespace: ns},
		Spec: natsv1alpha1.NatsUserSpec{AccountRef: natsv1alpha1.NatsAccountReference{Name: "min"},
			UserPermissionLimits: natsv1alpha1.UserPermissionLimits{Permissions: &natsv1alpha1.Permissions{Resp: &natsv1alpha1.ResponsePermission{}}}}},
		metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := user.Spec.Permissions.Resp.MaxMsgs; got != 1 {
		t.Errorf("resp.maxMsgs default = %d, want 1", got)
	}
}
