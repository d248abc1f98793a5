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
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestDeploy does what a user does with the image and the manifests: the previous release with
// the examples and a nats-server cluster first, then the rolling upgrade to this tree's image and
// manifests, and then what an operator of the cluster does to it. The steps share the cluster's
// state, so they are subtests of one test, in order.
func TestDeploy(t *testing.T) {
	c := requireNode(t)
	dumpOnFailure(t, c)
	version := os.Getenv(VersionEnv)
	prev := loadPrevRelease(t)
	for _, tar := range []string{prev.image, os.Getenv(ImageTarEnv)} {
		if err := c.ImportImage(tar); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("upgrading from %s (commit %s) to %s", prev.version, prev.commit, version)
	var pod string
	var ips []string
	ok := t.Run("PreviousReleaseReadyWithLease", func(t *testing.T) { controllerReadyWithLease(t, c, prev.manifests, prev.version) })
	ok = ok && t.Run("ExamplesReady", func(t *testing.T) { examplesReady(t, c, prev.manifests) })
	ok = ok && t.Run("NatsClusterInPods", func(t *testing.T) {
		ips = natsInPods(t, c, prev.manifests, prev.version)
		copyCreds(t, c, "apps", "api", "nats", "api-copy")
		// Held open across the upgrade.
		startSub(t, c, "apps", "sub-api", ips, natsURL, "api", "orders.api.>")
	})
	ok = ok && t.Run("RollingUpgrade", func(t *testing.T) { pod = rollingUpgrade(t, c, version, ips) })
	ok = ok && t.Run("ControllerPodReplaced", func(t *testing.T) { controllerPodReplaced(t, c, pod) })
	ok = ok && t.Run("DeletedUserDisconnected", func(t *testing.T) { deletedUserDisconnected(t, c, ips) })
	ok = ok && t.Run("NamespaceWithUsersDeleted", func(t *testing.T) { namespaceWithUsersDeleted(t, c) })
	// The deleted users' creds, kept elsewhere, no longer connect to any server: the resolver
	// pushed the account JWT that revokes their keys.
	_ = ok && t.Run("DeletedUsersCredsRefused", func(t *testing.T) {
		expectPub(t, c, "nats", "pub-revoked", ips, natsURL, "orders.api.hello", "api-copy", corev1.PodFailed)
		refusedOnEveryServer(t, ips, secretCreds(t, c, "nats", "api-copy"))
	})
}

// controllerReadyWithLease applies manifestsDir's default kustomization with image tag version
// and waits for its rollout: the Pod must become Ready through its readiness probe and take its
// Lease through in-cluster config and its ServiceAccount token. It returns the Pod's name.
func controllerReadyWithLease(t *testing.T, c *Cluster, manifestsDir, version string) string {
	kubectl(t, c, time.Minute, "apply", "-k", overlay(t, filepath.Join(manifestsDir, "default"), version))
	kubectl(t, c, 3*time.Minute, "-n", controllerNS, "rollout", "status", "deploy/nats-auth-controller", "--timeout=170s")
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
	t.Logf("controller Pod %s (%s) Ready on %s and holding Lease %s/%s", p.Name, version, p.Spec.NodeName, controllerNS, controllerLease)
	return p.Name
}

// examplesReady applies manifestsDir's examples unchanged; the controller in the Pod issues them.
func examplesReady(t *testing.T, c *Cluster, manifestsDir string) {
	kubectl(t, c, time.Minute, "apply", "-k", filepath.Join(manifestsDir, "examples"))
	kubectl(t, c, 3*time.Minute, "wait", "--for=condition=Ready", "--timeout=170s", "-n", "nats", "nop/main", "nacc/orders", "nacc/billing", "nu/orders-jetstream-admin")
	kubectl(t, c, 2*time.Minute, "wait", "--for=condition=Ready", "--timeout=110s", "-n", "apps", "nu/api", "nu/worker")
	s, err := c.Client.CoreV1().Secrets("apps").Get(context.Background(), "api", metav1.GetOptions{})
	if err != nil || !strings.Contains(string(s.Data["user.creds"]), "BEGIN NATS USER JWT") {
		t.Fatalf("Secret apps/api has no user.creds (err %v)", err)
	}
}
