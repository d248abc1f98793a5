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
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/controllers/user"
	"github.com/natsauth/nats-auth-operator/natsjwt"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// badInput is a user the schema accepts but the controller must refuse.
type badInput struct {
	// setup creates what the case needs and returns the NatsUser's name; the user's Secret is
	// named after it unless the case says otherwise.
	setup  func(e *userEnv, ns string) string
	reason string
	// message must appear in the Ready condition's message.
	message []string
	// keepSecret is set when a Secret of the user's name exists on purpose and must stay as is.
	keepSecret bool
}

// TestUserBadInput: every case ends in Ready=False with an actionable reason and message, exactly
// one Warning event (re-queues do not repeat it), and no credentials written.
func TestUserBadInput(t *testing.T) {
	suite.StartControllers(t)
	for name, tc := range badInputs() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			checkBadInput(t, tc)
		})
	}
}

// badInputs are the cases of TestUserBadInput. SecretConflict with another NatsUser's Secret is
// in TestUser/SecretOfAnotherNatsUser, which also shows the name being freed.
func badInputs() map[string]badInput {
	return map[string]badInput{
		"UnknownAccount": {setup: func(e *userEnv, ns string) string {
			e.createUser(newUser(ns, "u", natsv1alpha1.NatsAccountReference{Name: "nope"}))
			return "u"
		}, reason: user.ReasonAccountNotFound, message: []string{"/nope does not exist"}},
		"OtherNamespaceNotListed": {setup: func(e *userEnv, ns string) string {
			other := controlPlane.NewNamespace(e.t)
			acc := e.prepareAccount(other, "orders", natsv1alpha1.NatsAccountSpec{}, accountSetup{})
			e.createUser(newUser(ns, "u", acc.ref()))
			return "u"
		}, reason: user.ReasonNamespaceNotAllowed, message: []string{"/orders does not allow users from namespace", "allowedUserNamespaces"}},
		"OtherNamespaceNotInList": {setup: func(e *userEnv, ns string) string {
			other := controlPlane.NewNamespace(e.t)
			acc := e.prepareAccount(other, "orders", natsv1alpha1.NatsAccountSpec{AllowedUserNamespaces: []string{"somewhere-else"}}, accountSetup{})
			e.createUser(newUser(ns, "u", acc.ref()))
			return "u"
		}, reason: user.ReasonNamespaceNotAllowed, message: []string{"does not allow users from namespace"}},
		"MissingScopedKey": {setup: func(e *userEnv, ns string) string {
			acc := e.prepareAccount(ns, "orders", natsv1alpha1.NatsAccountSpec{SigningKeys: []natsv1alpha1.AccountSigningKey{{Name: "ci"}}}, accountSetup{})
			e.createUser(newUser(ns, "u", acc.ref(), func(u *natsv1alpha1.NatsUser) { u.Spec.SigningKey = "readers" }))
			return "u"
		}, reason: user.ReasonSigningKeyNotFound, message: []string{`no signing key "readers"`}},
		"BadTimesLocation": {setup: withUser(func(u *natsv1alpha1.NatsUser) {
			u.Spec.Limits = &natsv1alpha1.UserLimits{TimesLocation: "Mars/Base", Times: []natsv1alpha1.TimeRange{{Start: "08:00:00", End: "17:00:00"}}}
		}), reason: user.ReasonInvalidSpec, message: []string{"spec.limits.timesLocation", "Mars/Base"}},
		"LocalTimesLocation": {setup: withUser(func(u *natsv1alpha1.NatsUser) {
			u.Spec.Limits = &natsv1alpha1.UserLimits{TimesLocation: "Local"}
		}), reason: user.ReasonInvalidSpec, message: []string{"spec.limits.timesLocation"}},
		"BadQueueGroup": {setup: withUser(func(u *natsv1alpha1.NatsUser) {
			u.Spec.Permissions = &natsv1alpha1.Permissions{Sub: &natsv1alpha1.SubscribePermission{
				Allow: []natsv1alpha1.SubscribeSubject{"orders.* workers..blue"}}}
		}), reason: user.ReasonInvalidSpec, message: []string{"spec.permissions.sub.allow[0]"}},
		"ExpirationInThePast": {setup: withUser(func(u *natsv1alpha1.NatsUser) {
			u.Spec.Expiration = &metav1.Time{Time: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
		}), reason: user.ReasonExpired, message: []string{"spec.expiration 2020-01-01T00:00:00Z has passed"}},
		"BearerTokenOfAnAccountThatDisallowsIt": {setup: func(e *userEnv, ns string) string {
			acc := e.prepareAccount(ns, "orders", natsv1alpha1.NatsAccountSpec{Limits: &natsv1alpha1.AccountLimits{DisallowBearer: true}}, accountSetup{})
			e.createUser(newUser(ns, "u", acc.ref(), func(u *natsv1alpha1.NatsUser) { u.Spec.BearerToken = true }))
			return "u"
		}, reason: user.ReasonInvalidSpec, message: []string{"spec.bearerToken is true", "limits.disallowBearer"}},
		"ScopedBearerKeyOfAnAccountThatDisallowsIt": {setup: func(e *userEnv, ns string) string {
			acc := e.prepareAccount(ns, "orders", natsv1alpha1.NatsAccountSpec{Limits: &natsv1alpha1.AccountLimits{DisallowBearer: true},
				SigningKeys: []natsv1alpha1.AccountSigningKey{{Name: "browsers", Scope: &natsv1alpha1.SigningKeyScope{
					Template: natsv1alpha1.UserPermissionLimits{BearerToken: true}}}}}, accountSetup{})
			e.createUser(newUser(ns, "u", acc.ref(), func(u *natsv1alpha1.NatsUser) { u.Spec.SigningKey = "browsers" }))
			return "u"
		}, reason: user.ReasonInvalidSpec, message: []string{`signing key "browsers"`, "limits.disallowBearer"}},
		"ForeignSecret": {setup: func(e *userEnv, ns string) string {
			foreign := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "u", Namespace: ns}, StringData: map[string]string{"password": "hunter2"}}
			if _, err := e.kube.CoreV1().Secrets(ns).Create(e.ctx, foreign, metav1.CreateOptions{}); err != nil {
				e.t.Fatal(err)
			}
			return withUser()(e, ns)
		}, reason: user.ReasonSecretConflict, message: []string{"Secret u exists and is not controlled by this NatsUser"}, keepSecret: true},
		"KeysMissing": {setup: func(e *userEnv, ns string) string {
			name := withUser()(e, ns)
			e.waitReady(ns, name)
			if err := e.kube.CoreV1().Secrets(ns).Delete(e.ctx, name, metav1.DeleteOptions{}); err != nil {
				e.t.Fatal(err)
			}
			return name
		}, reason: user.ReasonKeysMissing, message: []string{"Secret u with the seed of U", "is gone"}},
		"ScopedKeyWithOwnPermissions": {setup: func(e *userEnv, ns string) string {
			acc := e.prepareAccount(ns, "orders", natsv1alpha1.NatsAccountSpec{SigningKeys: []natsv1alpha1.AccountSigningKey{{Name: "readers",
				Scope: &natsv1alpha1.SigningKeyScope{Template: natsv1alpha1.UserPermissionLimits{Limits: &natsv1alpha1.UserLimits{Subs: ptr.To[int64](5)}}}}}},
				accountSetup{})
			e.createUser(newUser(ns, "u", acc.ref(), func(u *natsv1alpha1.NatsUser) {
				u.Spec.SigningKey = "readers"
				u.Spec.Permissions = &natsv1alpha1.Permissions{Pub: &natsv1alpha1.PublishPermission{Allow: []natsv1alpha1.Subject{"orders.>"}}}
			}))
			return "u"
		}, reason: user.ReasonInvalidSpec, message: []string{"spec.permissions", "scoped"}},
		"SystemAccountUser": {setup: func(e *userEnv, ns string) string {
			acc := e.prepareAccount(ns, naming.SystemAccount("main"), natsv1alpha1.NatsAccountSpec{}, accountSetup{})
			if err := e.labelAccount(ns, naming.SystemAccount("main"), naming.LabelSystemAccount, "main"); err != nil {
				e.t.Fatal(err)
			}
			e.createUser(newUser(ns, "u", acc.ref()))
			return "u"
		}, reason: user.ReasonSystemAccountReserved, message: []string{"is the system account of NatsOperator main"}},
		"KeysInvalid": {setup: setupKeysInvalid, reason: user.ReasonKeysInvalid, message: []string{"Secret u key user.nk"}, keepSecret: true},
	}
}

// checkBadInput runs one case: Ready=False with the reason and message, one Warning, and the
// Secret of the user's name absent (or, where one exists on purpose, untouched).
func checkBadInput(t *testing.T, tc badInput) {
	e := newUserEnv(t)
	ns := controlPlane.NewNamespace(t)
	name := tc.setup(e, ns)
	var before *corev1.Secret
	if tc.keepSecret {
		before = e.mustSecret(ns, name)
	}
	u := e.waitReason(ns, name, tc.reason)
	c := meta.FindStatusCondition(u.Status.Conditions, natsv1alpha1.ConditionReady)
	if c.Status != metav1.ConditionFalse {
		t.Errorf("Ready = %s, want False", c.Status)
	}
	for _, want := range tc.message {
		if !strings.Contains(c.Message, want) {
			t.Errorf("message %q does not contain %q", c.Message, want)
		}
	}
	expectOneWarning(e, ns, name, tc.reason)
	s, err := e.secret(ns, name)
	switch {
	case tc.keepSecret && (err != nil || s.ResourceVersion != before.ResourceVersion):
		t.Errorf("the existing Secret was changed or removed: %v", err)
	case !tc.keepSecret && !apierrors.IsNotFound(err):
		t.Errorf("credentials were written for bad input: %v", err)
	}
}

// withUser returns a setup that creates an issued account and a user "u" of it in ns.
func withUser(mutate ...func(*natsv1alpha1.NatsUser)) func(e *userEnv, ns string) string {
	return func(e *userEnv, ns string) string {
		acc := e.prepareAccount(ns, "orders", natsv1alpha1.NatsAccountSpec{}, accountSetup{})
		e.createUser(newUser(ns, "u", acc.ref(), mutate...))
		return "u"
	}
}

// setupKeysInvalid gives a user a Secret it controls whose user.nk is not a user seed. The
// account is issued only afterwards, so the user waits quietly until the Secret is in place.
func setupKeysInvalid(e *userEnv, ns string) string {
	acc := e.prepareAccount(ns, "orders", natsv1alpha1.NatsAccountSpec{}, accountSetup{unissued: true})
	u := e.createUser(newUser(ns, "u", acc.ref()))
	e.waitReason(ns, "u", user.ReasonAccountNotReady)
	broken := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "u", Namespace: ns, Labels: map[string]string{
			naming.LabelManagedBy: naming.ManagedByValue, naming.LabelSecretType: naming.SecretTypeCreds},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(u, natsv1alpha1.SchemeGroupVersion.WithKind("NatsUser"))}},
		Data: map[string][]byte{naming.UserSeed: seed(e.t, newKey(e.t, natsjwt.KindAccount))},
	}
	if _, err := e.kube.CoreV1().Secrets(ns).Create(e.ctx, broken, metav1.CreateOptions{}); err != nil {
		e.t.Fatal(err)
	}
	acc.publish(e, nil)
	return "u"
}

// expectOneWarning waits for the Warning event of reason, re-queues the user through its own
// watch and the account's, and then checks that no further Warning appears.
func expectOneWarning(e *userEnv, ns, name, reason string) {
	e.t.Helper()
	suite.WaitFor(e.t, e.ctx, "a Warning event "+reason, func() bool { return e.warnings(ns, name)[reason] > 0 })
	e.touch("NatsUser", ns, name)
	if u, err := e.getUser(ns, name); err == nil {
		accNs := u.Spec.AccountRef.Namespace
		if accNs == "" {
			accNs = ns
		}
		if _, err := e.nats.NatsauthV1alpha1().NatsAccounts(accNs).Get(e.ctx, u.Spec.AccountRef.Name, metav1.GetOptions{}); err == nil {
			e.touch("NatsAccount", accNs, u.Spec.AccountRef.Name)
		}
	}
	e.consistently(2*time.Second, "exactly one Warning event", func() bool {
		w := e.warnings(ns, name)
		total := int32(0)
		for _, n := range w {
			total += n
		}
		return w[reason] == 1 && total == 1
	})
}

// labelAccount sets one label on a NatsAccount.
func (e *userEnv) labelAccount(ns, name, key, value string) error {
	patch := []byte(`{"metadata":{"labels":{"` + key + `":"` + value + `"}}}`)
	_, err := e.nats.NatsauthV1alpha1().NatsAccounts(ns).Patch(e.ctx, name, types.MergePatchType, patch, metav1.PatchOptions{})
	return err
}
