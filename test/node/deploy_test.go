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
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestDeploy does what a user does with the image and manifests/default, then the examples,
// and then what an operator of the cluster does to it: the steps share the cluster's state, so
// they are subtests of one test, in order.
func TestDeploy(t *testing.T) {
	c := requireNode(t)
	dumpOnFailure(t, c)
	version := os.Getenv(VersionEnv)
	if err := c.ImportImage(os.Getenv(ImageTarEnv)); err != nil {
		t.Fatal(err)
	}
	var pod string
	ok := t.Run("ControllerReadyWithLease", func(t *testing.T) { pod = controllerReadyWithLease(t, c, version) })
	ok = ok && t.Run("ExamplesReady", func(t *testing.T) { examplesReady(t, c) })
	var natsIP string
	natsOK := ok && t.Run("NatsInPods", func(t *testing.T) {
		natsIP = natsInPods(t, c, version)
		copyCreds(t, c, "apps", "api", "nats", "api-copy")
	})
	ok = ok && t.Run("ControllerPodReplaced", func(t *testing.T) { controllerPodReplaced(t, c, pod) })
	ok = ok && t.Run("NamespaceWithUsersDeleted", func(t *testing.T) { namespaceWithUsersDeleted(t, c) })
	// The deleted user's creds, kept elsewhere, no longer connect: the resolver pushed the
	// account JWT that revokes its key.
	_ = ok && natsOK && t.Run("DeletedUsersCredsRefused", func(t *testing.T) {
		expectPub(t, c, "nats", "pub-revoked", natsIP, "orders.api.hello", "api-copy", corev1.PodFailed)
	})
}

// controllerReadyWithLease applies manifests/default with the built image's tag; the Pod must
// become Ready through its readiness probe and take its Lease through in-cluster config and its
// ServiceAccount token.
func controllerReadyWithLease(t *testing.T, c *Cluster, version string) string {
	kubectl(t, c, time.Minute, "apply", "-k", overlay(t, "manifests/default", version))
	p := readyControllerPod(t, c, "")
	ctr := p.Spec.Containers[0]
	if want := imageName + ":" + version; ctr.Image != want || ctr.ImagePullPolicy != "IfNotPresent" {
		t.Fatalf("controller image %s (%s), want %s (IfNotPresent)", ctr.Image, ctr.ImagePullPolicy, want)
	}
	if ctr.ReadinessProbe == nil || ctr.ReadinessProbe.HTTPGet == nil {
		t.Fatal("the controller container has no HTTP readiness probe")
	}
	if p.Spec.ServiceAccountName != "nats-auth-controller" || !hasProjectedToken(p.Spec.Volumes) {
		t.Fatalf("the Pod does not run as ServiceAccount nats-auth-controller with a projected token: %s %v", p.Spec.ServiceAccountName, p.Spec.Volumes)
	}
	waitLeaseHolder(t, c, p.Name)
	t.Logf("controller Pod %s Ready on %s and holding Lease %s/%s", p.Name, p.Spec.NodeName, controllerNS, controllerLease)
	return p.Name
}

// examplesReady applies manifests/examples unchanged; the controller in the Pod issues them.
func examplesReady(t *testing.T, c *Cluster) {
	kubectl(t, c, time.Minute, "apply", "-k", repoPath(t, "manifests/examples"))
	kubectl(t, c, 3*time.Minute, "wait", "--for=condition=Ready", "--timeout=170s", "-n", "nats", "nop/main", "nacc/orders", "nacc/billing", "nu/orders-jetstream-admin")
	kubectl(t, c, 2*time.Minute, "wait", "--for=condition=Ready", "--timeout=110s", "-n", "apps", "nu/api", "nu/worker")
	s, err := c.Client.CoreV1().Secrets("apps").Get(context.Background(), "api", metav1.GetOptions{})
	if err != nil || !strings.Contains(string(s.Data["user.creds"]), "BEGIN NATS USER JWT") {
		t.Fatalf("Secret apps/api has no user.creds (err %v)", err)
	}
}
