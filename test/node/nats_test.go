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

package node

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// NatsToolsImage holds static nats-server and nats CLI builds (hack/install-node-deps.sh).
const NatsToolsImage = "natsauth.local/nats-tools:v2.15.2"

// natsServer runs nats-server from the rendered Secret nats/main-server-config as the README
// says: auth.conf mounted at /etc/nats-auth and included by the server's own config, and a
// writable spec.resolver.dir.
const natsServer = `apiVersion: v1
kind: ConfigMap
metadata: {name: nats-config, namespace: nats}
data:
  nats.conf: |
    listen: 0.0.0.0:4222
    include ../nats-auth/auth.conf
---
apiVersion: v1
kind: Pod
metadata: {name: nats-0, namespace: nats, labels: {app: nats}}
spec:
  securityContext: {runAsNonRoot: true, runAsUser: 65532, fsGroup: 65532, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: nats
    image: %[1]s
    imagePullPolicy: IfNotPresent
    command: ["/nats-server", "-c", "/etc/nats-config/nats.conf"]
    readinessProbe: {tcpSocket: {port: 4222}, periodSeconds: 2}
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: ["ALL"]}}
    volumeMounts:
    - {name: config, mountPath: /etc/nats-config}
    - {name: auth, mountPath: /etc/nats-auth, readOnly: true}
    - {name: resolver, mountPath: /data/resolver}
  volumes:
  - {name: config, configMap: {name: nats-config}}
  - {name: auth, secret: {secretName: main-server-config, items: [{key: auth.conf, path: auth.conf}]}}
  - {name: resolver, emptyDir: {}}
`

// natsClient publishes once with a mounted NatsUser Secret; the nats CLI exits 1 when the
// server refuses the publish or the connection. There is no cluster DNS on the node, so
// hostAliases give nats.nats.svc the server Pod's address, as a user without DNS would.
const natsClient = `apiVersion: v1
kind: Pod
metadata: {name: %[1]s, namespace: %[2]s}
spec:
  restartPolicy: Never
  hostAliases: [{ip: "%[3]s", hostnames: [nats.nats.svc]}]
  securityContext: {runAsNonRoot: true, runAsUser: 65532, fsGroup: 65532, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: pub
    image: %[4]s
    imagePullPolicy: IfNotPresent
    command: ["/nats", "--server", "nats://nats.nats.svc:4222", "--creds", "/etc/nats/user.creds", "--timeout", "5s", "pub", "%[5]s", "hi"]
    # The nats CLI looks up its config dir by user; there is no /etc/passwd in the image.
    env: [{name: HOME, value: /tmp}, {name: USER, value: app}]
    securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: ["ALL"]}}
    volumeMounts:
    - {name: creds, mountPath: /etc/nats, readOnly: true}
    - {name: tmp, mountPath: /tmp}
  volumes:
  - {name: creds, secret: {secretName: %[6]s}}
  - {name: tmp, emptyDir: {}}
`

// resolverPatch adds the same hostAliases to the resolver Deployment of manifests/examples/resolver.
const resolverPatch = `apiVersion: apps/v1
kind: Deployment
metadata: {name: nats-auth-resolver}
spec:
  template:
    spec:
      hostAliases: [{ip: "%s", hostnames: [nats.nats.svc]}]
`

// natsInPods starts nats-server and the resolver as Pods; the resolver pushes the accounts, and
// an application Pod with apps/api's mounted creds may publish what it is allowed, and only that.
// It returns the server Pod's IP.
func natsInPods(t *testing.T, c *Cluster, version string) string {
	tar, err := binFile("nats-tools")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ImportImage(tar); err != nil {
		t.Fatal(err)
	}
	applyStdin(t, c, fmt.Sprintf(natsServer, NatsToolsImage))
	kubectl(t, c, 2*time.Minute, "wait", "--for=condition=Ready", "--timeout=110s", "-n", "nats", "pod/nats-0")
	ip := jsonpath(t, c, "nats", "pod/nats-0", "{.status.podIP}")
	dir := overlay(t, "manifests/examples/resolver", version)
	writeOrFatal(t, filepath.Join(dir, "hostaliases.yaml"), fmt.Sprintf(resolverPatch, ip))
	appendFile(t, filepath.Join(dir, "kustomization.yaml"), "patches:\n- path: hostaliases.yaml\n")
	kubectl(t, c, time.Minute, "apply", "-k", dir)
	kubectl(t, c, 3*time.Minute, "-n", "nats", "rollout", "status", "deploy/nats-auth-resolver", "--timeout=170s")
	kubectl(t, c, 2*time.Minute, "wait", "--for=condition=Pushed", "--timeout=110s", "-n", "nats", "nacc/orders", "nacc/billing")
	expectPub(t, c, "apps", "pub-allowed", ip, "orders.api.hello", "api", corev1.PodSucceeded)
	expectPub(t, c, "apps", "pub-denied", ip, "orders.events.created", "api", corev1.PodFailed)
	return ip
}

// expectPub runs a client Pod and waits for the phase it must end in.
func expectPub(t *testing.T, c *Cluster, ns, name, ip, subject, secret string, want corev1.PodPhase) {
	t.Helper()
	applyStdin(t, c, fmt.Sprintf(natsClient, name, ns, ip, NatsToolsImage, subject, secret))
	eventually(t, 2*time.Minute, "Pod "+ns+"/"+name+" "+string(want), func() (bool, string) {
		p, err := c.Client.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed, string(p.Status.Phase)
	})
	p, _ := c.Client.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
	logs, _ := kubectlErr(c, 30*time.Second, "logs", "-n", ns, name)
	if p.Status.Phase != want {
		t.Fatalf("Pod %s/%s publishing %s ended %s, want %s; its log:\n%s", ns, name, subject, p.Status.Phase, want, logs)
	}
	t.Logf("Pod %s/%s publishing %s: %s (%s)", ns, name, subject, want, firstLine(logs))
}

// copyCreds keeps a NatsUser's creds in another namespace, to try them after the user is gone.
func copyCreds(t *testing.T, c *Cluster, ns, name, toNS, toName string) {
	t.Helper()
	s, err := c.Client.CoreV1().Secrets(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cp := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: toName, Namespace: toNS}, Data: map[string][]byte{"user.creds": s.Data["user.creds"]}}
	if _, err := c.Client.CoreV1().Secrets(toNS).Create(context.Background(), cp, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func firstLine(s string) string {
	for i, r := range s {
		if r == '\n' {
			return s[:i]
		}
	}
	return s
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		_, err = f.WriteString(s)
		f.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
}
