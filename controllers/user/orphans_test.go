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
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2/ktesting"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/internal/testfixtures"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// controlledSecret is a creds Secret controlled by u, with the given finalizers and labels.
func controlledSecret(u *natsv1alpha1.NatsUser, finalizers []string, labels map[string]string) *corev1.Secret {
	labels[naming.LabelManagedBy] = naming.ManagedByValue
	labels[naming.LabelSecretType] = naming.SecretTypeCreds
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: u.Namespace, Name: u.Name, UID: "secret-uid",
		Labels: labels, Finalizers: finalizers,
		OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(u, natsv1alpha1.SchemeGroupVersion.WithKind("NatsUser"))}}}
}

// TestSyncLegacyFinalizer: a deleted NatsUser of an earlier version, whose Secret lacks the
// revoke-key finalizer, gives its Secret the finalizer and account-key label (the record the
// account revokes from) and is released at once: two patches, no waiting.
func TestSyncLegacyFinalizer(t *testing.T) {
	var u *natsv1alpha1.NatsUser
	f := newUserFixture(t, func(acc *natsv1alpha1.NatsAccount, user *natsv1alpha1.NatsUser) {
		user.UID = "legacy-uid"
		user.Finalizers = []string{naming.UserFinalizer}
		user.DeletionTimestamp = &metav1.Time{Time: time.Now()}
		_, user.Status.PublicKey = testfixtures.NewKey(t, natsjwt.KindUser)
		user.Status.AccountPublicKey = acc.Status.PublicKey
		u = user
	})
	f.Put(controlledSecret(u, nil, map[string]string{}))
	f.Sync()
	if err := f.sync(t); err != nil {
		t.Fatalf("sync: %v", err)
	}
	f.ExpectWrites("patch secrets api", "patch natsusers api")
	s := f.Secret(ns, "api")
	if !slices.Contains(s.Finalizers, naming.SecretFinalizer) || s.Labels[naming.LabelAccountKey] != f.acc.Status.PublicKey {
		t.Errorf("Secret finalizers %v labels %v", s.Finalizers, s.Labels)
	}
}

// TestSyncReleasesOrphanedCreds: the sync of a gone NatsUser releases (and deletes) its creds
// Secret when no NatsAccount holds the Secret's account key, and leaves it to the account
// controller when one does.
func TestSyncReleasesOrphanedCreds(t *testing.T) {
	f := newUserFixture(t, nil)
	gone := testfixtures.User(ns, "gone", "nats", "orders")
	gone.UID = "gone-uid"
	_, unknown := testfixtures.NewKey(t, natsjwt.KindAccount)
	f.Put(controlledSecret(gone, []string{naming.SecretFinalizer}, map[string]string{naming.LabelAccountKey: unknown}))
	known := testfixtures.User(ns, "known", "nats", "orders")
	known.UID = "known-uid"
	f.Put(controlledSecret(known, []string{naming.SecretFinalizer}, map[string]string{naming.LabelAccountKey: f.acc.Status.PublicKey}))
	f.Sync()
	_, ctx := ktesting.NewTestContext(t)
	for _, u := range []*natsv1alpha1.NatsUser{gone, known} {
		if err := f.c.sync(ctx, testfixtures.Key(u)); err != nil {
			t.Fatalf("sync %s: %v", u.Name, err)
		}
	}
	f.ExpectWrites("patch secrets gone", "delete secrets gone")
	if f.Secret(ns, "gone") != nil || f.Secret(ns, "known") == nil {
		t.Error("want only the Secret of the unknown account key released")
	}
}
