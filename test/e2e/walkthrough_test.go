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

package e2e

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/test/testbed"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestWalkthrough is the seed-style walkthrough on real processes: an operator, an account that
// allows another namespace, a user there with allow lists and resp; a nats-server configured
// from the rendered auth.conf; real clients with the generated user.creds. Allowed subjects work,
// denied ones are refused, the account connection limit and the user payload limit hold,
// JetStream works, and a deleted user is disconnected once the new account JWT reaches the
// server. Until the resolver binary exists the test pushes account JWTs itself, with the
// resolver user's generated creds.
func TestWalkthrough(t *testing.T) {
	suite.StartControllers(t)
	platform := controlPlane.NewNamespace(t)
	apps := controlPlane.NewNamespace(t)
	ctx := suite.Context(t)
	client := suite.NatsClient(t).NatsauthV1alpha1()

	op := suite.CreateOperator(t, platform, "main", nil)
	acc := &natsv1alpha1.NatsAccount{ObjectMeta: metav1.ObjectMeta{Name: "orders", Namespace: platform},
		Spec: natsv1alpha1.NatsAccountSpec{
			OperatorRef:           natsv1alpha1.LocalObjectReference{Name: "main"},
			AllowedUserNamespaces: []string{apps},
			Limits:                &natsv1alpha1.AccountLimits{Conn: ptr.To[int64](3)},
			JetStream: &natsv1alpha1.JetStreamSpec{JetStreamLimits: natsv1alpha1.JetStreamLimits{
				MemStorage: ptr.To[int64](1 << 20), DiskStorage: ptr.To[int64](1 << 20), Streams: ptr.To[int64](2)}},
		}}
	if _, err := client.NatsAccounts(platform).Create(ctx, acc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	user := &natsv1alpha1.NatsUser{ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: apps},
		Spec: natsv1alpha1.NatsUserSpec{
			AccountRef: natsv1alpha1.NatsAccountReference{Name: "orders", Namespace: platform},
			UserPermissionLimits: natsv1alpha1.UserPermissionLimits{
				Permissions: &natsv1alpha1.Permissions{
					Pub:  &natsv1alpha1.PublishPermission{Allow: []natsv1alpha1.Subject{"orders.>", "$JS.API.>"}},
					Sub:  &natsv1alpha1.SubscribePermission{Allow: []natsv1alpha1.SubscribeSubject{"orders.>", "_INBOX.>"}},
					Resp: &natsv1alpha1.ResponsePermission{MaxMsgs: 1},
				},
				Limits: &natsv1alpha1.UserLimits{Payload: ptr.To[int64](1024)},
			},
		}}
	if _, err := client.NatsUsers(apps).Create(ctx, user, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	suite.WaitUserReady(t, apps, "api")

	// A nats-server configured from the rendered Secret, as a deployment would mount it.
	cfg := suite.GetSecret(t, platform, op.Status.ServerConfigSecret)
	srv := testbed.StartNatsServer(t, testbed.NatsOptions{ConfigText: string(cfg.Data[naming.AuthConf]),
		ExtraConfig: "jetstream { store_dir: \"" + t.TempDir() + "\" }"})
	sys, err := testbed.ConnectCreds(srv.ClientURL(), suite.GetSecret(t, platform, naming.ResolverCredsSecret("main")).Data[naming.UserCreds])
	if err != nil {
		t.Fatalf("resolver user connect: %v", err)
	}
	defer sys.Close()
	accNow, err := client.NatsAccounts(platform).Get(ctx, "orders", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := testbed.PushAccount(sys, accNow.Status.JWT, 1, 5*time.Second); err != nil {
		t.Fatalf("push: %v", err)
	}

	creds := suite.GetSecret(t, apps, "api").Data[naming.UserCreds]
	errs := make(chan error, 10)
	closed := make(chan struct{})
	nc, err := testbed.ConnectCreds(srv.ClientURL(), creds,
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { errs <- err }),
		nats.ClosedHandler(func(*nats.Conn) { close(closed) }))
	if err != nil {
		t.Fatalf("user connect: %v", err)
	}
	defer nc.Close()

	t.Run("allowed subjects work", func(t *testing.T) {
		sub, err := nc.SubscribeSync("orders.>")
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = sub.Unsubscribe() }()
		if err := nc.Publish("orders.created", []byte("ok")); err != nil {
			t.Fatal(err)
		}
		if _, err := sub.NextMsg(5 * time.Second); err != nil {
			t.Fatalf("allowed message not delivered: %v", err)
		}
	})
	t.Run("denied publish is refused", func(t *testing.T) {
		_ = nc.Publish("payments.created", []byte("no"))
		_ = nc.Flush()
		expectPermissionViolation(t, errs)
	})
	t.Run("denied subscribe is refused", func(t *testing.T) {
		_, _ = nc.SubscribeSync("payments.>")
		_ = nc.Flush()
		expectPermissionViolation(t, errs)
	})
	t.Run("user payload limit holds", func(t *testing.T) {
		if err := nc.Publish("orders.big", make([]byte, 2048)); !errors.Is(err, nats.ErrMaxPayload) {
			t.Fatalf("2 KiB publish with a 1 KiB limit: %v, want ErrMaxPayload", err)
		}
	})
	t.Run("JetStream works for the account", func(t *testing.T) {
		js, err := jetstream.New(nc)
		if err != nil {
			t.Fatal(err)
		}
		jsCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if _, err := js.CreateStream(jsCtx, jetstream.StreamConfig{Name: "ORDERS", Subjects: []string{"orders.js.>"},
			Storage: jetstream.MemoryStorage, MaxBytes: 1 << 16}); err != nil {
			t.Fatalf("create stream: %v", err)
		}
		if _, err := js.Publish(jsCtx, "orders.js.1", []byte("stored")); err != nil {
			t.Fatalf("JetStream publish: %v", err)
		}
	})
	t.Run("account connection limit holds", func(t *testing.T) {
		var conns []*nats.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		var lastErr error
		for range 3 {
			c, err := testbed.ConnectCreds(srv.ClientURL(), creds)
			if err != nil {
				lastErr = err
				break
			}
			conns = append(conns, c)
		}
		if lastErr == nil || !strings.Contains(strings.ToLower(lastErr.Error()), "maximum account active connections") {
			t.Fatalf("a 4th connection with conn limit 3: %v", lastErr)
		}
	})
	t.Run("deleted user is disconnected", func(t *testing.T) {
		if err := client.NatsUsers(apps).Delete(ctx, "api", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		// The account JWT gains the revocation; push it as the resolver will.
		var revoked string
		suite.WaitFor(t, ctx, "the account JWT revokes the user", func() bool {
			a, err := client.NatsAccounts(platform).Get(ctx, "orders", metav1.GetOptions{})
			if err == nil && a.Status.Revocations > 0 {
				revoked = a.Status.JWT
			}
			return revoked != ""
		})
		if err := testbed.PushAccount(sys, revoked, 1, 5*time.Second); err != nil {
			t.Fatalf("push: %v", err)
		}
		select {
		case <-closed:
		case <-time.After(10 * time.Second):
			t.Fatal("the deleted user is still connected")
		}
		if _, err := testbed.ConnectCreds(srv.ClientURL(), creds); err == nil {
			t.Fatal("the deleted user's creds connect again")
		}
	})
}

func expectPermissionViolation(t *testing.T, errs <-chan error) {
	t.Helper()
	select {
	case err := <-errs:
		if !errors.Is(err, nats.ErrPermissionViolation) {
			t.Fatalf("got %v, want a permissions violation", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no permissions violation reported")
	}
}
