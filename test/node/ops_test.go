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
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// userDuringRestart is created right before the controller Pod is deleted, so the replacement
// has work to finish.
const userDuringRestart = `apiVersion: natsauth.io/v1alpha1
kind: NatsUser
metadata:
  name: during-restart
  namespace: apps
spec:
  accountRef: {namespace: nats, name: orders}
  permissions:
    pub: {allow: ["orders.api.>"]}
`

// controllerPodReplaced deletes the controller Pod mid-work: its Deployment's replacement must
// become Ready, take the Lease, finish the new user and keep every existing key.
func controllerPodReplaced(t *testing.T, c *Cluster, old string) {
	apiKey := jsonpath(t, c, "apps", "nu/api", "{.status.publicKey}")
	applyStdin(t, c, userDuringRestart)
	if err := c.Client.CoreV1().Pods(controllerNS).Delete(context.Background(), old, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	p := readyControllerPod(t, c, old)
	waitLeaseHolder(t, c, p.Name)
	kubectl(t, c, 2*time.Minute, "wait", "--for=condition=Ready", "--timeout=110s", "-n", "apps", "nu/during-restart", "nu/api")
	if got := jsonpath(t, c, "apps", "nu/api", "{.status.publicKey}"); got != apiKey {
		t.Fatalf("nu/api's key changed across the controller restart: %s -> %s", apiKey, got)
	}
	t.Logf("controller Pod %s replaced by %s, which holds the Lease and converged", old, p.Name)
}

// namespaceWithUsersDeleted deletes namespace apps: the namespace controller deletes the users,
// the controller's finalizers revoke their keys in the account JWT, and the namespace goes.
func namespaceWithUsersDeleted(t *testing.T, c *Cluster) {
	var keys []string
	for _, u := range []string{"nu/api", "nu/worker", "nu/during-restart"} {
		keys = append(keys, jsonpath(t, c, "apps", u, "{.status.publicKey}"))
	}
	kubectl(t, c, time.Minute, "delete", "namespace", "apps", "--wait=false")
	eventually(t, 3*time.Minute, "namespace apps gone", func() (bool, string) {
		ns, err := c.Client.CoreV1().Namespaces().Get(context.Background(), "apps", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, ""
		} else if err != nil {
			return false, err.Error()
		}
		return false, describeNamespace(ns)
	})
	eventually(t, time.Minute, "every deleted user revoked in nats/orders' JWT", func() (bool, string) {
		revoked := accountRevocations(t, c, "nats", "nacc/orders")
		for _, k := range keys {
			if _, ok := revoked[k]; !ok {
				return false, "not revoked: " + k
			}
		}
		return true, ""
	})
}

func describeNamespace(ns *corev1.Namespace) string {
	var s []string
	for _, c := range ns.Status.Conditions {
		if c.Status == corev1.ConditionTrue {
			s = append(s, string(c.Type)+": "+c.Message)
		}
	}
	return string(ns.Status.Phase) + " " + strings.Join(s, "; ")
}

// accountRevocations decodes the account JWT in the object's status (it is public) and returns
// its revocations.
func accountRevocations(t *testing.T, c *Cluster, ns, obj string) map[string]int64 {
	jwt := jsonpath(t, c, ns, obj, "{.status.jwt}")
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("%s/%s: status.jwt is not a JWT", ns, obj)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Nats struct {
			Revocations map[string]int64 `json:"revocations"`
		} `json:"nats"`
	}
	if err := json.Unmarshal(b, &claims); err != nil {
		t.Fatal(err)
	}
	return claims.Nats.Revocations
}

func jsonpath(t *testing.T, c *Cluster, ns, obj, path string) string {
	t.Helper()
	out := kubectl(t, c, 30*time.Second, "get", "-n", ns, obj, "-o", "jsonpath="+path)
	if out == "" {
		t.Fatalf("%s/%s: %s is empty", ns, obj, path)
	}
	return out
}

func applyStdin(t *testing.T, c *Cluster, yaml string) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "obj.yaml")
	writeOrFatal(t, f, yaml)
	kubectl(t, c, 30*time.Second, "apply", "-f", f)
}

func writeOrFatal(t *testing.T, path, content string) {
	t.Helper()
	if err := writeFile(path, content); err != nil {
		t.Fatal(err)
	}
}

func repoPath(t *testing.T, rel string) string {
	t.Helper()
	root, err := testbed.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, rel)
}

func hasProjectedToken(vols []corev1.Volume) bool {
	for _, v := range vols {
		if v.Projected == nil {
			continue
		}
		for _, s := range v.Projected.Sources {
			if s.ServiceAccountToken != nil {
				return true
			}
		}
	}
	return false
}
