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
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/jwt/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// desired is what the user's JWT should say.
type desired struct {
	// claims are built from the spec, without the expiry of validFor credentials.
	claims *jwt.UserClaims
	// validFor is the lifetime of each JWT; zero for spec.expiration or no expiry.
	validFor time.Duration
	// hash identifies claims and the expiry policy; see claimsHash.
	hash string
}

// desiredClaims validates the spec by building the claims for userPub. Spec problems are
// terminal and reported with NatsUser field paths; nothing is written for them.
//
// maxLifetime is the account's spec.maxUserLifetime (zero: none): it becomes the validFor of
// users without one and caps longer ones, including users with a later spec.expiration.
func desiredClaims(user *natsv1alpha1.NatsUser, accountPub string, maxLifetime time.Duration, scoped bool, userPub string, now time.Time) (*desired, error) {
	claims, err := natsjwt.UserClaims(userPub, toUserSpec(user, accountPub, scoped))
	if errors.Is(err, natsjwt.ErrInvalidSpec) {
		return nil, controllerhelpers.Failed(ReasonInvalidSpec, "%s", invalidSpecMessage(err))
	}
	if err != nil {
		return nil, fmt.Errorf("build user claims: %w", err)
	}
	if err := natsjwt.CheckTimes(claims, now); errors.Is(err, natsjwt.ErrExpired) {
		return nil, expired(user)
	}
	d := &desired{claims: claims}
	if user.Spec.ValidFor != nil && user.Spec.Expiration == nil {
		d.validFor = user.Spec.ValidFor.Duration
	}
	if maxLifetime > 0 && (d.validFor == 0 || d.validFor > maxLifetime) {
		d.validFor = maxLifetime
	}
	if d.hash, err = claimsHash(claims, d.validFor); err != nil {
		return nil, err
	}
	return d, nil
}

func expired(user *natsv1alpha1.NatsUser) error {
	return controllerhelpers.Failed(ReasonExpired, "spec.expiration %s has passed; set a later expiration, or use validFor for credentials that are renewed",
		user.Spec.Expiration.UTC().Format(time.RFC3339))
}

// claimsHash is natsjwt.Hash of the spec-derived claims, combined with validFor when set. The
// expiry of validFor credentials moves with every issue, so it stays out of the claims; the
// policy is what the user asked for, and changing it re-issues.
func claimsHash(claims *jwt.UserClaims, validFor time.Duration) (string, error) {
	h, err := natsjwt.Hash(claims)
	if err != nil || validFor <= 0 {
		return h, err
	}
	sum := sha256.Sum256([]byte(h + "|validFor=" + validFor.String()))
	return hex.EncodeToString(sum[:]), nil
}

// Why a JWT is (re-)issued. Only an edit revokes the earlier JWTs of the key.
const (
	issueFirst   = "first"   // the user has no credentials yet
	issueRepair  = "repair"  // the Secret's JWT is missing or not this key's
	issueChanged = "changed" // the claims or the expiry policy changed
	issueSigner  = "signer"  // another signing key is to sign (spec.signingKey)
	issueRotated = "rotated" // the signing key was rotated: its new generation signs the same claims
	issueRenewal = "renewal" // validFor credentials reached two thirds of their life
	issueRevoked = "revoked" // the account revokes the current JWT (an adopted account's "*")
)

// reissueReason says whether and why the current JWT must be replaced; "" keeps it.
func reissueReason(cur *creds, d *desired, signerPub string, now time.Time) string {
	switch {
	case cur.claims == nil && cur.secret == nil:
		return issueFirst
	case cur.claims == nil:
		return issueRepair
	case cur.hash != d.hash:
		return issueChanged
	case cur.claims.Issuer != signerPub:
		return issueSigner
	case cur.accountRevokedAt >= cur.claims.IssuedAt:
		return issueRevoked
	case cur.claims.Expires != 0 && now.Unix() >= cur.claims.Expires:
		return issueRenewal
	case d.renewsEvery(cur.claims) > 0 && !now.Before(renewalTime(time.Unix(cur.claims.IssuedAt, 0), d.validFor)):
		return issueRenewal
	}
	return ""
}

// renewsEvery is the lifetime after whose two thirds current, a JWT issued for d, is renewed;
// zero when it is not renewed: no validFor, or it already carries the spec's final expiration.
func (d *desired) renewsEvery(current *jwt.UserClaims) time.Duration {
	if d.validFor <= 0 || (d.claims != nil && d.claims.Expires != 0 && current != nil && current.Expires >= d.claims.Expires) {
		return 0
	}
	return d.validFor
}

// renewalTime is when credentials issued at issuedAt and valid for validFor are re-issued: after
// two thirds of their life, leaving clients a third of it to pick up the updated Secret.
func renewalTime(issuedAt time.Time, validFor time.Duration) time.Time {
	return issuedAt.Add(validFor / 3 * 2)
}

// nextCheck is how long until the current credentials need a sync without any event: the
// renewal of validFor credentials, or the moment a fixed expiry passes (to report it). Zero
// means never.
func nextCheck(claims *jwt.UserClaims, validFor time.Duration, now time.Time) time.Duration {
	if claims == nil || claims.Expires == 0 {
		return 0
	}
	at := time.Unix(claims.Expires+1, 0) // CheckTimes calls it expired once now is past exp
	if validFor > 0 {
		at = renewalTime(time.Unix(claims.IssuedAt, 0), validFor)
	}
	return max(at.Sub(now), time.Second)
}

// issue signs a new JWT into cur when reissueReason asks for one. After an edit the earlier
// JWTs of the key are revoked through status.revokedBefore; the server revokes every JWT with
// iat <= the revocation time, so the new JWT must be issued in a later second than the old one.
//
// It returns why it issued (reissueReason), empty when the current JWT stays.
func (c *Controller) issue(ctx context.Context, cur *creds, d *desired, s *signer, status *natsv1alpha1.NatsUserStatus, now time.Time) (string, error) {
	why := reissueReason(cur, d, s.pub, now)
	if why == "" {
		cur.hash = d.hash
		return "", nil
	}
	if why == issueSigner && s.previous != "" && cur.claims.Issuer == s.previous {
		why = issueRotated
		if s.waitPush {
			// The old JWT stays valid meanwhile; the new one would be refused until the push.
			return "", controllerhelpers.RequeueAfter(time.Second, "waiting for the resolver to push the account JWT that trusts the rotated signing key")
		}
	}
	prev := previousIssuedAt(cur, status)
	revoke := revokesEarlier(why, status, d) && prev > 0
	if revoke {
		if ok, wait := natsjwt.CanIssueAfter(prev, now); !ok {
			return "", controllerhelpers.RequeueAfter(wait, "the replacement JWT must be issued after the second of the one it replaces")
		}
	}
	if ok, wait := natsjwt.CanIssueAfter(cur.accountRevokedAt, now); !ok {
		return "", controllerhelpers.RequeueAfter(wait, "the new JWT must be issued after the second the account revokes this key up to")
	}
	claims := *d.claims
	if d.validFor > 0 {
		// The spec's expiration, when earlier, still wins: validFor here may only be the
		// account's cap.
		if exp := now.Add(d.validFor).Unix(); claims.Expires == 0 || exp < claims.Expires {
			claims.Expires = exp
		}
	}
	token, iat, err := natsjwt.Sign(&claims, s.key)
	if errors.Is(err, natsjwt.ErrExpired) {
		return "", controllerhelpers.Failed(ReasonExpired, "the credentials would expire before they are issued; set a later spec.expiration")
	}
	if err != nil {
		return "", fmt.Errorf("sign user JWT: %w", err)
	}
	if cur.claims, err = jwt.DecodeUserClaims(token); err != nil {
		return "", fmt.Errorf("decode the user JWT just signed: %w", err)
	}
	cur.token, cur.hash, cur.dataTrusted = token, d.hash, false
	if revoke {
		cur.revokedBefore = iat
	}
	c.metrics.JWTsSigned("user", 1)
	klog.FromContext(ctx).V(2).Info("Issued user JWT", "publicKey", cur.pub, "claimsHash", d.hash,
		"why", why, "signingKey", s.name, "revokesEarlier", revoke)
	return why, nil
}

// revokesEarlier says whether the JWT replacing the current one must revoke the key's earlier
// JWTs. Only a change of what they grant needs it. A renewal and the account's own revocation do
// not, nor does a repair of a Secret whose JWT was lost or tampered with while status still
// records that it was issued for these claims: the earlier JWT grants what the new one grants,
// and revoking it would re-sign the account (the system account, for the resolver's creds) and
// cut off clients that still hold it, for nothing.
func revokesEarlier(why string, status *natsv1alpha1.NatsUserStatus, d *desired) bool {
	switch why {
	case issueRenewal, issueRevoked, issueRotated:
		// A rotation re-signs the same claims: the old JWT stays valid while its key is
		// trusted, so connected clients are not cut off before they load the new creds.
		return false
	case issueRepair:
		return status.ClaimsHash == "" || status.ClaimsHash != d.hash
	}
	return true
}

// previousIssuedAt is the iat of the JWT being replaced: from the Secret, else as last recorded.
func previousIssuedAt(cur *creds, status *natsv1alpha1.NatsUserStatus) int64 {
	if cur.claims != nil {
		return cur.claims.IssuedAt
	}
	if status.IssuedAt != nil {
		return status.IssuedAt.Unix()
	}
	return 0
}

// fillStatus records the credentials now in the Secret.
func fillStatus(status *natsv1alpha1.NatsUserStatus, accountPub string, cur *creds) {
	status.PublicKey = cur.pub
	status.AccountPublicKey = accountPub
	status.SecretName = cur.name
	status.ClaimsHash = cur.hash
	status.IssuedAt = unixTime(cur.claims.IssuedAt)
	status.ExpiresAt = unixTime(cur.claims.Expires)
	status.CredsDigest = cur.digest
	if cur.revokedBefore > 0 && (status.RevokedBefore == nil || status.RevokedBefore.Unix() < cur.revokedBefore) {
		status.RevokedBefore = unixTime(cur.revokedBefore)
	}
}

// unixTime converts JWT seconds to a status time; 0 (unset) becomes nil.
func unixTime(sec int64) *metav1.Time {
	if sec == 0 {
		return nil
	}
	t := metav1.NewTime(time.Unix(sec, 0))
	return &t
}
