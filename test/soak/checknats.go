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
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats.go"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/natsjwt"
	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// messageWait bounds each wait for a message or an asynchronous -ERR on a healthy server.
const messageWait = 3 * time.Second

// parallel runs fn for every index with a few workers: connection checks mostly wait.
func parallel(n int, fn func(i int)) {
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(n, 8) {
		wg.Go(func() {
			for i := range work {
				fn(i)
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
}

// checkConnections connects as every valid user to every server: an allowed publish is delivered,
// and the denied subject, another user's subject space and the previous version's subjects are
// refused with a permissions violation.
func (s *soak) checkConnections(_ context.Context, r *round, valid []validUserCreds) {
	parallel(len(valid)*len(s.servers), func(i int) {
		u, srv := valid[i/len(s.servers)], s.servers[i%len(s.servers)]
		if err := exercise(srv.ClientURL(), u); err != nil {
			r.fail(invConnect, "%s on %s: %v", u.ref, srv.Name(), err)
		} else {
			r.ok(invConnect)
		}
	})
}

// exercise runs one user's permission check on one server. The same user is checked on the
// other servers at the same time, in the same account, so the subjects carry a nonce and only
// this check's messages count.
func exercise(url string, u validUserCreds) error {
	errs := make(chan error, 32)
	nc, err := testbed.ConnectCreds(url, u.creds, nats.Name("soak check"),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			select {
			case errs <- err:
			default:
			}
		}))
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer nc.Close()
	nonce := nats.NewInbox()[len(nats.InboxPrefix):]
	ver := fmt.Sprintf("%s.v%d", u.base, u.version)
	allowed := ver + ".ok." + nonce
	sub, err := nc.SubscribeSync(u.base + ".>")
	if err == nil {
		err = nc.Flush()
	}
	if err == nil {
		err = nc.Publish(allowed, []byte("soak"))
	}
	if err != nil {
		return fmt.Errorf("allowed publish to %s: %w", allowed, err)
	}
	if err := waitMsg(sub, allowed); err != nil {
		return err
	}
	denied := []string{ver + ".secret", u.base + ".other." + nonce}
	if u.version > 0 {
		denied = append(denied, fmt.Sprintf("%s.v%d.ok.%s", u.base, u.version-1, nonce))
	}
	for _, subj := range denied {
		if err := nc.Publish(subj, []byte("soak")); err != nil {
			return fmt.Errorf("publish to %s: %w", subj, err)
		}
		_ = nc.Flush()
		if err := waitViolation(errs, subj); err != nil {
			return err
		}
	}
	for {
		m, err := sub.NextMsg(10 * time.Millisecond)
		if err != nil {
			return nil
		}
		if slices.Contains(denied, m.Subject) {
			return fmt.Errorf("a denied publish was delivered on %s", m.Subject)
		}
	}
}

// waitMsg waits for a message on subj, skipping what other checks of the same user publish.
func waitMsg(sub *nats.Subscription, subj string) error {
	deadline := time.Now().Add(messageWait)
	for {
		m, err := sub.NextMsg(time.Until(deadline))
		if err != nil {
			return fmt.Errorf("allowed publish to %s was not delivered: %w", subj, err)
		}
		if m.Subject == subj {
			return nil
		}
	}
}

// waitViolation waits for the server's permissions violation for a publish to subj.
func waitViolation(errs <-chan error, subj string) error {
	deadline := time.After(messageWait)
	for {
		select {
		case err := <-errs:
			if errors.Is(err, nats.ErrPermissionViolation) && strings.Contains(err.Error(), subj) {
				return nil
			}
		case <-deadline:
			return fmt.Errorf("publish to %s was not refused with a permissions violation", subj)
		}
	}
}

// checkOldCreds tries every creds the tracker saw that is no longer a valid user's current creds
// (the user was deleted, re-issued after an edit, or its namespace is no longer allowed) on every
// server: each must be refused. A JWT a repair replaced for the same claims counts as the one
// that replaced it.
func (s *soak) checkOldCreds(_ context.Context, r *round, w *world, valid []validUserCreds) {
	current := map[string]bool{}
	for _, u := range valid {
		current[u.jwt] = true
	}
	disallowed := map[types.UID]bool{}
	for _, u := range w.users {
		disallowed[u.UID] = expectedReason(w, u) == "NamespaceNotAllowed"
	}
	live, err := s.liveUserJWTs()
	if err != nil {
		r.fail("the API answers", "%v", err)
		return
	}
	_, all, _ := s.tracker.snapshot()
	var old []*credsObs
	for _, c := range all {
		token := s.tracker.successor(c.jwt)
		if current[token] {
			continue
		}
		// A live user that is not valid right now because its account is gone keeps its creds
		// Secret: those creds are neither deleted nor re-issued, and the server no longer has
		// the account. A user in a namespace its account no longer allows keeps them too, but
		// they must be refused (the account revokes the key).
		if cur, ok := live[c.owner]; ok && cur == token && !disallowed[c.owner] {
			continue
		}
		old = append(old, c)
	}
	parallel(len(old)*len(s.servers), func(i int) {
		c, srv := old[i/len(s.servers)], s.servers[i%len(s.servers)]
		nc, err := testbed.ConnectCreds(srv.ClientURL(), c.creds, nats.Name("soak old creds"))
		if err == nil {
			nc.Close()
			why := "deleted"
			if _, ok := live[c.owner]; ok {
				why = "re-issued"
			}
			r.fail(invOldCreds, "creds of NatsUser %s (%s; seen at +%s) still connect to %s; %s", c.user, why,
				c.seen.Sub(s.began).Round(time.Second), srv.Name(), s.explainOldCreds(c, srv.JWTDir()))
			return
		}
		r.ok(invOldCreds)
	})
}

// liveUserJWTs maps each live NatsUser to the JWT its creds Secret holds now ("" without one).
func (s *soak) liveUserJWTs() (map[types.UID]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out := map[types.UID]string{}
	users, err := s.natsauth.NatsauthV1alpha1().NatsUsers("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	for _, u := range users.Items {
		out[u.UID] = ""
		name := u.Spec.SecretName
		if name == "" {
			name = u.Name
		}
		sec, err := s.kube.CoreV1().Secrets(u.Namespace).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if ref := metav1.GetControllerOf(sec); ref == nil || ref.UID != u.UID {
			continue
		}
		if token, _, err := natsjwt.ParseCreds(sec.Data[naming.UserCreds]); err == nil {
			out[u.UID] = token
		}
	}
	return out, nil
}

// explainOldCreds says, without secrets, why old creds may still work: which account they belong
// to, how many times that account was created during the run, and whether the JWT the server
// stores revokes the user's key.
func (s *soak) explainOldCreds(c *credsObs, jwtDir string) string {
	uc, err := jwt.DecodeUserClaims(c.jwt)
	if err != nil {
		return "undecodable user JWT: " + err.Error()
	}
	accPub := uc.IssuerAccount
	if accPub == "" {
		accPub = uc.Issuer
	}
	name := "an account no longer known"
	s.tracker.mu.Lock()
	for id, pub := range s.tracker.identities {
		if n, ok := strings.CutPrefix(id, "NatsAccount "+opNS+"/"); ok && pub == accPub {
			name = fmt.Sprintf("account %s (created %d times during the run)", n, len(s.tracker.incarnations[n]))
		}
	}
	s.tracker.mu.Unlock()
	stored := storedJWT(jwtDir, accPub)
	if stored == "" {
		return fmt.Sprintf("user %s, iat %d, of %s, which the server does not store", uc.Subject, uc.IssuedAt, name)
	}
	ac, err := jwt.DecodeAccountClaims(stored)
	if err != nil {
		return fmt.Sprintf("user %s of %s: the stored account JWT does not decode: %v", uc.Subject, name, err)
	}
	rev, ok := ac.Revocations[uc.Subject]
	return fmt.Sprintf("user %s, iat %d, of %s; the stored account JWT (iat %d, %d revocations) revokes the key: %t (up to %d)",
		uc.Subject, uc.IssuedAt, name, ac.IssuedAt, len(ac.Revocations), ok, rev)
}
