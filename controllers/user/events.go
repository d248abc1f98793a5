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
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/record"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
)

// Reasons of the Normal events of credentials replaced in place. A first issue has none: the
// Ready condition says it, and an event per new user would be one more write per user.
const (
	// EventRenewed: validFor (or maxUserLifetime) credentials reached two thirds of their life
	// and the Secret holds new ones.
	EventRenewed = "Renewed"
	// EventReissued: the Secret holds a new JWT for another reason (an edit, another signing
	// key, a repaired Secret, a JWT the account revoked).
	EventReissued = "Reissued"
)

// whyText says in an event why a JWT was re-issued.
var whyText = map[string]string{
	issueRepair:  "the Secret's JWT was missing or not this key's",
	issueChanged: "the spec changed",
	issueSigner:  "another signing key signs the user",
	issueRevoked: "the account revoked the previous JWT",
	issueRotated: "the account rotated its signing key",
}

// issueEvent emits one Normal event when the stored status records a JWT that replaced an
// earlier one: prev is the status the sync started from, cur the one just written. It runs
// after the write, and it reads the change from the statuses, so a sync whose status write
// failed after the Secret write still reports the re-issue on its retry (why is empty then, and
// the statuses tell a renewal from a re-issue), and no sync reports it twice. The statuses
// alone would not do: jwt/v2 stamps issuedAt in whole wall-clock seconds, and a repair may fall
// in the second of the JWT it replaces.
func issueEvent(recorder record.EventRecorder, user *natsv1alpha1.NatsUser, prev, cur *natsv1alpha1.NatsUserStatus, why string) {
	if prev.IssuedAt == nil || cur.IssuedAt == nil || why == issueFirst {
		return
	}
	changed := prev.ClaimsHash != "" && prev.ClaimsHash != cur.ClaimsHash
	if why == "" && !changed && prev.IssuedAt.Equal(cur.IssuedAt) {
		return
	}
	revoked := cur.RevokedBefore != nil && !cur.RevokedBefore.Equal(prev.RevokedBefore)
	if why == "" {
		why = issueChanged
		if !revoked && !changed {
			why = issueRenewal
		}
	}
	msg := fmt.Sprintf("Secret %s holds new credentials of %s", cur.SecretName, cur.PublicKey)
	if cur.ExpiresAt != nil {
		msg += ", valid until " + cur.ExpiresAt.UTC().Format(time.RFC3339)
	}
	if why == issueRenewal {
		recorder.Event(user, corev1.EventTypeNormal, EventRenewed, msg)
		return
	}
	msg += ": " + whyText[why]
	if revoked {
		msg += "; the account revokes the key's JWTs issued before " + cur.RevokedBefore.UTC().Format(time.RFC3339)
	}
	recorder.Event(user, corev1.EventTypeNormal, EventReissued, msg)
}
