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
	"strconv"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
)

// Annotations through which the workload tells the checks what it meant an object to be.
const (
	annIntent  = "soak.natsauth.io/intent"  // "valid" or the Ready reason the controller must give
	annVersion = "soak.natsauth.io/version" // edit count of a valid user; part of its subjects
	intentOK   = "valid"
)

// Pools of names: the workload creates, edits and deletes objects within them, so names are
// reused (a re-created account must adopt its retained keys; a re-created user gets new ones).
const (
	accountPool    = 4
	badAccountPool = 2
	userPool       = 8
	deniedPool     = 3
)

// userNamespaces are where valid users live: the account's own namespace and two tenants.
var userNamespaces = []string{opNS, tenantA, tenantB}

// allowedNamespaces is the allowedUserNamespaces account acc-i is created with: every account
// allows tenant A, odd ones also tenant B, none allows tenantDeny. Edits toggle tenant B
// (toggleTenantB); the checks read the live spec.
func allowedNamespaces(i int) []string {
	if i%2 == 1 {
		return []string{tenantA, tenantB}
	}
	return []string{tenantA}
}

// weightedOp is one kind of workload operation.
type weightedOp struct {
	name   string
	weight int
	fn     func(ctx context.Context) (string, error)
}

// workload runs random operations until ctx ends. Failed API calls (the apiserver is restarted
// now and then) are counted, never fatal.
func (s *soak) workload(ctx context.Context) {
	ops := []weightedOp{
		{"create account", 5, s.createAccount},
		{"edit account", 6, s.editAccount},
		{"toggle tenant B in an account's allowedUserNamespaces", 2, s.toggleTenantB},
		{"delete account", 3, s.deleteAccount},
		{"create invalid account", 2, s.createBadAccount},
		{"delete invalid account", 1, s.deleteBadAccount},
		{"create user", 20, s.createUser},
		{"create invalid user", 8, s.createInvalidUser},
		{"create user refused by the schema", 2, s.createSchemaInvalidUser},
		{"edit user", 18, s.editUser},
		{"delete user", 9, s.deleteUser},
	}
	total := 0
	for _, o := range ops {
		total += o.weight
	}
	for sleep(ctx, s.between(s.opts.OpInterval/2, s.opts.OpInterval*3/2)) {
		n := s.intn(total)
		var op weightedOp
		for _, o := range ops {
			if n < o.weight {
				op = o
				break
			}
			n -= o.weight
		}
		opCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		what, err := op.fn(opCtx)
		cancel()
		switch {
		case errors.Is(err, errSkipped):
			s.stats.op("skipped (name in use or stale object): " + op.name)
		case err != nil && ctx.Err() == nil:
			s.stats.op("failed (API error): " + op.name)
		case err == nil && what != "":
			s.stats.op(op.name)
		}
	}
}

func (s *soak) accounts(ctx context.Context) ([]natsv1alpha1.NatsAccount, error) {
	l, err := s.natsauth.NatsauthV1alpha1().NatsAccounts(opNS).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	return l.Items, nil
}

// liveAccounts returns the names of the pool accounts that exist and are not being deleted.
func (s *soak) liveAccounts(ctx context.Context) ([]string, error) {
	list, err := s.accounts(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, a := range list {
		if a.DeletionTimestamp == nil && a.Annotations[annIntent] == intentOK {
			names = append(names, a.Name)
		}
	}
	return names, nil
}

// freeName returns a pool name absent from existing, or "".
func (s *soak) freeName(prefix string, pool int, existing []string) string {
	var free []string
	for i := range pool {
		if n := prefix + strconv.Itoa(i); !slices.Contains(existing, n) {
			free = append(free, n)
		}
	}
	if len(free) == 0 {
		return ""
	}
	return free[s.intn(len(free))]
}

func (s *soak) createAccount(ctx context.Context) (string, error) {
	list, err := s.accounts(ctx)
	if err != nil {
		return "", err
	}
	var names []string
	for _, a := range list {
		names = append(names, a.Name)
	}
	name := s.freeName("acc-", accountPool, names)
	if name == "" {
		return "", nil
	}
	i, _ := strconv.Atoi(name[len("acc-"):])
	acc := &natsv1alpha1.NatsAccount{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: opNS, Annotations: map[string]string{annIntent: intentOK}},
		Spec: natsv1alpha1.NatsAccountSpec{
			OperatorRef:           natsv1alpha1.LocalObjectReference{Name: opName},
			Description:           "soak account v0",
			AllowedUserNamespaces: allowedNamespaces(i),
			Limits:                &natsv1alpha1.AccountLimits{Conn: ptr.To[int64](1000)},
		},
	}
	_, err = s.natsauth.NatsauthV1alpha1().NatsAccounts(opNS).Create(ctx, acc, metav1.CreateOptions{})
	return name, ignoreConflicts(err)
}

// editAccount changes what the account JWT carries, so the controller re-signs and the resolver
// pushes it.
func (s *soak) editAccount(ctx context.Context) (string, error) {
	names, err := s.liveAccounts(ctx)
	if err != nil || len(names) == 0 {
		return "", err
	}
	name := names[s.intn(len(names))]
	acc, err := s.natsauth.NatsauthV1alpha1().NatsAccounts(opNS).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	acc.Spec.Description = fmt.Sprintf("soak account v%d", acc.Generation)
	acc.Spec.Limits = &natsv1alpha1.AccountLimits{Conn: ptr.To(int64(500 + s.intn(1000)))}
	_, err = s.natsauth.NatsauthV1alpha1().NatsAccounts(opNS).Update(ctx, acc, metav1.UpdateOptions{})
	return name, ignoreConflicts(err)
}

func (s *soak) deleteAccount(ctx context.Context) (string, error) {
	names, err := s.liveAccounts(ctx)
	// Keep at least two accounts, so users keep having somewhere to bind.
	if err != nil || len(names) <= 2 {
		return "", err
	}
	name := names[s.intn(len(names))]
	if s.isPinned(name) {
		return "", errSkipped
	}
	err = s.natsauth.NatsauthV1alpha1().NatsAccounts(opNS).Delete(ctx, name, metav1.DeleteOptions{})
	return name, ignoreNotFound(err)
}

// createBadAccount creates an account the schema accepts and the controller must refuse.
func (s *soak) createBadAccount(ctx context.Context) (string, error) {
	list, err := s.accounts(ctx)
	if err != nil {
		return "", err
	}
	var names []string
	for _, a := range list {
		names = append(names, a.Name)
	}
	name := s.freeName("bad-", badAccountPool, names)
	if name == "" {
		return "", nil
	}
	acc := &natsv1alpha1.NatsAccount{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: opNS, Annotations: map[string]string{annIntent: "InvalidSpec"}},
		Spec:       natsv1alpha1.NatsAccountSpec{OperatorRef: natsv1alpha1.LocalObjectReference{Name: opName}},
	}
	switch s.intn(3) {
	case 0:
		acc.Spec.Mappings = []natsv1alpha1.Mapping{{From: "orders", To: []natsv1alpha1.MappingDestination{
			{Subject: "orders.a", Weight: ptr.To[int32](60)}, {Subject: "orders.b", Weight: ptr.To[int32](50)}}}}
	case 1: // nats-server refuses such an account JWT; the controller must not sign it
		acc.Spec.Mappings = []natsv1alpha1.Mapping{{From: "orders.*", To: []natsv1alpha1.MappingDestination{
			{Subject: "shipped.{{wildcard(2)}}"}}}}
	default:
		acc.Spec.Exports = []natsv1alpha1.Export{{Subject: "svc.>", Type: natsv1alpha1.ExportService},
			{Subject: "svc.orders", Type: natsv1alpha1.ExportService}}
	}
	_, err = s.natsauth.NatsauthV1alpha1().NatsAccounts(opNS).Create(ctx, acc, metav1.CreateOptions{})
	return name, ignoreConflicts(err)
}

func (s *soak) deleteBadAccount(ctx context.Context) (string, error) {
	list, err := s.accounts(ctx)
	if err != nil {
		return "", err
	}
	for _, a := range list {
		if a.Annotations[annIntent] != intentOK && a.Annotations[annIntent] != "" && a.DeletionTimestamp == nil {
			err := s.natsauth.NatsauthV1alpha1().NatsAccounts(opNS).Delete(ctx, a.Name, metav1.DeleteOptions{})
			return a.Name, ignoreNotFound(err)
		}
	}
	return "", nil
}

func (s *soak) userNames(ctx context.Context, ns string) ([]string, error) {
	l, err := s.natsauth.NatsauthV1alpha1().NatsUsers(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var names []string
	for _, u := range l.Items {
		names = append(names, u.Name)
	}
	return names, nil
}

// subjectBase is the subject prefix that only this user may use: s.<namespace>.<name>.
func subjectBase(ns, name string) string { return "s." + ns + "." + name }

// validUser returns a user of account acc (in opNS) with permissions on its own subjects at
// version v: publish s.<ns>.<name>.v<v>.> except .secret, subscribe s.<ns>.<name>.> and inboxes.
func validUser(ns, name, acc string, v int) *natsv1alpha1.NatsUser {
	u := &natsv1alpha1.NatsUser{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns,
		Annotations: map[string]string{annIntent: intentOK}}}
	u.Spec.AccountRef = natsv1alpha1.NatsAccountReference{Name: acc, Namespace: opNS}
	setUserVersion(u, v)
	return u
}

func setUserVersion(u *natsv1alpha1.NatsUser, v int) {
	base := subjectBase(u.Namespace, u.Name)
	ver := fmt.Sprintf("%s.v%d", base, v)
	u.Annotations[annVersion] = strconv.Itoa(v)
	u.Spec.Permissions = &natsv1alpha1.Permissions{
		Pub: &natsv1alpha1.PublishPermission{Allow: []natsv1alpha1.Subject{natsv1alpha1.Subject(ver + ".>")},
			Deny: []natsv1alpha1.Subject{natsv1alpha1.Subject(ver + ".secret")}},
		Sub: &natsv1alpha1.SubscribePermission{Allow: []natsv1alpha1.SubscribeSubject{
			natsv1alpha1.SubscribeSubject(base + ".>"), "_INBOX.>"}},
	}
}

// mayBind reports whether users of namespace ns may bind to pool account acc now.
func (s *soak) mayBind(ctx context.Context, ns, acc string) bool {
	if ns == opNS {
		return true
	}
	a, err := s.natsauth.NatsauthV1alpha1().NatsAccounts(opNS).Get(ctx, acc, metav1.GetOptions{})
	return err == nil && slices.Contains(a.Spec.AllowedUserNamespaces, ns)
}

// toggleTenantB removes tenant B from an account's allowedUserNamespaces, or adds it back: the
// users there become NamespaceNotAllowed and their creds must be refused at once (the account
// revokes their keys), or are re-issued.
func (s *soak) toggleTenantB(ctx context.Context) (string, error) {
	names, err := s.liveAccounts(ctx)
	if err != nil || len(names) == 0 {
		return "", err
	}
	name := names[s.intn(len(names))]
	acc, err := s.natsauth.NatsauthV1alpha1().NatsAccounts(opNS).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	allowed := acc.Spec.AllowedUserNamespaces
	if i := slices.Index(allowed, tenantB); i >= 0 {
		acc.Spec.AllowedUserNamespaces = slices.Delete(slices.Clone(allowed), i, i+1)
	} else {
		acc.Spec.AllowedUserNamespaces = append(slices.Clone(allowed), tenantB)
	}
	_, err = s.natsauth.NatsauthV1alpha1().NatsAccounts(opNS).Update(ctx, acc, metav1.UpdateOptions{})
	return name, ignoreConflicts(err)
}

func (s *soak) createUser(ctx context.Context) (string, error) {
	ns := userNamespaces[s.intn(len(userNamespaces))]
	accs, err := s.liveAccounts(ctx)
	if err != nil {
		return "", err
	}
	var allowed []string
	for _, a := range accs {
		if s.mayBind(ctx, ns, a) {
			allowed = append(allowed, a)
		}
	}
	if len(allowed) == 0 {
		return "", nil
	}
	names, err := s.userNames(ctx, ns)
	if err != nil {
		return "", err
	}
	name := s.freeName("u-", userPool, names)
	if name == "" {
		return "", nil
	}
	u := validUser(ns, name, allowed[s.intn(len(allowed))], 0)
	_, err = s.natsauth.NatsauthV1alpha1().NatsUsers(ns).Create(ctx, u, metav1.CreateOptions{})
	return ns + "/" + name, ignoreConflicts(err)
}

// createInvalidUser creates a user the schema accepts and the controller must refuse: a bad time
// zone, an account that does not exist, a signing key the account lacks, an expiration in the
// past, or a namespace the account does not allow (the cross-namespace attempt).
func (s *soak) createInvalidUser(ctx context.Context) (string, error) {
	accs, err := s.liveAccounts(ctx)
	if err != nil || len(accs) == 0 {
		return "", err
	}
	acc := accs[s.intn(len(accs))]
	kinds := []string{"InvalidSpec", "AccountNotFound", "SigningKeyNotFound", "Expired", "NamespaceNotAllowed"}
	kind := kinds[s.intn(len(kinds))]
	ns := opNS
	if kind == "NamespaceNotAllowed" {
		// Only the never-allowed namespace: tenant B comes and goes (toggleTenantB), and a user
		// meant to be refused must never have had creds.
		ns = tenantDeny
	}
	names, err := s.userNames(ctx, ns)
	if err != nil {
		return "", err
	}
	prefix, pool := "u-", userPool
	if ns == tenantDeny {
		prefix, pool = "x-", deniedPool
	}
	name := s.freeName(prefix, pool, names)
	if name == "" {
		return "", nil
	}
	u := validUser(ns, name, acc, 0)
	u.Annotations[annIntent] = kind
	switch kind {
	case "InvalidSpec":
		u.Spec.Limits = &natsv1alpha1.UserLimits{TimesLocation: "Mars/Base",
			Times: []natsv1alpha1.TimeRange{{Start: "08:00:00", End: "17:00:00"}}}
	case "AccountNotFound":
		u.Spec.AccountRef.Name = "missing-" + strconv.Itoa(s.intn(3))
	case "SigningKeyNotFound":
		u.Spec.SigningKey = "nope"
	case "Expired":
		u.Spec.Expiration = &metav1.Time{Time: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
	}
	_, err = s.natsauth.NatsauthV1alpha1().NatsUsers(ns).Create(ctx, u, metav1.CreateOptions{})
	return ns + "/" + name, ignoreConflicts(err)
}

// schemaInvalid are edits of a valid user that the apiserver must refuse: subjects with a space
// or control characters, a tag with a control character, a negative response TTL.
var schemaInvalid = []struct {
	what string
	edit func(u *natsv1alpha1.NatsUser)
}{
	{"a subject with a space", func(u *natsv1alpha1.NatsUser) {
		u.Spec.Permissions.Pub.Allow = []natsv1alpha1.Subject{"orders created"}
	}},
	{"a subject with a NUL", func(u *natsv1alpha1.NatsUser) { u.Spec.Permissions.Pub.Allow = []natsv1alpha1.Subject{"orders.\x00"} }},
	{"a subject with an ESC", func(u *natsv1alpha1.NatsUser) {
		u.Spec.Permissions.Sub.Allow = []natsv1alpha1.SubscribeSubject{"orders.\x1b[31m"}
	}},
	{"a tag with a control character", func(u *natsv1alpha1.NatsUser) { u.Spec.Tags = []natsv1alpha1.Tag{"team:\x07"} }},
	{"a negative response TTL", func(u *natsv1alpha1.NatsUser) {
		u.Spec.Permissions.Resp = &natsv1alpha1.ResponsePermission{MaxMsgs: 1, TTL: &metav1.Duration{Duration: -time.Second}}
	}},
}

// createSchemaInvalidUser sends a user the schema must refuse (schemaInvalid); accepting it is a
// violation.
func (s *soak) createSchemaInvalidUser(ctx context.Context) (string, error) {
	u := validUser(tenantA, "schema-bad", "acc-0", 0)
	bad := schemaInvalid[s.intn(len(schemaInvalid))]
	bad.edit(u)
	_, err := s.natsauth.NatsauthV1alpha1().NatsUsers(tenantA).Create(ctx, u, metav1.CreateOptions{})
	switch {
	case apierrors.IsInvalid(err):
		s.stats.check("the schema refuses invalid input", 1)
		return u.Name, nil
	case err == nil:
		s.stats.violation("the schema refuses invalid input", "NatsUser %s/%s with %s was accepted", tenantA, u.Name, bad.what)
		_ = s.natsauth.NatsauthV1alpha1().NatsUsers(tenantA).Delete(ctx, u.Name, metav1.DeleteOptions{})
		return u.Name, nil
	}
	return "", err
}

// pickUser returns a random user of the pools that is not being deleted (valid ones only when
// validOnly), or nil.
func (s *soak) pickUser(ctx context.Context, validOnly bool) (*natsv1alpha1.NatsUser, error) {
	ns := append(slices.Clone(userNamespaces), tenantDeny)[s.intn(len(userNamespaces)+1)]
	l, err := s.natsauth.NatsauthV1alpha1().NatsUsers(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var cands []*natsv1alpha1.NatsUser
	for i := range l.Items {
		u := &l.Items[i]
		if u.DeletionTimestamp != nil || u.Annotations[annIntent] == "" || (validOnly && u.Annotations[annIntent] != intentOK) {
			continue
		}
		cands = append(cands, u)
	}
	if len(cands) == 0 {
		return nil, nil
	}
	return cands[s.intn(len(cands))], nil
}

// editUser moves a valid user's permissions to the next version: the controller must re-issue
// its creds with the same key and revoke the earlier JWTs.
func (s *soak) editUser(ctx context.Context) (string, error) {
	u, err := s.pickUser(ctx, true)
	if err != nil || u == nil {
		return "", err
	}
	v, _ := strconv.Atoi(u.Annotations[annVersion])
	setUserVersion(u, v+1)
	_, err = s.natsauth.NatsauthV1alpha1().NatsUsers(u.Namespace).Update(ctx, u, metav1.UpdateOptions{})
	return u.Namespace + "/" + u.Name, ignoreConflicts(err)
}

func (s *soak) deleteUser(ctx context.Context) (string, error) {
	u, err := s.pickUser(ctx, false)
	if err != nil || u == nil {
		return "", err
	}
	err = s.natsauth.NatsauthV1alpha1().NatsUsers(u.Namespace).Delete(ctx, u.Name, metav1.DeleteOptions{})
	return u.Namespace + "/" + u.Name, ignoreNotFound(err)
}

// errSkipped marks an operation that lost a race and did nothing.
var errSkipped = errors.New("skipped")

// ignoreConflicts treats a lost race with the soak's own earlier state (a name still being
// deleted, a stale resourceVersion) as a skipped operation.
func ignoreConflicts(err error) error {
	if apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) {
		return errSkipped
	}
	return err
}

func ignoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return errSkipped
	}
	return err
}
