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
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/natsauth/nats-auth-operator/test/testbed"
)

const (
	controllerNS    = "nats-auth-operator"
	controllerLease = "nats-auth-controller"
	controllerSel   = "app.kubernetes.io/component=controller"
	imageName       = "ghcr.io/natsauth/nats-auth-operator"
)

// kubectl runs kubectl with the admin kubeconfig, bounded by timeout.
func kubectl(t *testing.T, c *Cluster, timeout time.Duration, args ...string) string {
	t.Helper()
	out, err := kubectlErr(c, timeout, args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func kubectlErr(c *Cluster, timeout time.Duration, args ...string) (string, error) {
	bin, err := testbed.BinPath("kubectl")
	if err != nil {
		bin = "kubectl"
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"--kubeconfig", c.CP.Kubeconfig()}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// dumpOnFailure shows what the cluster looked like when a test failed.
func dumpOnFailure(t *testing.T, c *Cluster) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for _, args := range [][]string{
			{"get", "nodes,pods,deploy,statefulsets", "-A", "-o", "wide"},
			{"get", "nop,nacc,nu", "-A"},
			{"get", "events", "-A", "--sort-by=.lastTimestamp"},
			{"logs", "-n", controllerNS, "-l", controllerSel, "--tail=40"},
			{"logs", "-n", "nats", "-l", "app.kubernetes.io/component=resolver", "--tail=40"},
			{"logs", "-n", "nats", "-l", "app=nats", "--prefix", "--tail=20"},
		} {
			out, _ := kubectlErr(c, 30*time.Second, args...)
			t.Logf("kubectl %s:\n%s", strings.Join(args, " "), out)
		}
		t.Logf("component logs are in %s", c.Dir())
	})
}

// overlay writes a kustomization that sets the image tag of the kustomization in base.
func overlay(t *testing.T, base, version string) string {
	t.Helper()
	dir := t.TempDir()
	// kustomize refuses an absolute resource path, so name the base relative to the overlay.
	rel, err := filepath.Rel(dir, base)
	if err != nil {
		t.Fatal(err)
	}
	k := fmt.Sprintf(`apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- %s
images:
- name: %s
  newTag: %s
`, rel, imageName, version)
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// eventually polls cond until it returns true or the deadline passes, then fails with the last
// state it saw (no timing is asserted; the deadline only bounds a hang).
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached within %s; last state: %s", what, timeout, state)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// readyControllerPod waits for a Ready controller Pod other than notName and returns it.
func readyControllerPod(t *testing.T, c *Cluster, notName string) *corev1.Pod {
	t.Helper()
	var pod *corev1.Pod
	eventually(t, 3*time.Minute, "a Ready controller Pod", func() (bool, string) {
		pods, err := c.Client.CoreV1().Pods(controllerNS).List(context.Background(), metav1.ListOptions{LabelSelector: controllerSel})
		if err != nil {
			return false, err.Error()
		}
		var states []string
		for i := range pods.Items {
			p := &pods.Items[i]
			states = append(states, fmt.Sprintf("%s %s ready=%v", p.Name, p.Status.Phase, podReady(p)))
			if p.Name != notName && p.DeletionTimestamp == nil && podReady(p) {
				pod = p
				return true, ""
			}
		}
		return false, strings.Join(states, ", ")
	})
	return pod
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// waitLeaseHolder waits until the controller's Lease is held by pod (identity "<pod>_<random>").
func waitLeaseHolder(t *testing.T, c *Cluster, pod string) {
	t.Helper()
	eventually(t, 2*time.Minute, "the controller Lease held by "+pod, func() (bool, string) {
		l, err := c.Client.CoordinationV1().Leases(controllerNS).Get(context.Background(), controllerLease, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		h := ""
		if l.Spec.HolderIdentity != nil {
			h = *l.Spec.HolderIdentity
		}
		return strings.HasPrefix(h, pod+"_"), "holder " + h
	})
}
