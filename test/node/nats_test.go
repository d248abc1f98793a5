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
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// NatsToolsImage holds static nats-server and nats CLI builds (hack/install-node-deps.sh).
const NatsToolsImage = "natsauth.local/nats-tools:v2.15.2"

// natsReplicas is the size of the nats-server StatefulSet.
const natsReplicas = 3

// natsCluster runs nats-server as README's Deploying section says: a StatefulSet whose servers
// include the auth.conf of Secret nats/main-server-config (mounted at /etc/nats-auth) from their
// own config, a writable spec.resolver.dir (/data/resolver), a server_name per Pod (the resolver
// counts acknowledgements by name), and a headless Service. With cluster DNS the routes would be
// nats://nats-N.nats.nats.svc:6222; this node has no DNS, so routes.conf starts empty and the
// test writes the Pods' IPs into it once they run, and reloads each server (natsRoutesByIP).
const natsCluster = `apiVersion: v1
kind: Service
metadata: {name: nats, namespace: nats}
spec:
  clusterIP: None
  publishNotReadyAddresses: true
  selector: {app: nats}
  ports:
  - {name: client, port: 4222}
  - {name: cluster, port: 6222}
  - {name: monitor, port: 8222}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: nats-config, namespace: nats}
data:
  nats.conf: |
    server_name: $POD_NAME
    listen: 0.0.0.0:4222
    http: 0.0.0.0:8222
    cluster {
      name: nats
      listen: 0.0.0.0:6222
      include routes.conf
    }
    include ../nats-auth/auth.conf
  routes.conf: |
    routes: []
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: nats, namespace: nats}
spec:
  serviceName: nats
  replicas: 3
  podManagementPolicy: Parallel
  selector: {matchLabels: {app: nats}}
  template:
    metadata: {labels: {app: nats}}
    spec:
      securityContext: {runAsNonRoot: true, runAsUser: 65532, fsGroup: 65532, seccompProfile: {type: RuntimeDefault}}
      containers:
      - name: nats
        image: %[1]s
        imagePullPolicy: IfNotPresent
        command: ["/nats-server", "-c", "/etc/nats-config/nats.conf"]
        env: [{name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
        ports: [{name: client, containerPort: 4222}, {name: cluster, containerPort: 6222}, {name: monitor, containerPort: 8222}]
        readinessProbe: {httpGet: {path: /healthz, port: 8222}, periodSeconds: 2}
        securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: ["ALL"]}}
        volumeMounts:
        - {name: config, mountPath: /etc/nats-config}
        - {name: auth, mountPath: /etc/nats-auth, readOnly: true}
        - {name: resolver, mountPath: /data/resolver}
      volumes:
      - {name: config, configMap: {name: nats-config}}
      - {name: auth, secret: {secretName: main-server-config, items: [{key: auth.conf, path: auth.conf}]}}
      # A PersistentVolumeClaim template in production; the node has no volume provisioner, and
      # a restarted server gets the account JWTs again from its peers and the resolver.
      - {name: resolver, emptyDir: {}}
`

// natsClient runs the nats CLI with a mounted NatsUser Secret; it exits 1 when the server refuses
// the command or the connection. There is no cluster DNS on the node, so hostAliases give
// nats.nats.svc the server Pods' addresses, as the headless Service's DNS name would, and as a
// user without DNS would write them.
const natsClient = `apiVersion: v1
kind: Pod
metadata: {name: %[1]s, namespace: %[2]s}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 2
  hostAliases: %[3]s
  securityContext: {runAsNonRoot: true, runAsUser: 65532, fsGroup: 65532, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: nats
    image: %[4]s
    imagePullPolicy: IfNotPresent
    command: %[5]s
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

// natsURL is the in-cluster URL of the examples (NatsOperator serviceURLs, the resolver's flag).
const natsURL = "nats://nats.nats.svc:4222"

// resolverPatch adds the same hostAliases to the resolver Deployment of manifests/examples/resolver.
const resolverPatch = `apiVersion: apps/v1
kind: Deployment
metadata: {name: nats-auth-resolver}
spec:
  template:
    spec:
      hostAliases: %s
`

// natsInPods starts the nats-server StatefulSet and, from manifestsDir, the resolver with image
// tag version; the resolver pushes the accounts to all three servers, and an application Pod
// with apps/api's mounted creds may publish what it is allowed, and only that. It returns the
// server Pods' IPs, nats-0 first.
func natsInPods(t *testing.T, c *Cluster, manifestsDir, version string) []string {
	tar, err := binFile("nats-tools")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ImportImage(tar); err != nil {
		t.Fatal(err)
	}
	applyStdin(t, c, fmt.Sprintf(natsCluster, NatsToolsImage))
	kubectl(t, c, 3*time.Minute, "-n", "nats", "rollout", "status", "statefulset/nats", "--timeout=170s")
	ips := natsPodIPs(t, c)
	natsRoutesByIP(t, c, ips)
	applyResolver(t, c, manifestsDir, version, ips)
	expectPub(t, c, "apps", "pub-allowed", ips, natsURL, "orders.api.hello", "api", corev1.PodSucceeded)
	expectPub(t, c, "apps", "pub-denied", ips, natsURL, "orders.events.created", "api", corev1.PodFailed)
	return ips
}

// applyResolver applies manifestsDir's examples/resolver with image tag version and hostAliases
// for the servers, waits for its rollout, and for both example accounts acknowledged by every
// server.
func applyResolver(t *testing.T, c *Cluster, manifestsDir, version string, ips []string) {
	dir := overlay(t, filepath.Join(manifestsDir, "examples/resolver"), version)
	writeOrFatal(t, filepath.Join(dir, "hostaliases.yaml"), fmt.Sprintf(resolverPatch, hostAliases(ips)))
	appendFile(t, filepath.Join(dir, "kustomization.yaml"), "patches:\n- path: hostaliases.yaml\n")
	kubectl(t, c, time.Minute, "apply", "-k", dir)
	kubectl(t, c, 3*time.Minute, "-n", "nats", "rollout", "status", "deploy/nats-auth-resolver", "--timeout=170s")
	if got, want := jsonpath(t, c, "nats", "deploy/nats-auth-resolver", "{.spec.template.spec.containers[0].image}"), imageName+":"+version; got != want {
		t.Fatalf("resolver image %s, want %s", got, want)
	}
	waitPushedToAll(t, c, "nacc/orders", "nacc/billing")
}

// waitPushedToAll waits until the resolver reports each account acknowledged by all servers.
func waitPushedToAll(t *testing.T, c *Cluster, accounts ...string) {
	t.Helper()
	want := fmt.Sprintf("acknowledged by %d of %d servers", natsReplicas, natsReplicas)
	for _, a := range accounts {
		eventually(t, 2*time.Minute, a+" Pushed: "+want, func() (bool, string) {
			out, err := kubectlErr(c, 30*time.Second, "get", "-n", "nats", a, "-o",
				`jsonpath={.status.conditions[?(@.type=="Pushed")].status} {.status.conditions[?(@.type=="Pushed")].message}`)
			return err == nil && out == "True "+want, out
		})
	}
	t.Logf("%s: Pushed=True, %s", strings.Join(accounts, ", "), want)
}

// natsPodIPs returns the StatefulSet's Pod IPs by ordinal.
func natsPodIPs(t *testing.T, c *Cluster) []string {
	t.Helper()
	var ips []string
	for i := 0; i < natsReplicas; i++ {
		ips = append(ips, jsonpath(t, c, "nats", fmt.Sprintf("pod/nats-%d", i), "{.status.podIP}"))
	}
	return ips
}

// natsRoutesByIP clusters the servers without DNS, as a user could: the Pods' IPs go into
// routes.conf of ConfigMap nats-config, and each server reloads its config (nats-server
// --signal reload, through kubectl exec) until the kubelet has updated the mounted file and
// /routez of every server lists both others.
func natsRoutesByIP(t *testing.T, c *Cluster, ips []string) {
	var routes []string
	for _, ip := range ips {
		routes = append(routes, fmt.Sprintf("%q", "nats://"+ip+":6222"))
	}
	patch, _ := json.Marshal(map[string]any{"data": map[string]string{"routes.conf": "routes: [" + strings.Join(routes, ", ") + "]\n"}})
	kubectl(t, c, 30*time.Second, "patch", "-n", "nats", "configmap/nats-config", "--type=merge", "-p", string(patch))
	for i, ip := range ips {
		pod := fmt.Sprintf("nats-%d", i)
		eventually(t, 3*time.Minute, pod+" routed to both other servers", func() (bool, string) {
			peers, err := routePeers(ip)
			if err == nil && len(peers) == natsReplicas-1 {
				return true, ""
			}
			out, rerr := kubectlErr(c, 30*time.Second, "exec", "-n", "nats", pod, "--", "/nats-server", "--signal", "reload=1")
			time.Sleep(2 * time.Second)
			return false, fmt.Sprintf("peers %v (%v); reload: %v %s", peers, err, rerr, out)
		})
	}
	t.Logf("nats-0..%d routed to each other (Pod IPs %s)", natsReplicas-1, strings.Join(ips, ", "))
}

// routePeers returns the names of the servers a server has routes to (its monitoring /routez;
// a route pool opens several connections to each).
func routePeers(ip string) ([]string, error) {
	cl := http.Client{Timeout: 5 * time.Second}
	resp, err := cl.Get("http://" + ip + ":8222/routez")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var rz struct {
		Routes []struct {
			RemoteName string `json:"remote_name"`
		} `json:"routes"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&rz); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, r := range rz.Routes {
		seen[r.RemoteName] = true
	}
	var names []string
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

// hostAliases maps nats.nats.svc to every server, as a flow-style YAML list.
func hostAliases(ips []string) string {
	var s []string
	for _, ip := range ips {
		s = append(s, fmt.Sprintf(`{ip: %q, hostnames: [nats.nats.svc]}`, ip))
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// startNatsPod starts a nats CLI Pod: server is its --server URL, args its command after
// --server and --creds.
func startNatsPod(t *testing.T, c *Cluster, ns, name string, ips []string, server, secret string, args ...string) {
	t.Helper()
	cmd, _ := json.Marshal(append([]string{"/nats", "--server", server, "--creds", "/etc/nats/user.creds"}, args...))
	applyStdin(t, c, fmt.Sprintf(natsClient, name, ns, hostAliases(ips), NatsToolsImage, cmd, secret))
}

// expectPub runs a client Pod that publishes once and waits for the phase it must end in.
func expectPub(t *testing.T, c *Cluster, ns, name string, ips []string, server, subject, secret string, want corev1.PodPhase) {
	t.Helper()
	startNatsPod(t, c, ns, name, ips, server, secret, "--timeout", "5s", "pub", subject, "hi")
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

// startSub starts a Pod holding one long-lived connection (nats sub) and waits until it
// subscribes.
func startSub(t *testing.T, c *Cluster, ns, name string, ips []string, server, secret, subject string) {
	t.Helper()
	startNatsPod(t, c, ns, name, ips, server, secret, "sub", subject)
	waitLog(t, c, ns, name, "Subscribing on")
}

// waitLog waits until the Pod's log contains want (case-insensitive) and returns the log.
func waitLog(t *testing.T, c *Cluster, ns, pod, want string) string {
	t.Helper()
	var logs string
	eventually(t, 2*time.Minute, fmt.Sprintf("Pod %s/%s logging %q", ns, pod, want), func() (bool, string) {
		var err error
		logs, err = kubectlErr(c, 30*time.Second, "logs", "-n", ns, pod)
		return err == nil && strings.Contains(strings.ToLower(logs), strings.ToLower(want)), logs
	})
	return logs
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
