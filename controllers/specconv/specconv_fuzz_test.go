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

package specconv

import (
	"errors"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// FuzzPermissionLimits: the shared permissions and limits, converted and built into user claims
// as the user controller and scoped key templates do, never panic and never turn "unset" into
// 0: an unset subs, data or payload limit is unlimited (-1) in the claims, an unset resp.ttl is
// unlimited (-1, not the two minutes nats-server would read 0 as), and set values are kept.
func FuzzPermissionLimits(f *testing.F) {
	f.Add("orders.>", "orders.secret.>", "_INBOX.>", "", int32(1), int64(0), true, int64(10), false, int64(0), false, "10.0.0.0/8", "STANDARD", false)
	f.Add("", "", "", "a b", int32(-3), int64(-1), false, int64(-1), true, int64(1<<40), true, "", "", true)
	f.Add("a..b", ">", "*", "", int32(0), int64(int64(time.Hour)), true, int64(0), true, int64(-5), false, "::/0", "LEAFNODE_WS", false)
	f.Fuzz(func(t *testing.T, pubAllow, pubDeny, subAllow, subDeny string, respMax int32, respTTL int64, respSet bool,
		subs int64, subsSet bool, payload int64, payloadSet bool, cidr, connType string, bearer bool) {
		in := natsv1alpha1.UserPermissionLimits{
			Permissions: &natsv1alpha1.Permissions{
				Pub: &natsv1alpha1.PublishPermission{Allow: optional[natsv1alpha1.Subject](pubAllow), Deny: optional[natsv1alpha1.Subject](pubDeny)},
				Sub: &natsv1alpha1.SubscribePermission{Allow: optional[natsv1alpha1.SubscribeSubject](subAllow),
					Deny: optional[natsv1alpha1.SubscribeSubject](subDeny)},
			},
			Limits:                 &natsv1alpha1.UserLimits{Src: optional[natsv1alpha1.CIDR](cidr)},
			AllowedConnectionTypes: optional[natsv1alpha1.ConnectionType](connType),
			BearerToken:            bearer,
		}
		if respSet {
			in.Permissions.Resp = &natsv1alpha1.ResponsePermission{MaxMsgs: respMax}
			if respTTL != 0 {
				in.Permissions.Resp.TTL = &metav1.Duration{Duration: time.Duration(respTTL)}
			}
		}
		if subsSet {
			in.Limits.Subs = ptr.To(subs)
		}
		if payloadSet {
			in.Limits.Payload = ptr.To(payload)
		}
		out := PermissionLimits(in)
		if respSet && in.Permissions.Resp.TTL == nil && out.Resp.TTL != UnlimitedTTL {
			t.Fatalf("unset resp.ttl became %s", out.Resp.TTL)
		}
		account, err := natsjwt.NewKey(natsjwt.KindAccount)
		if err != nil {
			t.Fatal(err)
		}
		accountPub, _ := account.PublicKey()
		user, err := natsjwt.NewKey(natsjwt.KindUser)
		if err != nil {
			t.Fatal(err)
		}
		userPub, _ := user.PublicKey()
		uc, err := natsjwt.UserClaims(userPub, natsjwt.UserSpec{Name: "u", IssuerAccount: accountPub, UserPermissionLimits: out})
		if err != nil {
			if !errors.Is(err, natsjwt.ErrInvalidSpec) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		want := func(set bool, v int64) int64 {
			if set {
				return v
			}
			return -1
		}
		if uc.Limits.Subs != want(subsSet, subs) || uc.Limits.Payload != want(payloadSet, payload) || uc.Limits.Data != -1 {
			t.Fatalf("limits subs %d payload %d data %d from subs %v/%d payload %v/%d", uc.Limits.Subs, uc.Limits.Payload, uc.Limits.Data,
				subsSet, subs, payloadSet, payload)
		}
		if respSet && in.Permissions.Resp.TTL == nil && (uc.Resp == nil || uc.Resp.Expires != UnlimitedTTL) {
			t.Fatalf("unset resp.ttl is %+v in the claims", uc.Resp)
		}
	})
}

// optional turns a fuzzed string into a one-element list, or none for "".
func optional[S ~string](s string) []S {
	if s == "" {
		return nil
	}
	return []S{S(s)}
}
