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
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
)

func TestRevokeUser(t *testing.T) {
	const pub = "UUSER"
	at := func(sec int64) *metav1.Time { return &metav1.Time{Time: time.Unix(sec, 0)} }
	user := func(revokedBefore, issuedAt, deleted *metav1.Time) *natsv1alpha1.NatsUser {
		u := &natsv1alpha1.NatsUser{}
		u.Status.PublicKey = pub
		u.Status.RevokedBefore, u.Status.IssuedAt, u.DeletionTimestamp = revokedBefore, issuedAt, deleted
		return u
	}
	for _, tc := range []struct {
		name string
		list map[string]int64
		user *natsv1alpha1.NatsUser
		want int64
	}{
		{"nothing to revoke", nil, user(nil, at(100), nil), 0},
		{"re-issued: up to revokedBefore-1", nil, user(at(200), at(200), nil), 199},
		{"deleted: up to the deletion", nil, user(nil, at(100), at(300)), 300},
		{"deleted after a later issue: up to the issue", nil, user(nil, at(400), at(300)), 400},
		{"re-issued, then deleted: up to the last issue", nil, user(at(500), at(500), at(300)), 500},
		{"never lowered", map[string]int64{pub: 1000}, user(at(200), at(200), nil), 1000},
	} {
		got := revokeUser(tc.list, tc.user)
		if got[pub] != tc.want {
			t.Errorf("%s: revoked up to %d, want %d", tc.name, got[pub], tc.want)
		}
	}
	noKey := user(at(200), nil, at(300))
	noKey.Status.PublicKey = ""
	if got := revokeUser(map[string]int64{}, noKey); len(got) != 0 {
		t.Errorf("a user without a key revokes nothing: %v", got)
	}
	in := map[string]int64{"UOTHER": 7}
	if revokeUser(in, user(at(200), at(200), nil)); len(in) != 1 {
		t.Error("revokeUser modified its input")
	}
}
