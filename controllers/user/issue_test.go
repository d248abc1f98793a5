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
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

func TestRenewalTime(t *testing.T) {
	iat := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		validFor time.Duration
		want     time.Duration
	}{
		{time.Minute, 40 * time.Second},
		{24 * time.Hour, 16 * time.Hour},
		{90 * time.Second, 60 * time.Second},
	} {
		if got := renewalTime(iat, tc.validFor).Sub(iat); got != tc.want {
			t.Errorf("renewal of %s credentials after %s, want %s", tc.validFor, got, tc.want)
		}
	}
}

func TestNextCheck(t *testing.T) {
	iat := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	claims := func(exp time.Time) *jwt.UserClaims {
		c := jwt.NewUserClaims(newPub(t, natsjwt.KindUser))
		c.IssuedAt = iat.Unix()
		if !exp.IsZero() {
			c.Expires = exp.Unix()
		}
		return c
	}
	for name, tc := range map[string]struct {
		claims   *jwt.UserClaims
		validFor time.Duration
		now      time.Time
		want     time.Duration
	}{
		"no expiry":                {claims(time.Time{}), 0, iat, 0},
		"validFor renews at 2/3":   {claims(iat.Add(time.Hour)), time.Hour, iat.Add(10 * time.Minute), 30 * time.Minute},
		"renewal overdue":          {claims(iat.Add(time.Hour)), time.Hour, iat.Add(50 * time.Minute), time.Second},
		"fixed expiry is reported": {claims(iat.Add(time.Hour)), 0, iat, time.Hour + time.Second},
		"no claims (never issued)": {nil, time.Hour, iat, 0},
	} {
		if got := nextCheck(tc.claims, tc.validFor, tc.now); got != tc.want {
			t.Errorf("%s: nextCheck = %s, want %s", name, got, tc.want)
		}
	}
}

func TestReissueReason(t *testing.T) {
	iat := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	signerPub := newPub(t, natsjwt.KindAccount)
	current := func(hash, issuer string, exp time.Time) *creds {
		c := jwt.NewUserClaims(newPub(t, natsjwt.KindUser))
		c.IssuedAt, c.Issuer = iat.Unix(), issuer
		if !exp.IsZero() {
			c.Expires = exp.Unix()
		}
		return &creds{secret: &corev1.Secret{}, claims: c, hash: hash}
	}
	plain := &desired{hash: "h"}
	short := &desired{hash: "h", validFor: time.Hour}
	for name, tc := range map[string]struct {
		cur  *creds
		d    *desired
		now  time.Time
		want string
	}{
		"new user":                  {&creds{}, plain, iat, issueFirst},
		"unreadable JWT":            {&creds{secret: &corev1.Secret{}}, plain, iat, issueRepair},
		"unchanged":                 {current("h", signerPub, time.Time{}), plain, iat.Add(time.Hour), ""},
		"claims changed":            {current("old", signerPub, time.Time{}), plain, iat, issueChanged},
		"other signing key":         {current("h", newPub(t, natsjwt.KindAccount), time.Time{}), plain, iat, issueSigner},
		"validFor not yet due":      {current("h", signerPub, iat.Add(time.Hour)), short, iat.Add(39 * time.Minute), ""},
		"validFor due at 2/3":       {current("h", signerPub, iat.Add(time.Hour)), short, iat.Add(40 * time.Minute), issueRenewal},
		"expired (controller down)": {current("h", signerPub, iat.Add(time.Hour)), short, iat.Add(2 * time.Hour), issueRenewal},
	} {
		if got := reissueReason(tc.cur, tc.d, signerPub, tc.now); got != tc.want {
			t.Errorf("%s: reissueReason = %q, want %q", name, got, tc.want)
		}
	}
}

// TestClaimsHash: validFor credentials hash the same whenever they are built (the expiry is not
// in the claims), and a change of the policy changes the hash.
func TestClaimsHash(t *testing.T) {
	userPub, accPub := newPub(t, natsjwt.KindUser), newPub(t, natsjwt.KindAccount)
	hashOf := func(validFor time.Duration, now time.Time) string {
		user := testUser(func(u *natsv1alpha1.NatsUser) { u.Spec.ValidFor = &metav1.Duration{Duration: validFor} })
		d, err := desiredClaims(user, accPub, 0, false, userPub, now)
		if err != nil {
			t.Fatal(err)
		}
		return d.hash
	}
	now := time.Now()
	if a, b := hashOf(time.Hour, now), hashOf(time.Hour, now.Add(time.Hour)); a != b {
		t.Errorf("hash changed with the time of the sync: %s != %s", a, b)
	}
	if a, b := hashOf(time.Hour, now), hashOf(2*time.Hour, now); a == b {
		t.Errorf("hash did not change with validFor")
	}
}

// TestDesiredClaimsExpired: an expiration in the past is reported as Expired, before anything
// is signed or written.
func TestDesiredClaimsExpired(t *testing.T) {
	user := testUser(func(u *natsv1alpha1.NatsUser) {
		u.Spec.Expiration = &metav1.Time{Time: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
	})
	_, err := desiredClaims(user, newPub(t, natsjwt.KindAccount), 0, false, newPub(t, natsjwt.KindUser), time.Now())
	nr, ok := controllerhelpers.AsNotReady(err)
	if !ok || nr.Reason != ReasonExpired || nr.Waiting {
		t.Fatalf("err = %v, want terminal %s", err, ReasonExpired)
	}
}

// TestMaxUserLifetime: the account's bound becomes the validFor of users without one, caps
// longer ones, and shortens a later spec.expiration, whose final JWT is then not renewed again.
func TestMaxUserLifetime(t *testing.T) {
	userPub, accPub := newPub(t, natsjwt.KindUser), newPub(t, natsjwt.KindAccount)
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	validFor := func(d time.Duration) func(*natsv1alpha1.NatsUser) {
		return func(u *natsv1alpha1.NatsUser) { u.Spec.ValidFor = &metav1.Duration{Duration: d} }
	}
	expiresIn := func(d time.Duration) func(*natsv1alpha1.NatsUser) {
		return func(u *natsv1alpha1.NatsUser) { u.Spec.Expiration = &metav1.Time{Time: now.Add(d)} }
	}
	for name, tc := range map[string]struct {
		user    func(*natsv1alpha1.NatsUser)
		max     time.Duration
		wantFor time.Duration
	}{
		"no bound, no validFor":       {func(*natsv1alpha1.NatsUser) {}, 0, 0},
		"bound becomes validFor":      {func(*natsv1alpha1.NatsUser) {}, 24 * time.Hour, 24 * time.Hour},
		"shorter validFor stays":      {validFor(time.Hour), 24 * time.Hour, time.Hour},
		"longer validFor is capped":   {validFor(48 * time.Hour), 24 * time.Hour, 24 * time.Hour},
		"later expiration is bounded": {expiresIn(72 * time.Hour), 24 * time.Hour, 24 * time.Hour},
	} {
		d, err := desiredClaims(testUser(tc.user), accPub, tc.max, false, userPub, now)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if d.validFor != tc.wantFor {
			t.Errorf("%s: validFor = %s, want %s", name, d.validFor, tc.wantFor)
		}
	}

	// An expiration 30h away under a 24h bound: the first JWT lives 24h and is renewed; the one
	// that carries the final expiration is not renewed again.
	d, err := desiredClaims(testUser(expiresIn(30*time.Hour)), accPub, 24*time.Hour, false, userPub, now)
	if err != nil {
		t.Fatal(err)
	}
	first := jwt.NewUserClaims(userPub)
	first.IssuedAt, first.Expires = now.Unix(), now.Add(24*time.Hour).Unix()
	if d.renewsEvery(first) != 24*time.Hour {
		t.Errorf("a JWT shortened by the bound must be renewed")
	}
	final := jwt.NewUserClaims(userPub)
	final.IssuedAt, final.Expires = now.Add(16*time.Hour).Unix(), now.Add(30*time.Hour).Unix()
	if got := d.renewsEvery(final); got != 0 {
		t.Errorf("the JWT with the final expiration renews every %s, want never", got)
	}
}
