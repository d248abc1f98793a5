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
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// FuzzToAccountSpec: whatever a NatsAccount's spec says (the schema may be bypassed by an older
// CRD or a direct etcd write), converting it and building the claims as sync does never
// panics; a refusal is a validation error whose issues, mapped to spec paths, each carry a
// message (what the user sees), and accepted claims sign, decode and hash back to the same
// value, so an accepted spec can never produce a JWT that is re-signed on every resync.
func FuzzToAccountSpec(f *testing.F) {
	f.Add("orders.>", "stream", "billing.>", "in.billing.>", "orders.new", "orders.{{wildcard(1)}}", int32(50), "east",
		"R1", int64(1<<20), int64(10), "orders.> q", "readers", "team:a", false, int64(0))
	f.Add("a..b", "service", "", "$1", "x", "y z", int32(0), "", "", int64(-1), int64(-1), "", "", "", true, int64(-5))
	f.Add("*", "queue", ">", "", "", "", int32(300), "", "replicas3", int64(0), int64(0), "a b c", "default", " ", true, int64(4102444800))
	exporter, err := natsjwt.NewKey(natsjwt.KindAccount)
	if err != nil {
		f.Fatal(err)
	}
	exporterPub, _ := exporter.PublicKey()
	revoked, err := natsjwt.NewKey(natsjwt.KindUser)
	if err != nil {
		f.Fatal(err)
	}
	revokedPub, _ := revoked.PublicKey()
	f.Fuzz(func(t *testing.T, exportSubject, typ, importSubject, localSubject, mapFrom, mapTo string, weight int32, cluster,
		tier string, storage, conn int64, subPerm, scopedKey, tag string, system bool, expires int64) {
		acc := &natsv1alpha1.NatsAccount{
			ObjectMeta: metav1.ObjectMeta{Name: "orders", Namespace: "nats"},
			Spec: natsv1alpha1.NatsAccountSpec{
				OperatorRef: natsv1alpha1.LocalObjectReference{Name: "main"},
				Limits:      &natsv1alpha1.AccountLimits{Conn: ptr.To(conn)},
				DefaultPermissions: &natsv1alpha1.Permissions{Sub: &natsv1alpha1.SubscribePermission{
					Allow: []natsv1alpha1.SubscribeSubject{natsv1alpha1.SubscribeSubject(subPerm)}}},
				Exports: []natsv1alpha1.Export{{Subject: natsv1alpha1.Subject(exportSubject), Type: natsv1alpha1.ExportType(typ)}},
				Imports: []natsv1alpha1.Import{{Subject: natsv1alpha1.Subject(importSubject), LocalSubject: natsv1alpha1.Subject(localSubject),
					Type: natsv1alpha1.ExportType(typ)}},
			},
		}
		if tag != "" {
			acc.Spec.Tags = []natsv1alpha1.Tag{natsv1alpha1.Tag(tag)}
		}
		if expires != 0 {
			acc.Spec.Expiration = ptr.To(metav1.NewTime(time.Unix(expires, 0)))
		}
		if mapFrom != "" {
			acc.Spec.Mappings = []natsv1alpha1.Mapping{{From: natsv1alpha1.Subject(mapFrom),
				To: []natsv1alpha1.MappingDestination{{Subject: mapTo, Weight: ptr.To(weight), Cluster: cluster}}}}
		}
		if tier != "" {
			acc.Spec.JetStream = &natsv1alpha1.JetStreamSpec{Tiers: map[string]natsv1alpha1.JetStreamLimits{tier: {MemStorage: ptr.To(storage)}}}
		} else if storage != 0 {
			acc.Spec.JetStream = &natsv1alpha1.JetStreamSpec{JetStreamLimits: natsv1alpha1.JetStreamLimits{DiskStorage: ptr.To(storage)}}
		}
		if scopedKey != "" {
			acc.Spec.SigningKeys = []natsv1alpha1.AccountSigningKey{{Name: scopedKey, Scope: &natsv1alpha1.SigningKeyScope{
				Template: natsv1alpha1.UserPermissionLimits{Permissions: &natsv1alpha1.Permissions{
					Pub: &natsv1alpha1.PublishPermission{Allow: []natsv1alpha1.Subject{natsv1alpha1.Subject(exportSubject)}}}}}}}
		}
		if system {
			acc.Labels = map[string]string{naming.LabelSystemAccount: "main"}
		}
		pub, keys := testKeys(t, acc)
		spec, issues := toAccountSpec(acc, keys, []resolvedImport{{Account: exporterPub}}, map[string]int64{revokedPub: 1})
		claims, err := natsjwt.AccountClaims(pub, spec)
		var ve *natsjwt.ValidationError
		switch {
		case errors.As(err, &ve):
			issues = append(issues, specIssues(acc, ve)...)
		case err != nil:
			if !errors.Is(err, natsjwt.ErrInvalidKey) && !errors.Is(err, natsjwt.ErrWrongKeyType) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		for _, is := range issues {
			if is.Message == "" {
				t.Fatalf("issue without a message: %+v", is)
			}
		}
		if system && acc.Spec.JetStream != nil && len(issues) == 0 {
			t.Fatal("JetStream on the system account was accepted")
		}
		if len(issues) > 0 {
			_ = issuesMessage(issues)
			return
		}
		want, err := natsjwt.Hash(claims)
		if err != nil {
			t.Fatalf("hash: %v", err)
		}
		signer, err := natsjwt.NewKey(natsjwt.KindOperator)
		if err != nil {
			t.Fatal(err)
		}
		token, _, err := natsjwt.Sign(claims, signer)
		if errors.Is(err, natsjwt.ErrExpired) {
			return
		}
		if err != nil {
			t.Fatalf("claims accepted by the builder are refused by Sign: %v", err)
		}
		decoded, err := jwt.DecodeAccountClaims(token)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if got, _ := natsjwt.Hash(decoded); got != want {
			t.Fatalf("claims hash changed across sign/decode: the account would be re-signed on every resync")
		}
	})
}
