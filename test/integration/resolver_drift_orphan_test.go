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
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/cmd/controller/app"
	resolverapp "github.com/natsauth/nats-auth-operator/cmd/resolver/app"
	"github.com/natsauth/nats-auth-operator/natsjwt"
	"github.com/natsauth/nats-auth-operator/resolver"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestResolverDriftOrphanAccounts: with allowDelete on the operator,
//   - an account pushed to the servers directly, which no NatsAccount holds, is reported (the
//     orphan_accounts gauge, one OrphanAccounts Warning on the NatsOperator naming it and its
//     servers) and, without --delete-orphan-accounts, left on every server through several
//     drift checks;
//   - with the opt-in, an account whose NatsAccount was deleted while a server was down (the
//     controller gave up waiting and let the object go) comes back as an orphan when that
//     server returns with its old directory, and is deleted from it with the delete request
//     the controller signed (orphan_deletes_total, an OrphanAccountDeleted event). The directly
//     pushed account, for which no operator-signed request exists, is only reported: the
//     resolver holds no key to sign one.
func TestResolverDriftOrphanAccounts(t *testing.T) {
	e := newResolverEnv(t, 3, func(s *natsv1alpha1.NatsOperatorSpec) { s.Resolver.AllowDelete = true },
		func(o *app.Options) { o.AccountServerDeleteTimeout = 2 * time.Second })
	r := e.startResolver()
	stray := strayAccount(t)
	pushDirectly(t, e, stray.jwt)
	e.waitFor("the orphan is counted", func() bool { return r.Metric("natsauth_resolver_orphan_accounts") == 1 })
	var names []string
	for _, s := range e.servers {
		names = append(names, s.Name())
	}
	slices.Sort(names)
	// Events are written in the background.
	var msgs []string
	e.waitFor("the orphan is reported on the NatsOperator", func() bool {
		msgs = eventMessages(t, e.ctx, e.ns, "main", corev1.EventTypeWarning, resolver.ReasonOrphanAccounts)
		return len(msgs) > 0
	})
	if len(msgs) != 1 || !strings.Contains(msgs[0], stray.pub+" ("+strings.Join(names, ", ")+")") || !strings.Contains(msgs[0], "--delete-orphan-accounts") {
		t.Errorf("OrphanAccounts events %q, want one naming %s on every server and the opt-in", msgs, stray.pub)
	}
	checks := r.Metric("natsauth_resolver_drift_checks_total")
	e.waitFor("three more drift checks", func() bool { return r.Metric("natsauth_resolver_drift_checks_total") >= checks+3 })
	e.waitStored(stray.pub, stray.jwt, e.servers...)
	r.Stop()

	r = e.startResolver(func(o *resolverapp.Options) { o.DeleteOrphanAccounts = true })
	e.createAccount("gone")
	gone := e.waitFullyPushed("gone")
	pub := gone.Status.PublicKey
	e.waitStored(pub, gone.Status.JWT, e.servers...)
	s := e.servers[2]
	s.Stop()
	if err := suite.NatsClient(t).NatsauthV1alpha1().NatsAccounts(e.ns).Delete(e.ctx, "gone", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitGone(t, e, "gone")
	e.waitStored(pub, "", e.servers[:2]...)
	s.Restart(t)
	if resolverStoredJWT(s, pub) != gone.Status.JWT {
		t.Fatalf("nats-server %s came back without the deleted account's JWT", s.Name())
	}
	e.waitStored(pub, "", s)
	e.waitFor("the orphan delete is counted", func() bool {
		return r.Metric("natsauth_resolver_orphan_deletes_total", `result="success"`) >= 1
	})
	var deleted []string
	e.waitFor("the orphan delete is reported on the NatsOperator", func() bool {
		deleted = eventMessages(t, e.ctx, e.ns, "main", corev1.EventTypeNormal, resolver.ReasonOrphanAccountDeleted)
		return len(deleted) > 0
	})
	if len(deleted) != 1 || !strings.Contains(deleted[0], pub) {
		t.Errorf("OrphanAccountDeleted events %q, want one for %s", deleted, pub)
	}
	e.waitFor("only the stray account is left as an orphan", func() bool { return r.Metric("natsauth_resolver_orphan_accounts") == 1 })
	e.waitStored(stray.pub, stray.jwt, e.servers...)
}

// strayAccount is an account JWT made outside Kubernetes, as nsc would push it.
type strayJWT struct{ pub, jwt string }

func strayAccount(t *testing.T) strayJWT {
	t.Helper()
	acc, err := natsjwt.NewKey(natsjwt.KindAccount)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := acc.PublicKey()
	// Full servers store any decodable account JWT; trust is checked only when it is loaded.
	op, err := natsjwt.NewKey(natsjwt.KindOperator)
	if err != nil {
		t.Fatal(err)
	}
	token, err := jwt.NewAccountClaims(pub).Encode(op)
	if err != nil {
		t.Fatal(err)
	}
	return strayJWT{pub: pub, jwt: token}
}
