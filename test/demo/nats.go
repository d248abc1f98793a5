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
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// dirLine is the resolver directory line of a rendered auth.conf. It names the volume of a
// deployment (/data/resolver in the examples), which does not exist here.
var dirLine = regexp.MustCompile(`(?m)^(\s*dir:\s*).*$`)

// startNatsServer starts a real nats-server from the operator's rendered auth.conf, with nothing
// changed but the resolver directory, plus JetStream so the example account's limits apply.
func (d *demo) startNatsServer(ctx context.Context) error {
	op, err := d.natsauth.NatsauthV1alpha1().NatsOperators(d.operatorNS).Get(ctx, d.operatorName, metav1.GetOptions{})
	if err != nil {
		return err
	}
	secret, err := d.kube.CoreV1().Secrets(d.operatorNS).Get(ctx, op.Status.ServerConfigSecret, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("the server config Secret: %w", err)
	}
	auth := string(secret.Data[naming.AuthConf])
	jwtDir := filepath.Join(d.tmp, "jwt")
	switch n := len(dirLine.FindAllStringIndex(auth, -1)); {
	case n == 1:
		auth = dirLine.ReplaceAllString(auth, "${1}"+strings.ReplaceAll(strconv.Quote(jwtDir), "$", "$$"))
	case n > 1:
		return fmt.Errorf("auth.conf of %s has %d dir lines, want one:\n%s", secret.Name, n, auth)
	}
	srvDir := filepath.Join(d.opts.StateDir, "nats-server")
	if err := os.MkdirAll(srvDir, 0o755); err != nil {
		return err
	}
	srv, err := testbed.StartNatsServerMain(srvDir, testbed.NatsOptions{
		ServerName: "demo", ConfigText: auth, JWTDir: jwtDir,
		// Explicit maxima: the example account reserves 10 GiB of disk, and JetStream refuses an
		// account whose reservation exceeds what the server believes it has.
		ExtraConfig: fmt.Sprintf("jetstream {\n  store_dir: %s\n  max_memory_store: 1GB\n  max_file_store: 16GB\n}",
			strconv.Quote(filepath.Join(d.tmp, "jetstream"))),
	})
	if err != nil {
		return err
	}
	d.nats = srv
	d.onStop(srv.Stop)
	d.logf("nats-server ready at %s from Secret %s/%s auth.conf (resolver dir rewritten to %s; config %s)",
		srv.ClientURL(), d.operatorNS, secret.Name, jwtDir, srv.ConfigPath())
	return nil
}

// startResolver writes the resolver user's creds to a private file and runs the resolver binary
// against the nats-server. Without a resolver binary it pushes the account JWTs itself.
func (d *demo) startResolver(ctx context.Context) error {
	name := naming.ResolverCredsSecret(d.operatorName)
	secret, err := d.kube.CoreV1().Secrets(d.operatorNS).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("the resolver creds Secret: %w", err)
	}
	creds := secret.Data[naming.UserCreds]
	d.resolverCreds = filepath.Join(d.tmp, "resolver.creds")
	if err := os.WriteFile(d.resolverCreds, creds, 0o600); err != nil {
		return err
	}
	p, ports, err := d.startBinary(ctx, "resolver", d.opts.ResolverBin, []string{
		"--kubeconfig=" + d.kubeconfig,
		"--operator=" + d.operatorNS + "/" + d.operatorName,
		"--nats-url=" + d.nats.ClientURL(),
		"--creds=" + d.resolverCreds,
		// Short, so a server restarted by hand is repaired while one watches.
		"--drift-interval=10s",
	})
	if err != nil {
		return err
	}
	d.resolver, d.resolverPorts = p, ports
	d.logf("resolver ready (pid %d, log %s), pushing the accounts of %s/%s", p.Pid(), p.LogPath(), d.operatorNS, d.operatorName)
	return d.waitPushed(ctx)
}

// waitPushed waits until the resolver reports every account of the operator pushed, so that the
// client's first connect finds its account on the server instead of waiting out a lookup.
func (d *demo) waitPushed(ctx context.Context) error {
	began := time.Now()
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	var pending []string
	for {
		list, err := d.natsauth.NatsauthV1alpha1().NatsAccounts(d.operatorNS).List(ctx, metav1.ListOptions{})
		if err == nil {
			pending = pending[:0]
			for _, a := range list.Items {
				// The system account is preloaded from auth.conf; the other accounts are pushed.
				if a.Spec.OperatorRef.Name != d.operatorName || a.Labels[naming.LabelSystemAccount] != "" {
					continue
				}
				if a.Status.ClaimsHash == "" || a.Status.PushedClaimsHash != a.Status.ClaimsHash {
					pending = append(pending, a.Name)
				}
			}
			if len(pending) == 0 {
				d.logf("resolver pushed every account to nats-server (%s)", time.Since(began).Round(time.Millisecond))
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("accounts %v not pushed: %w (last error %v); see %s", pending, ctx.Err(), err, d.resolver.LogPath())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
