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
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/natsjwt"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestAccountMaxUserLifetime proves what the revocation bound rests on: setting
// spec.maxUserLifetime on an account re-issues its users with JWTs that expire within the bound
// (the old, unbounded JWT is revoked in the account), and every later JWT carries that expiry.
func TestAccountMaxUserLifetime(t *testing.T) {
	ctx := suite.Context(t)
	ns := controlPlane.NewNamespace(t)
	suite.StartControllers(t)
	op := setupOperator(t, ctx, ns, "main")
	createAccount(t, ctx, newAccount(ns, "app", op.Name))
	waitAccountReady(t, ctx, ns, "app")
	users := suite.NatsClient(t).NatsauthV1alpha1().NatsUsers(ns)
	first := createReadyUser(t, ctx, ns, "svc", "app")
	if first.Status.ExpiresAt != nil {
		t.Fatalf("without a bound the user JWT must not expire, expires at %s", first.Status.ExpiresAt)
	}

	acc := getAccount(t, ctx, ns, "app")
	acc.Spec.MaxUserLifetime = &metav1.Duration{Duration: 2 * time.Hour}
	if _, err := suite.NatsClient(t).NatsauthV1alpha1().NatsAccounts(ns).Update(ctx, acc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	var bounded *natsv1alpha1.NatsUser
	suite.WaitFor(t, ctx, "the user is re-issued with a JWT that expires within the bound", func() bool {
		cur, err := users.Get(ctx, "svc", metav1.GetOptions{})
		if err != nil || cur.Status.ExpiresAt == nil || cur.Status.IssuedAt == nil {
			return false
		}
		bounded = cur
		return true
	})
	if life := bounded.Status.ExpiresAt.Sub(bounded.Status.IssuedAt.Time); life != 2*time.Hour {
		t.Errorf("the re-issued JWT lives %s, want the account's 2h", life)
	}
	if bounded.Status.PublicKey != first.Status.PublicKey {
		t.Errorf("the re-issue changed the user key")
	}
	creds := suite.GetSecret(t, ns, "svc")
	token, _, err := natsjwt.ParseCreds(creds.Data[naming.UserCreds])
	if err != nil {
		t.Fatal(err)
	}
	claims, err := jwt.DecodeUserClaims(token)
	if err != nil {
		t.Fatal(err)
	}
	if claims.Expires != bounded.Status.ExpiresAt.Unix() {
		t.Errorf("the Secret's JWT expires at %d, status says %d", claims.Expires, bounded.Status.ExpiresAt.Unix())
	}
	suite.WaitFor(t, ctx, "the account revokes the unbounded JWT and spares the bounded one", func() bool {
		acc := getAccount(t, ctx, ns, "app")
		if acc.Status.JWT == "" {
			return false
		}
		revs := decodeAccount(t, acc).Revocations
		return natsjwt.IsRevoked(revs, first.Status.PublicKey, first.Status.IssuedAt.Unix()) &&
			!natsjwt.IsRevoked(revs, bounded.Status.PublicKey, bounded.Status.IssuedAt.Unix())
	})
}
