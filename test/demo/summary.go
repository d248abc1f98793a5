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
	"fmt"
	"path/filepath"
	"strings"
)

// summary is step 6: what runs where, and what to try.
func (d *demo) summary() {
	var b strings.Builder
	row := func(name, format string, args ...any) {
		fmt.Fprintf(&b, "  %-15s %s\n", name, fmt.Sprintf(format, args...))
	}
	endpoints := func(ports []int) string {
		return fmt.Sprintf("metrics http://127.0.0.1:%d/metrics, probes http://127.0.0.1:%d/readyz", ports[0], ports[1])
	}
	fmt.Fprintf(&b, "\n=== nats-auth-operator demo: ready in %s, everything on 127.0.0.1 ===\n\n", d.elapsed())
	row("kube-apiserver", "%s (etcd %s; their data and logs in %s)", d.cp.Config().Host, d.cp.EtcdURL(), d.cp.Dir())
	row("controller", "pid %d, %s, log %s", d.controller.Pid(), endpoints(d.controllerPorts), d.controller.LogPath())
	if d.resolver != nil {
		row("resolver", "pid %d, %s, log %s", d.resolver.Pid(), endpoints(d.resolverPorts), d.resolver.LogPath())
	} else {
		row("resolver", "not built: the demo pushes account JWTs itself")
	}
	row("nats-server", "%s, monitoring %s, config %s, log %s", d.nats.ClientURL(), d.nats.MonitorURL(), d.nats.ConfigPath(), d.nats.LogPath())
	row("kubeconfig", "%s", d.kubeconfig)
	row("resolver creds", "%s", d.resolverCreds)
	for i, p := range d.userCreds {
		name := ""
		if i == 0 {
			name = "user creds"
		}
		row(name, "%s", p)
	}

	b.WriteString("\nTry it (in another shell):\n")
	fmt.Fprintf(&b, "  export KUBECONFIG=%s\n", d.kubeconfig)
	b.WriteString("  kubectl get nop,nacc,nu -A\n")
	fmt.Fprintf(&b, "  kubectl get secret -n %s %s-server-config -o jsonpath='{.data.auth\\.conf}' | base64 -d\n", d.operatorNS, d.operatorName)
	if worker := d.credsOf("apps", "worker"); worker != "" {
		// The worker's scoped signing key allows orders.commands.* only in queue group workers.
		fmt.Fprintf(&b, "  nats --server %s --creds %s sub --queue workers 'orders.commands.*'\n", d.nats.ClientURL(), worker)
		b.WriteString("  kubectl delete nu -n apps worker    # that subscriber is disconnected within a second\n")
	} else if len(d.userCreds) > 0 {
		fmt.Fprintf(&b, "  nats --server %s --creds %s rtt\n", d.nats.ClientURL(), d.userCreds[0])
	}
	fmt.Fprintf(&b, "\nCreds and the JWT store live in %s and are removed on exit; logs stay in %s.\n", d.tmp, d.opts.StateDir)
	if !d.opts.ExitAfterCheck {
		b.WriteString("Press Ctrl-C to stop everything.\n")
	}
	fmt.Fprintln(d.opts.Out, b.String())
}

// credsOf returns the creds file written for a user, or "".
func (d *demo) credsOf(namespace, name string) string {
	for _, p := range d.userCreds {
		if filepath.Base(p) == namespace+"-"+name+".creds" {
			return p
		}
	}
	return ""
}
