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
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/jwt/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// Invariant names, as counted in the report.
const (
	invDeletions   = "deletions finish (no object left terminating)"
	invOperator    = "the operator is Ready"
	invAccountJWT  = "every server holds exactly the account JWT of the status; Pushed says all servers"
	invDeletedAcc  = "no server holds a deleted account"
	invValidUser   = "every valid NatsUser is Ready and has its Secret"
	invConnect     = "valid creds connect to every server with exactly their permissions"
	invOldCreds    = "old creds of deleted or re-issued users are refused by every server"
	invInvalid     = "every invalid object has Ready=False with its reason and a Warning Event"
	invNoSecretBad = "no creds Secret for a user that was never valid"
)

// round is one pass of the checks: how many were made and what failed.
type round struct {
	mu         sync.Mutex
	checked    map[string]int
	violations []string
}

func (r *round) ok(inv string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.checked[inv]++
}

func (r *round) fail(inv, format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.checked[inv]++
	r.violations = append(r.violations, inv+": "+fmt.Sprintf(format, args...))
}

// settleAndCheck repeats the convergent checks until they all hold or opts.Settle passed; the
// last round's failures are the violations.
func (s *soak) settleAndCheck(ctx context.Context) {
	began := time.Now()
	deadline := began.Add(s.opts.Settle)
	for n := 1; ; n++ {
		r := s.checkRound(ctx)
		if len(r.violations) == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			for inv, c := range r.checked {
				s.stats.check(inv, c)
			}
			s.stats.op("settle rounds of checks")
			for _, v := range r.violations {
				inv, msg, _ := strings.Cut(v, ": ")
				s.stats.violation(inv, "%s", msg)
			}
			if len(r.violations) == 0 {
				s.logf("every invariant holds after %s of settling (round %d)", time.Since(began).Round(time.Second), n)
			} else {
				s.logf("settle time over after round %d: %d invariants still broken", n, len(r.violations))
			}
			return
		}
		s.logf("settling, round %d: %d not met yet, first: %s", n, len(r.violations), r.violations[0])
		sleep(ctx, 5*time.Second)
	}
}

// world is what the API holds at the start of a round.
type world struct {
	op       *natsv1alpha1.NatsOperator
	accounts map[string]*natsv1alpha1.NatsAccount // by name (all in opNS)
	users    []*natsv1alpha1.NatsUser
	warnings map[types.UID]map[string]bool // Warning event reasons by involved object
}

func (s *soak) readWorld(ctx context.Context) (*world, error) {
	w := &world{accounts: map[string]*natsv1alpha1.NatsAccount{}, warnings: map[types.UID]map[string]bool{}}
	op, err := s.natsauth.NatsauthV1alpha1().NatsOperators(opNS).Get(ctx, opName, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	w.op = op
	accs, err := s.natsauth.NatsauthV1alpha1().NatsAccounts(opNS).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	for i := range accs.Items {
		w.accounts[accs.Items[i].Name] = &accs.Items[i]
	}
	users, err := s.natsauth.NatsauthV1alpha1().NatsUsers("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	for i := range users.Items {
		w.users = append(w.users, &users.Items[i])
	}
	events, err := s.kube.CoreV1().Events("").List(ctx, metav1.ListOptions{FieldSelector: "type=" + corev1.EventTypeWarning})
	if err != nil {
		return nil, err
	}
	for _, e := range events.Items {
		if w.warnings[e.InvolvedObject.UID] == nil {
			w.warnings[e.InvolvedObject.UID] = map[string]bool{}
		}
		w.warnings[e.InvolvedObject.UID][e.Reason] = true
	}
	return w, nil
}

// checkRound runs every convergent check once. The connection checks, which are slow, run only
// once the API side holds.
func (s *soak) checkRound(ctx context.Context) *round {
	r := &round{checked: map[string]int{}}
	w, err := s.readWorld(ctx)
	if err != nil {
		r.fail("the API answers", "%v", err)
		return r
	}
	if isReady(w.op.Status.Conditions, w.op.Generation, w.op.Status.ObservedGeneration) {
		r.ok(invOperator)
	} else {
		r.fail(invOperator, "NatsOperator %s/%s: %s", opNS, opName, readySummary(w.op.Status.Conditions))
	}
	s.checkAccounts(r, w)
	s.checkDeletedAccounts(r, w)
	valid := s.checkUsers(ctx, r, w)
	if len(r.violations) > 0 {
		return r
	}
	s.checkConnections(ctx, r, valid)
	s.checkOldCreds(ctx, r, w, valid)
	return r
}

// checkAccounts: valid accounts are Ready, pushed to every server, and every server stores
// exactly status.jwt; invalid ones are refused with a reason and an event and have no JWT.
func (s *soak) checkAccounts(r *round, w *world) {
	for _, name := range slices.Sorted(maps.Keys(w.accounts)) {
		a := w.accounts[name]
		ref := "NatsAccount " + opNS + "/" + name
		if a.DeletionTimestamp != nil {
			r.fail(invDeletions, "%s is still being deleted (since %s)", ref, a.DeletionTimestamp.UTC().Format(time.RFC3339))
			continue
		}
		r.ok(invDeletions)
		if intent := a.Annotations[annIntent]; intent != "" && intent != intentOK {
			s.checkInvalid(r, w, ref, a.UID, a.Status.Conditions, a.Generation, intent)
			if a.Status.JWT != "" {
				r.fail(invInvalid, "%s is invalid but has a JWT", ref)
			}
			continue
		}
		if !isReady(a.Status.Conditions, a.Generation, a.Status.ObservedGeneration) {
			r.fail(invAccountJWT, "%s: %s", ref, readySummary(a.Status.Conditions))
			continue
		}
		pushed := meta.FindStatusCondition(a.Status.Conditions, natsv1alpha1.ConditionPushed)
		var acked, expected int
		if pushed != nil {
			_, _ = fmt.Sscanf(pushed.Message, "acknowledged by %d of %d servers", &acked, &expected)
		}
		switch {
		case pushed == nil || pushed.Status != metav1.ConditionTrue || acked != numServers || expected != numServers:
			r.fail(invAccountJWT, "%s: Pushed is not True for %d of %d servers: %s", ref, numServers, numServers, condSummary(pushed))
			continue
		case a.Status.PushedClaimsHash != a.Status.ClaimsHash:
			r.fail(invAccountJWT, "%s: pushedClaimsHash %s, claimsHash %s", ref, a.Status.PushedClaimsHash, a.Status.ClaimsHash)
			continue
		}
		claims, err := jwt.DecodeAccountClaims(a.Status.JWT)
		if err != nil || claims.Subject != a.Status.PublicKey {
			r.fail(invAccountJWT, "%s: status.jwt does not decode as the account %s: %v", ref, a.Status.PublicKey, err)
			continue
		}
		for _, srv := range s.servers {
			got := storedJWT(srv.JWTDir(), a.Status.PublicKey)
			switch {
			case got == a.Status.JWT:
				r.ok(invAccountJWT)
			case got == "":
				r.fail(invAccountJWT, "%s (%s): %s stores no JWT", ref, a.Status.PublicKey, srv.Name())
			default:
				r.fail(invAccountJWT, "%s (%s): %s stores another JWT than status.jwt (%s)", ref, a.Status.PublicKey, srv.Name(), jwtSummary(got))
			}
		}
	}
}

// checkDeletedAccounts: an account deleted during the run (and not re-created) is gone from every
// server, since the operator allows deletes.
func (s *soak) checkDeletedAccounts(r *round, w *world) {
	s.tracker.mu.Lock()
	deleted := map[string]string{}
	for id, pub := range s.tracker.identities {
		name, ok := strings.CutPrefix(id, "NatsAccount "+opNS+"/")
		if ok && w.accounts[name] == nil {
			deleted[name] = pub
		}
	}
	s.tracker.mu.Unlock()
	for _, name := range slices.Sorted(maps.Keys(deleted)) {
		for _, srv := range s.servers {
			if got := storedJWT(srv.JWTDir(), deleted[name]); got != "" {
				r.fail(invDeletedAcc, "NatsAccount %s/%s (%s) was deleted, but %s still stores it (%s)", opNS, name, deleted[name], srv.Name(), jwtSummary(got))
			} else {
				r.ok(invDeletedAcc)
			}
		}
	}
}

// checkInvalid: Ready=False with the expected reason for the current generation, and a Warning
// Event with that reason.
func (s *soak) checkInvalid(r *round, w *world, ref string, uid types.UID, conds []metav1.Condition, gen int64, reason string) {
	c := meta.FindStatusCondition(conds, natsv1alpha1.ConditionReady)
	switch {
	case c == nil || c.Status != metav1.ConditionFalse || c.Reason != reason || c.ObservedGeneration != gen:
		r.fail(invInvalid, "%s: want Ready=False %s, have %s", ref, reason, condSummary(c))
	case c.Message == "":
		r.fail(invInvalid, "%s: Ready=False %s without a message", ref, reason)
	case !w.warnings[uid][reason]:
		r.fail(invInvalid, "%s: Ready=False %s but no Warning Event %s", ref, reason, reason)
	default:
		r.ok(invInvalid)
	}
}

// validUser is a user whose creds must work, with what the checks need.
type validUserCreds struct {
	ref     string
	uid     types.UID
	base    string
	version int
	jwt     string
	creds   []byte
}

// expectedReason is the Ready reason a pool user must end with ("" for Ready=True): problems with
// the account come first (the controller resolves the account before anything else), then the
// problem the workload built in.
func expectedReason(w *world, u *natsv1alpha1.NatsUser) string {
	intent := u.Annotations[annIntent]
	accNS := u.Spec.AccountRef.Namespace
	if accNS == "" {
		accNS = u.Namespace
	}
	acc := w.accounts[u.Spec.AccountRef.Name]
	switch {
	case accNS != opNS || acc == nil || acc.DeletionTimestamp != nil:
		return "AccountNotFound"
	case u.Namespace != opNS && !slices.Contains(acc.Spec.AllowedUserNamespaces, u.Namespace) && !slices.Contains(acc.Spec.AllowedUserNamespaces, "*"):
		return "NamespaceNotAllowed"
	case intent == intentOK:
		return ""
	}
	return intent
}

// checkUsers checks the API side of every pool user and returns the valid ones with their creds.
func (s *soak) checkUsers(ctx context.Context, r *round, w *world) []validUserCreds {
	var valid []validUserCreds
	for _, u := range w.users {
		ref := "NatsUser " + u.Namespace + "/" + u.Name
		if u.DeletionTimestamp != nil {
			r.fail(invDeletions, "%s is still being deleted (since %s)", ref, u.DeletionTimestamp.UTC().Format(time.RFC3339))
			continue
		}
		r.ok(invDeletions)
		intent := u.Annotations[annIntent]
		if intent == "" { // the resolver's own user
			if !isReady(u.Status.Conditions, u.Generation, u.Status.ObservedGeneration) {
				r.fail(invValidUser, "%s: %s", ref, readySummary(u.Status.Conditions))
			}
			continue
		}
		secretName := u.Spec.SecretName
		if secretName == "" {
			secretName = u.Name
		}
		if reason := expectedReason(w, u); reason != "" {
			s.checkInvalid(r, w, ref, u.UID, u.Status.Conditions, u.Generation, reason)
			if intent != intentOK {
				if _, err := s.kube.CoreV1().Secrets(u.Namespace).Get(ctx, secretName, metav1.GetOptions{}); err == nil {
					r.fail(invNoSecretBad, "%s (%s) has a Secret %s", ref, intent, secretName)
				} else {
					r.ok(invNoSecretBad)
				}
			}
			continue
		}
		if !isReady(u.Status.Conditions, u.Generation, u.Status.ObservedGeneration) {
			r.fail(invValidUser, "%s: %s", ref, readySummary(u.Status.Conditions))
			continue
		}
		sec, err := s.kube.CoreV1().Secrets(u.Namespace).Get(ctx, secretName, metav1.GetOptions{})
		if err != nil {
			r.fail(invValidUser, "%s: Secret %s: %v", ref, secretName, err)
			continue
		}
		token, kp, err := natsjwt.ParseCreds(sec.Data[naming.UserCreds])
		var pub string
		if err == nil {
			pub, err = kp.PublicKey()
		}
		if err != nil || pub != u.Status.PublicKey {
			r.fail(invValidUser, "%s: Secret %s holds no creds of %s (%v)", ref, secretName, u.Status.PublicKey, err)
			continue
		}
		r.ok(invValidUser)
		v, _ := strconv.Atoi(u.Annotations[annVersion])
		valid = append(valid, validUserCreds{ref: ref, uid: u.UID, base: subjectBase(u.Namespace, u.Name), version: v,
			jwt: token, creds: sec.Data[naming.UserCreds]})
	}
	return valid
}

// storedJWT returns the JWT a full resolver keeps for account pub in dir, or "".
func storedJWT(dir, pub string) string {
	b, err := os.ReadFile(filepath.Join(dir, pub+".jwt"))
	if err != nil {
		return ""
	}
	return string(b)
}

// jwtSummary describes an account JWT without printing it (an account JWT is no secret, but a
// digest is easier to compare in a report).
func jwtSummary(token string) string {
	c, err := jwt.DecodeAccountClaims(token)
	if err != nil {
		return "undecodable: " + err.Error()
	}
	return fmt.Sprintf("iat %s, %d revocations", time.Unix(c.IssuedAt, 0).UTC().Format(time.RFC3339), len(c.Revocations))
}

func isReady(conds []metav1.Condition, gen, observed int64) bool {
	c := meta.FindStatusCondition(conds, natsv1alpha1.ConditionReady)
	return c != nil && c.Status == metav1.ConditionTrue && observed == gen && c.ObservedGeneration == gen
}

func readySummary(conds []metav1.Condition) string {
	return "Ready " + condSummary(meta.FindStatusCondition(conds, natsv1alpha1.ConditionReady))
}

func condSummary(c *metav1.Condition) string {
	if c == nil {
		return "absent"
	}
	return fmt.Sprintf("%s %s (generation %d): %s", c.Status, c.Reason, c.ObservedGeneration, c.Message)
}
