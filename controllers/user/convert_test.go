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

package user

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/jwt/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/specconv"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// newPub returns a fresh public key of kind; tests only need well-formed keys.
func newPub(t testing.TB, kind natsjwt.KeyKind) string {
	t.Helper()
	kp, err := natsjwt.NewKey(kind)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func testUser(mutate ...func(*natsv1alpha1.NatsUser)) *natsv1alpha1.NatsUser {
	u := &natsv1alpha1.NatsUser{
		ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: "apps"},
		Spec:       natsv1alpha1.NatsUserSpec{AccountRef: natsv1alpha1.NatsAccountReference{Name: "orders"}},
	}
	for _, m := range mutate {
		m(u)
	}
	return u
}

func TestToUserSpecFull(t *testing.T) {
	exp := time.Date(2031, 2, 3, 4, 5, 6, 0, time.UTC)
	user := testUser(func(u *natsv1alpha1.NatsUser) {
		u.Spec.Permissions = &natsv1alpha1.Permissions{
			Pub:  &natsv1alpha1.PublishPermission{Allow: []natsv1alpha1.Subject{"orders.>"}, Deny: []natsv1alpha1.Subject{"orders.admin"}},
			Sub:  &natsv1alpha1.SubscribePermission{Allow: []natsv1alpha1.SubscribeSubject{"orders.* workers"}, Deny: []natsv1alpha1.SubscribeSubject{"secret.>"}},
			Resp: &natsv1alpha1.ResponsePermission{MaxMsgs: 3, TTL: &metav1.Duration{Duration: 5 * time.Second}},
		}
		u.Spec.Limits = &natsv1alpha1.UserLimits{
			Subs: ptr.To[int64](0), Data: ptr.To[int64](-1), Payload: ptr.To[int64](4096),
			Src:   []natsv1alpha1.CIDR{"10.0.0.0/8"},
			Times: []natsv1alpha1.TimeRange{{Start: "22:00:00", End: "06:00:00"}}, TimesLocation: "Europe/Berlin",
		}
		u.Spec.AllowedConnectionTypes = []natsv1alpha1.ConnectionType{"STANDARD", "WEBSOCKET"}
		u.Spec.BearerToken = true
		u.Spec.Tags = []natsv1alpha1.Tag{"tier:gold"}
		u.Spec.Expiration = &metav1.Time{Time: exp}
	})
	accPub := newPub(t, natsjwt.KindAccount)
	want := natsjwt.UserSpec{
		Name: "api", IssuerAccount: accPub, Tags: []string{"tier:gold"}, Expires: exp,
		UserPermissionLimits: natsjwt.UserPermissionLimits{
			Permissions: natsjwt.Permissions{
				PubAllow: []string{"orders.>"}, PubDeny: []string{"orders.admin"},
				SubAllow: []string{"orders.* workers"}, SubDeny: []string{"secret.>"},
				Resp: &natsjwt.ResponsePermission{MaxMsgs: 3, TTL: 5 * time.Second},
			},
			Src: []string{"10.0.0.0/8"}, Times: []natsjwt.TimeRange{{Start: "22:00:00", End: "06:00:00"}},
			TimesLocation: "Europe/Berlin", Subs: ptr.To[int64](0), Data: ptr.To[int64](-1), Payload: ptr.To[int64](4096),
			BearerToken: true, AllowedConnectionTypes: []string{"STANDARD", "WEBSOCKET"},
		},
	}
	if diff := cmp.Diff(want, toUserSpec(user, accPub, false)); diff != "" {
		t.Errorf("toUserSpec (-want +got):\n%s", diff)
	}
}

// TestToUserSpecDefaults: omitted limits are unlimited (-1) in the JWT, never 0; an unset
// response ttl means no time limit; validFor never reaches the claims.
func TestToUserSpecDefaults(t *testing.T) {
	user := testUser(func(u *natsv1alpha1.NatsUser) {
		u.Spec.Permissions = &natsv1alpha1.Permissions{Resp: &natsv1alpha1.ResponsePermission{MaxMsgs: 1}}
		u.Spec.ValidFor = &metav1.Duration{Duration: time.Hour}
	})
	claims, err := natsjwt.UserClaims(newPub(t, natsjwt.KindUser), toUserSpec(user, newPub(t, natsjwt.KindAccount), false))
	if err != nil {
		t.Fatal(err)
	}
	if claims.NatsLimits.Subs != jwt.NoLimit || claims.NatsLimits.Data != jwt.NoLimit || claims.NatsLimits.Payload != jwt.NoLimit {
		t.Errorf("limits = %+v, want all %d", claims.NatsLimits, jwt.NoLimit)
	}
	if claims.Resp == nil || claims.Resp.Expires != specconv.UnlimitedTTL || claims.Resp.MaxMsgs != 1 {
		t.Errorf("resp = %+v, want max 1 and ttl %d", claims.Resp, specconv.UnlimitedTTL)
	}
	if claims.Expires != 0 {
		t.Errorf("exp = %d, want none: validFor expiry is set at signing time", claims.Expires)
	}
}

func TestToUserSpecScoped(t *testing.T) {
	user := testUser(func(u *natsv1alpha1.NatsUser) { u.Spec.SigningKey = "readers" })
	claims, err := natsjwt.UserClaims(newPub(t, natsjwt.KindUser), toUserSpec(user, newPub(t, natsjwt.KindAccount), true))
	if err != nil {
		t.Fatal(err)
	}
	if !claims.HasEmptyPermissions() {
		t.Errorf("scoped user carries permissions: %+v", claims.Permissions)
	}
}

func TestSpecPath(t *testing.T) {
	for in, want := range map[string]string{
		"":                          "spec",
		"pubAllow[2]":               "spec.permissions.pub.allow[2]",
		"subDeny[0]":                "spec.permissions.sub.deny[0]",
		"times[1].start":            "spec.limits.times[1].start",
		"timesLocation":             "spec.limits.timesLocation",
		"src[0]":                    "spec.limits.src[0]",
		"allowedConnectionTypes[0]": "spec.allowedConnectionTypes[0]",
		"tags[3]":                   "spec.tags[3]",
		"expires":                   "spec.expiration",
		"somethingNew.inner":        "spec.somethingNew.inner",
	} {
		if got := specPath(in); got != want {
			t.Errorf("specPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestInvalidSpecMessage: every issue is listed with the path the user wrote.
func TestInvalidSpecMessage(t *testing.T) {
	user := testUser(func(u *natsv1alpha1.NatsUser) {
		u.Spec.Limits = &natsv1alpha1.UserLimits{TimesLocation: "Mars/Base", Src: []natsv1alpha1.CIDR{"10.0.0.0/33"}}
	})
	_, err := natsjwt.UserClaims(newPub(t, natsjwt.KindUser), toUserSpec(user, newPub(t, natsjwt.KindAccount), false))
	if !errors.Is(err, natsjwt.ErrInvalidSpec) {
		t.Fatalf("err = %v, want an invalid spec", err)
	}
	msg := invalidSpecMessage(err)
	for _, want := range []string{"spec.limits.timesLocation:", "Mars/Base", "spec.limits.src[0]:"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not contain %q", msg, want)
		}
	}
	if other := errors.New("boom"); invalidSpecMessage(other) != "boom" {
		t.Errorf("a non-validation error is passed through")
	}
}

// FuzzToUserSpec: whatever subjects, CIDRs, zones and tags a user writes, conversion and
// validation never panic, and a failure is always a validation error with spec paths.
func FuzzToUserSpec(f *testing.F) {
	f.Add("orders.>", "10.0.0.0/8", "Europe/Berlin", "team:a", "08:00:00")
	f.Add("", "x", "Mars/Base", "A B", "25:00:00")
	f.Add("a..b", "::/0", "Local", "", "")
	accPub, userPub := newPub(f, natsjwt.KindAccount), newPub(f, natsjwt.KindUser)
	f.Fuzz(func(t *testing.T, subject, cidr, zone, tag, start string) {
		user := testUser(func(u *natsv1alpha1.NatsUser) {
			u.Spec.Permissions = &natsv1alpha1.Permissions{Pub: &natsv1alpha1.PublishPermission{Allow: []natsv1alpha1.Subject{natsv1alpha1.Subject(subject)}}}
			u.Spec.Limits = &natsv1alpha1.UserLimits{Src: []natsv1alpha1.CIDR{natsv1alpha1.CIDR(cidr)}, TimesLocation: zone,
				Times: []natsv1alpha1.TimeRange{{Start: start, End: "10:00:00"}}}
			u.Spec.Tags = []natsv1alpha1.Tag{natsv1alpha1.Tag(tag)}
		})
		_, err := natsjwt.UserClaims(userPub, toUserSpec(user, accPub, false))
		if err == nil {
			return
		}
		if !errors.Is(err, natsjwt.ErrInvalidSpec) {
			t.Fatalf("err = %v, want a validation error", err)
		}
		if msg := invalidSpecMessage(err); !strings.Contains(msg, "spec.") {
			t.Fatalf("message without a spec path: %q", msg)
		}
	})
}
