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

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/nats-io/jwt/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
)

// Faults a careless admin or a hostile tenant causes by hand (issue: no tenant input can hurt
// anyone else). Each checks its own repair right away, bounded by repairWait; the end-of-run
// invariants (old creds refused everywhere, keys never changed, valid users Ready) cover the rest.
const (
	faultDeleteConfig    = "delete the server-config Secret"
	faultStripOwner      = "strip the owner reference of a creds Secret"
	faultTamperCreds     = "tamper with a creds Secret's JWT"
	faultKeysMissing     = "delete a user while its account's key Secret is missing"
	faultControllersDown = "delete users while every controller is down"
)

// Invariants these faults check as they happen.
const (
	invConfigBack  = "a deleted server-config Secret comes back identical"
	invReadopted   = "a creds Secret without its owner reference is re-adopted"
	invRepairQuiet = "a tampered creds Secret is repaired without re-signing the system account"
)

// errNoReadyUser: the fault needs a Ready user with its Secret; it is tried again later.
var errNoReadyUser = errors.New("no Ready user with its creds Secret yet")

// repairWait bounds each repair the faults wait for; the controllers react to the Secret events
// within a second when healthy.
const repairWait = 45 * time.Second

// deleteServerConfig deletes <op>-server-config; the operator controller must write it again with
// the same content (servers mounting it must not see another config).
func (s *soak) deleteServerConfig(ctx context.Context) (string, error) {
	secrets := s.kube.CoreV1().Secrets(opNS)
	name := naming.ServerConfigSecret(opName)
	before, err := secrets.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	if err := secrets.Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &before.UID}}); err != nil {
		return "", err
	}
	err = s.waitRepair(ctx, func(ctx context.Context) (bool, error) {
		got, err := secrets.Get(ctx, name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			return false, errors.New("not re-created")
		case err != nil:
			return false, err
		case got.UID == before.UID:
			return false, errors.New("the deleted Secret is still there")
		}
		var differ []string
		for k := range maps.Keys(before.Data) {
			if string(got.Data[k]) != string(before.Data[k]) {
				differ = append(differ, k)
			}
		}
		if len(differ) > 0 || len(got.Data) != len(before.Data) {
			return false, fmt.Errorf("re-created with other content (keys %v differ; %d keys, was %d)", differ, len(got.Data), len(before.Data))
		}
		return true, nil
	})
	s.record(invConfigBack, err, "Secret %s/%s: %v", opNS, name, err)
	return "deleted " + name, nil
}

// stripCredsOwner removes the owner reference of a Ready user's creds Secret: the Secret still
// carries the user's labels and the seed of status.publicKey, so the user must re-adopt it.
func (s *soak) stripCredsOwner(ctx context.Context) (string, error) {
	u, sec, err := s.readyUserSecret(ctx)
	if err != nil {
		return "", err
	}
	if u == nil {
		return "", errNoReadyUser
	}
	patch := fmt.Sprintf(`{"metadata":{"ownerReferences":null,"resourceVersion":%q}}`, sec.ResourceVersion)
	if _, err := s.kube.CoreV1().Secrets(u.Namespace).Patch(ctx, sec.Name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		return "", err
	}
	err = s.waitRepair(ctx, func(ctx context.Context) (bool, error) {
		got, err := s.kube.CoreV1().Secrets(u.Namespace).Get(ctx, sec.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) || (err == nil && got.DeletionTimestamp != nil) {
			return s.userGone(ctx, u) // deleted by the workload meanwhile
		}
		return err == nil && metav1.IsControlledBy(got, u), err
	})
	s.record(invReadopted, err, "Secret %s/%s of NatsUser %s: %v", u.Namespace, sec.Name, u.Name, err)
	return u.Namespace + "/" + sec.Name, nil
}

// tamperCreds overwrites the JWT in a creds Secret (the resolver's, in the system account, every
// other time): the user controller must write a JWT for the same key again, and, the claims being
// the same, revoke nothing, so the system account is not re-signed.
func (s *soak) tamperCreds(ctx context.Context) (string, error) {
	u, sec, err := s.readyUserSecret(ctx)
	if s.intn(2) == 0 {
		u, sec, err = s.resolverUserSecret(ctx)
	}
	if err != nil {
		return "", err
	}
	if u == nil {
		return "", errNoReadyUser
	}
	sys, err := s.natsauth.NatsauthV1alpha1().NatsAccounts(opNS).Get(ctx, naming.SystemAccount(opName), metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	sec = sec.DeepCopy()
	old := string(sec.Data[naming.UserJWT])
	sec.Data[naming.UserJWT] = []byte("tampered by the soak")
	if _, err := s.kube.CoreV1().Secrets(u.Namespace).Update(ctx, sec, metav1.UpdateOptions{}); err != nil {
		return "", err
	}
	err = s.waitRepair(ctx, func(ctx context.Context) (bool, error) {
		got, err := s.kube.CoreV1().Secrets(u.Namespace).Get(ctx, sec.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return s.userGone(ctx, u)
		}
		if err != nil {
			return false, err
		}
		claims, err := jwt.DecodeUserClaims(string(got.Data[naming.UserJWT]))
		if err != nil || claims.Subject != u.Status.PublicKey {
			return false, nil
		}
		if sameGrants(old, claims) {
			s.tracker.repairedAs(old, string(got.Data[naming.UserJWT]))
		}
		return true, nil
	})
	if err == nil {
		now, gerr := s.natsauth.NatsauthV1alpha1().NatsAccounts(opNS).Get(ctx, sys.Name, metav1.GetOptions{})
		switch {
		case gerr != nil:
			err = gerr
		case now.Status.JWT != sys.Status.JWT:
			err = errors.New("the system account was re-signed")
		}
	}
	s.record(invRepairQuiet, err, "Secret %s/%s of NatsUser %s: %v", u.Namespace, sec.Name, u.Name, err)
	return u.Namespace + "/" + sec.Name, nil
}

// deleteUserWithoutKeys deletes a Ready user while its account's key Secret is gone, then puts
// the Secret back as it was (as an admin restoring a backup would). The account cannot revoke the
// key meanwhile; it must record it and revoke once the keys are back (checked at the end with the
// other old creds). The account is kept from the workload's deletes meanwhile, since deleting it
// would make a re-created one generate new keys, which is the fault's doing, not the product's.
func (s *soak) deleteUserWithoutKeys(ctx context.Context) (string, error) {
	u, _, err := s.readyUserSecret(ctx)
	if err != nil {
		return "", err
	}
	if u == nil {
		return "", errNoReadyUser
	}
	acc := u.Spec.AccountRef.Name
	if !s.pinAccount(acc) {
		return "", fmt.Errorf("account %s is pinned by another fault", acc)
	}
	defer s.unpinAccount(acc)
	secrets := s.kube.CoreV1().Secrets(opNS)
	keys, err := secrets.Get(ctx, naming.AccountKeysSecret(acc), metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	s.tracker.expectDeletion(opNS + "/" + keys.Name)
	if err := secrets.Delete(ctx, keys.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &keys.UID}}); err != nil {
		return "", err
	}
	restore := &corev1.Secret{Type: keys.Type, Data: keys.Data, ObjectMeta: metav1.ObjectMeta{Name: keys.Name,
		Namespace: opNS, Labels: keys.Labels, Annotations: keys.Annotations, OwnerReferences: keys.OwnerReferences}}
	defer s.mustRestore(restore)
	if err := s.natsauth.NatsauthV1alpha1().NatsUsers(u.Namespace).Delete(ctx, u.Name, metav1.DeleteOptions{}); err != nil {
		return "", ignoreNotFound(err)
	}
	sleep(context.WithoutCancel(ctx), s.between(2*time.Second, 6*time.Second))
	return fmt.Sprintf("NatsUser %s/%s deleted while Secret %s was gone", u.Namespace, u.Name, keys.Name), nil
}

// mustRestore writes a deleted key Secret back, retrying through API errors: losing it would
// lose the account's keys for the rest of the run.
func (s *soak) mustRestore(sec *corev1.Secret) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := pollUntil(ctx, time.Second, func() (bool, error) {
		_, err := s.kube.CoreV1().Secrets(sec.Namespace).Create(ctx, sec, metav1.CreateOptions{})
		return err == nil, err
	})
	if err != nil {
		s.stats.violation("no key Secret is lost", "the soak could not restore Secret %s/%s: %v", sec.Namespace, sec.Name, err)
	}
}

// deleteUsersOffline stops every controller replica, deletes one or two Ready users (nothing
// holds them: NatsUsers carry no finalizer), and starts the controllers again: the creds Secrets
// are the record the account revokes from (checked at the end with the other old creds).
func (s *soak) deleteUsersOffline(ctx context.Context) (string, error) {
	var users []*natsv1alpha1.NatsUser
	for range 1 + s.intn(2) {
		if u, _, err := s.readyUserSecret(ctx); err == nil && u != nil && !slices.ContainsFunc(users, sameUID(u)) {
			users = append(users, u)
		}
	}
	if len(users) == 0 {
		return "", errNoReadyUser
	}
	for _, r := range s.controllers {
		r.mu.Lock()
		r.held = true
		p := r.proc
		r.mu.Unlock()
		p.Stop()
	}
	defer s.releaseControllers(ctx)
	var names []string
	for _, u := range users {
		err := s.natsauth.NatsauthV1alpha1().NatsUsers(u.Namespace).Delete(ctx, u.Name, metav1.DeleteOptions{})
		if err := ignoreNotFound(err); err != nil && !errors.Is(err, errSkipped) {
			return "", err
		}
		names = append(names, u.Namespace+"/"+u.Name)
	}
	sleep(context.WithoutCancel(ctx), s.between(time.Second, 4*time.Second))
	return fmt.Sprintf("NatsUsers %v deleted with no controller running", names), nil
}

// releaseControllers starts the held controller replicas again and hands them back to the
// supervisor.
func (s *soak) releaseControllers(ctx context.Context) {
	startCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	for _, r := range s.controllers {
		if err := r.start(startCtx); err != nil {
			s.logf("starting %s again: %v (the supervisor keeps trying)", r.name, err)
		}
		r.mu.Lock()
		r.held = false
		r.mu.Unlock()
	}
}

// readyUserSecret returns a random valid, Ready pool user and its creds Secret, or nil.
func (s *soak) readyUserSecret(ctx context.Context) (*natsv1alpha1.NatsUser, *corev1.Secret, error) {
	for range 5 {
		u, err := s.pickUser(ctx, true)
		if err != nil || u == nil {
			return nil, nil, err
		}
		if sec, ok := s.controlledSecret(ctx, u); ok {
			return u, sec, nil
		}
	}
	return nil, nil, nil
}

// resolverUserSecret returns the resolver's NatsUser (system account) and its creds Secret.
func (s *soak) resolverUserSecret(ctx context.Context) (*natsv1alpha1.NatsUser, *corev1.Secret, error) {
	u, err := s.natsauth.NatsauthV1alpha1().NatsUsers(opNS).Get(ctx, naming.ResolverUser(opName), metav1.GetOptions{})
	if err != nil {
		return nil, nil, err
	}
	if sec, ok := s.controlledSecret(ctx, u); ok {
		return u, sec, nil
	}
	return nil, nil, nil
}

// controlledSecret returns u's creds Secret when u is Ready and controls it.
func (s *soak) controlledSecret(ctx context.Context, u *natsv1alpha1.NatsUser) (*corev1.Secret, bool) {
	if !isReady(u.Status.Conditions, u.Generation, u.Status.ObservedGeneration) || u.Status.SecretName == "" || u.Status.PublicKey == "" {
		return nil, false
	}
	sec, err := s.kube.CoreV1().Secrets(u.Namespace).Get(ctx, u.Status.SecretName, metav1.GetOptions{})
	if err != nil || !metav1.IsControlledBy(sec, u) {
		return nil, false
	}
	return sec, true
}

// userGone reports whether u (this UID) no longer exists or is being deleted.
func (s *soak) userGone(ctx context.Context, u *natsv1alpha1.NatsUser) (bool, error) {
	got, err := s.natsauth.NatsauthV1alpha1().NatsUsers(u.Namespace).Get(ctx, u.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return true, nil
	}
	return err == nil && (got.UID != u.UID || got.DeletionTimestamp != nil), err
}

// waitRepair polls cond until it holds or repairWait passes.
func (s *soak) waitRepair(ctx context.Context, cond func(context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), repairWait)
	defer cancel()
	return pollUntil(ctx, 250*time.Millisecond, func() (bool, error) { return cond(ctx) })
}

// record counts one check of inv, or its violation when err is set.
func (s *soak) record(inv string, err error, format string, args ...any) {
	if err != nil {
		s.stats.violation(inv, format, args...)
		return
	}
	s.stats.check(inv, 1)
}

// pinAccount keeps the workload from deleting account name until unpinAccount; false when it
// is pinned already.
func (s *soak) pinAccount(name string) bool {
	s.pinnedMu.Lock()
	defer s.pinnedMu.Unlock()
	if s.pinned[name] {
		return false
	}
	if s.pinned == nil {
		s.pinned = map[string]bool{}
	}
	s.pinned[name] = true
	return true
}

func (s *soak) unpinAccount(name string) {
	s.pinnedMu.Lock()
	defer s.pinnedMu.Unlock()
	delete(s.pinned, name)
}

func (s *soak) isPinned(name string) bool {
	s.pinnedMu.Lock()
	defer s.pinnedMu.Unlock()
	return s.pinned[name]
}

func sameUID(u *natsv1alpha1.NatsUser) func(*natsv1alpha1.NatsUser) bool {
	return func(o *natsv1alpha1.NatsUser) bool { return o.UID == u.UID }
}

// sameGrants reports whether the user JWT token grants exactly what claims grants (an edit during
// the repair re-issues with other grants and revokes the earlier JWTs).
func sameGrants(token string, claims *jwt.UserClaims) bool {
	was, err := jwt.DecodeUserClaims(token)
	if err != nil {
		return false
	}
	a, errA := json.Marshal(was.User)
	b, errB := json.Marshal(claims.User)
	return errA == nil && errB == nil && string(a) == string(b) && was.Expires == claims.Expires
}
