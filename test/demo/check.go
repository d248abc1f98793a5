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
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// The client check runs as the example NatsUser apps/api: it may publish and subscribe to
// orders.api.>, and may read orders.events.> but not publish there (only workers do).
const (
	checkUserNS    = "apps"
	checkUserName  = "api"
	allowedSub     = "orders.api.>"
	allowedSubject = "orders.api.hello"
	deniedSubject  = "orders.events.created"
)

// Bounds of the check's waits. Connecting waits for the resolver's first push; the others are
// answered in milliseconds on a healthy system.
const (
	connectTimeout = 60 * time.Second
	messageTimeout = 5 * time.Second
	revokeTimeout  = 30 * time.Second
)

// check is step 5: ALLOW, DENY and REVOKED with the generated creds of a real user.
func (d *demo) check(ctx context.Context) error {
	user, err := d.natsauth.NatsauthV1alpha1().NatsUsers(checkUserNS).Get(ctx, checkUserName, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("the check's NatsUser: %w", err)
	}
	secret, err := d.kube.CoreV1().Secrets(checkUserNS).Get(ctx, user.Status.SecretName, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("the check user's creds Secret: %w", err)
	}
	creds := secret.Data[naming.UserCreds]
	who := fmt.Sprintf("NatsUser %s/%s", checkUserNS, checkUserName)

	nc, errs, closed, err := d.connect(ctx, creds)
	if err != nil {
		return fmt.Errorf("connecting as %s: %w", who, err)
	}
	defer nc.Close()

	sub, err := nc.SubscribeSync(allowedSub)
	if err == nil {
		err = nc.Flush()
	}
	if err == nil {
		err = nc.Publish(allowedSubject, []byte("hello from the demo"))
	}
	if err != nil {
		return fmt.Errorf("ALLOW: %w", err)
	}
	msg, err := sub.NextMsg(messageTimeout)
	if err != nil {
		return fmt.Errorf("ALLOW: the message to %s did not arrive: %w", allowedSubject, err)
	}
	d.logf("ALLOW publish %s -> received on subscription %s: %q", allowedSubject, allowedSub, msg.Data)

	_ = nc.Publish(deniedSubject, []byte("not allowed"))
	_ = nc.Flush()
	if err := waitPermissionViolation(errs); err != nil {
		return fmt.Errorf("DENY publish %s: %w", deniedSubject, err)
	}
	d.logf("DENY publish %s -> the server refused it: %v", deniedSubject, nats.ErrPermissionViolation)

	began := time.Now()
	if err := d.natsauth.NatsauthV1alpha1().NatsUsers(checkUserNS).Delete(ctx, checkUserName, metav1.DeleteOptions{}); err != nil {
		return fmt.Errorf("deleting %s: %w", who, err)
	}
	select {
	case <-closed:
	case <-time.After(revokeTimeout):
		return fmt.Errorf("REVOKED: %s still connected %s after its deletion", who, revokeTimeout)
	case <-ctx.Done():
		return fmt.Errorf("REVOKED: waiting for the disconnect: %w", ctx.Err())
	}
	took := time.Since(began)
	// Anything but the server's revocation (a crash, a network error) would prove nothing. The
	// server sends -ERR 'User Authentication Revoked' and closes; nats.go reports the -ERR to the
	// error handler (queued before the closed handler) and keeps the later EOF as LastError.
	if err := revocationError(errs); err != nil {
		return fmt.Errorf("REVOKED: disconnected, but not by a revocation: %w (last error %v)", err, nc.LastError())
	}
	by := "the resolver pushed the account JWT that revokes its key"
	d.logf("REVOKED: disconnected after %d ms (%s deleted; %s; the server sent 'User Authentication Revoked')",
		took.Milliseconds(), who, by)
	if c, err := testbed.ConnectCreds(d.nats.ClientURL(), creds); err == nil {
		c.Close()
		return fmt.Errorf("REVOKED: the deleted user's creds still connect")
	}
	d.logf("the deleted user's creds are refused from now on")
	return d.writeUserCreds(ctx)
}

// connect retries until the user's account has reached the server: a connect for an account the
// server does not know yet is refused after the resolver timeout.
func (d *demo) connect(ctx context.Context, creds []byte) (*nats.Conn, <-chan error, <-chan struct{}, error) {
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	began := time.Now()
	for {
		errs := make(chan error, 16)
		closed := make(chan struct{})
		nc, err := testbed.ConnectCreds(d.nats.ClientURL(), creds, nats.Name("nats-auth-demo client"),
			nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
				select {
				case errs <- err:
				default: // the check reads a handful; never block the client's error loop
				}
			}),
			nats.ClosedHandler(func(*nats.Conn) { close(closed) }))
		if err == nil {
			d.logf("client connected as NatsUser %s/%s with its generated user.creds (%s after the first attempt)",
				checkUserNS, checkUserName, time.Since(began).Round(time.Millisecond))
			return nc, errs, closed, nil
		}
		select {
		case <-ctx.Done():
			return nil, nil, nil, fmt.Errorf("%w (last attempt: %w)", ctx.Err(), err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// waitPermissionViolation waits for the asynchronous -ERR the server sends for a denied publish.
func waitPermissionViolation(errs <-chan error) error {
	deadline := time.After(messageTimeout)
	for {
		select {
		case err := <-errs:
			if errors.Is(err, nats.ErrPermissionViolation) {
				return nil
			}
		case <-deadline:
			return errors.New("no permissions violation reported")
		}
	}
}

// revocationError returns nil when the errors reported so far include the server's revocation.
func revocationError(errs <-chan error) error {
	for {
		select {
		case err := <-errs:
			if errors.Is(err, nats.ErrAuthRevoked) {
				return nil
			}
		default:
			return errors.New("no 'User Authentication Revoked' from the server")
		}
	}
}

// writeUserCreds writes the creds of every remaining user except the resolver's to private files,
// so the summary can offer them to the nats CLI.
func (d *demo) writeUserCreds(ctx context.Context) error {
	users, err := d.natsauth.NatsauthV1alpha1().NatsUsers("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	dir := filepath.Join(d.tmp, "creds")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, u := range users.Items {
		if u.DeletionTimestamp != nil || u.Status.SecretName == "" ||
			(u.Namespace == d.operatorNS && u.Name == naming.ResolverUser(d.operatorName)) {
			continue
		}
		s, err := d.kube.CoreV1().Secrets(u.Namespace).Get(ctx, u.Status.SecretName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		p := filepath.Join(dir, u.Namespace+"-"+u.Name+".creds")
		if err := os.WriteFile(p, s.Data[naming.UserCreds], 0o600); err != nil {
			return err
		}
		d.userCreds = append(d.userCreds, p)
	}
	return nil
}
