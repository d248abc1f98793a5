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
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/internal/testfixtures"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// credsOf is the creds Secret the user controller writes for owner: labelled with the account
// key, with the revoke-key finalizer and a user JWT of a new key. It returns the key and iat.
func credsOf(t *testing.T, owner *natsv1alpha1.NatsUser, accountPub string) (*corev1.Secret, string, int64) {
	t.Helper()
	_, pub := testfixtures.NewKey(t, natsjwt.KindUser)
	signer, _ := testfixtures.NewKey(t, natsjwt.KindAccount)
	uc := jwt.NewUserClaims(pub)
	uc.IssuerAccount = accountPub
	token, err := uc.Encode(signer)
	if err != nil {
		t.Fatal(err)
	}
	decoded, err := jwt.DecodeUserClaims(token)
	if err != nil {
		t.Fatal(err)
	}
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: owner.Namespace, Name: owner.Name, UID: types.UID("secret-" + owner.Name),
			Labels: map[string]string{naming.LabelManagedBy: naming.ManagedByValue, naming.LabelSecretType: naming.SecretTypeCreds,
				naming.LabelAccountKey: accountPub},
			Finalizers:      []string{naming.SecretFinalizer},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(owner, natsv1alpha1.SchemeGroupVersion.WithKind("NatsUser"))},
		},
		Data: map[string][]byte{naming.UserJWT: []byte(token)},
	}
	return s, pub, decoded.IssuedAt
}

// TestSyncRevokesCredsOfGoneUser: a creds Secret whose NatsUser is gone (deleted while the
// controller was down, or stripped of everything) has its key revoked up to its JWT's iat, then
// is released and deleted: 1 status write, then 2 Secret writes. The Secret of a live user is
// left alone and its key not revoked.
func TestSyncRevokesCredsOfGoneUser(t *testing.T) {
	f := newAccountFixture(t, testfixtures.Account(ns, "orders", "main"))
	f.issued(t)
	accPub := f.Account(ns, "orders").Status.PublicKey
	gone := testfixtures.User(ns, "gone", ns, "orders")
	gone.UID = "uid-gone"
	live := testfixtures.User(ns, "live", ns, "orders")
	live.UID = "uid-live"
	goneCreds, gonePub, iat := credsOf(t, gone, accPub)
	liveCreds, livePub, _ := credsOf(t, live, accPub)
	f.Put(goneCreds)
	f.Put(liveCreds)
	f.Put(live)
	f.Sync()
	if keys := f.c.secretAccounts(goneCreds); len(keys) != 1 || keys[0].Name != "orders" {
		t.Errorf("the gone user's Secret re-queues %v, want the account", keys)
	}
	if keys := f.c.secretAccounts(liveCreds); len(keys) != 0 {
		t.Errorf("a live user's Secret re-queues %v, want nothing", keys)
	}

	f.Clock.Step(2 * time.Second)
	if err := f.sync(t); err != nil {
		t.Fatalf("sync: %v", err)
	}
	f.ExpectWrites("update natsaccounts/status orders", "patch secrets gone", "delete secrets gone")
	revocations := f.claims(t).Revocations
	if got := revocations[gonePub]; got != iat {
		t.Errorf("revoked up to %d, want the JWT's iat %d", got, iat)
	}
	if _, ok := revocations[livePub]; ok {
		t.Error("a live user's key was revoked")
	}
	if f.Secret(ns, "gone") != nil || f.Secret(ns, "live") == nil {
		t.Error("want the gone user's Secret deleted and the live user's kept")
	}
}

// TestSyncRecordsCredsWhileKeysMissing: with the account's key Secret gone nothing can sign
// the revocation, so the gone user's key is recorded in a pending-revocation annotation, with a
// Warning RevocationPending, and the Secret is released instead of blocking forever.
func TestSyncRecordsCredsWhileKeysMissing(t *testing.T) {
	acc := testfixtures.Account(ns, "orders", "main")
	acc.Finalizers = []string{naming.AccountFinalizer}
	_, acc.Status.PublicKey = testfixtures.NewKey(t, natsjwt.KindAccount)
	gone := testfixtures.User(ns, "gone", ns, "orders")
	gone.UID = "uid-gone"
	goneCreds, gonePub, iat := credsOf(t, gone, acc.Status.PublicKey)
	f := newAccountFixture(t, acc, goneCreds)
	f.Sync()

	if err := f.sync(t); err == nil {
		t.Fatal("sync: want the KeysMissing error")
	}
	f.ExpectWrites("update natsaccounts/status orders", "patch natsaccounts orders", "patch secrets gone", "delete secrets gone")
	f.ExpectEvents("Warning "+ReasonKeysMissing, "Warning RevocationPending")
	got := f.Account(ns, "orders").Annotations[naming.AnnotationPendingRevocationPrefix+gonePub]
	if got != strconv.FormatInt(iat, 10) {
		t.Errorf("pending revocation %q, want the JWT's iat %d", got, iat)
	}
	if f.Secret(ns, "gone") != nil {
		t.Error("the Secret was not released")
	}
}
