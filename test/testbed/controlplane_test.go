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

package testbed_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// widgetCRD is a minimal CRD, in two documents with a separator, to exercise InstallCRDs
// without depending on the project's generated manifests.
const widgetCRD = `---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.testbed.example.com
spec:
  group: testbed.example.com
  names: {kind: Widget, listKind: WidgetList, plural: widgets, singular: widget}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
---
`

func TestControlPlane(t *testing.T) {
	crdDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(crdDir, "widgets.yaml"), []byte(widgetCRD), 0o644); err != nil {
		t.Fatal(err)
	}
	cp := testbed.StartControlPlane(t, testbed.ControlPlaneOptions{CRDDir: crdDir})
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()

	kube := cp.KubeClient()
	ns := cp.NewNamespace(t)
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "survivor", Namespace: ns},
		Data:       map[string]string{"k": "v"},
	}
	if _, err := kube.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating a ConfigMap as admin: %v", err)
	}

	// The CRD from CRDDir is usable right away, without the apiserver's post-Established delay.
	dyn := dynamic.NewForConfigOrDie(cp.Config())
	widgets := schema.GroupVersionResource{Group: "testbed.example.com", Version: "v1", Resource: "widgets"}
	w := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "testbed.example.com/v1", "kind": "Widget",
		"metadata": map[string]any{"name": "w1"}, "spec": map[string]any{"size": int64(3)},
	}}
	began := time.Now()
	if _, err := dyn.Resource(widgets).Namespace(ns).Create(ctx, w, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating a custom resource: %v", err)
	}
	// The apiserver sleeps 2s in creates while the CRD has been Established for less than 2s;
	// InstallCRDs waits that out so it cannot eat into the tests' own timeouts. A slow create
	// counts only if it began inside that window: outside it, slowness is the machine's.
	took := time.Since(began)
	established := crdEstablished(t, ctx, dyn, "widgets.testbed.example.com")
	if inWindow := began.Sub(established) < 2*time.Second; inWindow && took >= 1900*time.Millisecond {
		t.Fatalf("first custom resource create took %s, %s after Established: InstallCRDs returned too early",
			took, began.Sub(established).Round(time.Millisecond))
	}
	// Installing again is harmless.
	cp.InstallCRDs(t, crdDir)

	// A ServiceAccount without any RBAC is forbidden, proving authorization is enforced.
	saKube := kubernetes.NewForConfigOrDie(cp.ServiceAccountConfig(ns, "nobody"))
	_, err := saKube.CoreV1().ConfigMaps(ns).Get(ctx, "survivor", metav1.GetOptions{})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("unprivileged ServiceAccount: want Forbidden, got %v", err)
	}
	userKube := kubernetes.NewForConfigOrDie(cp.ImpersonatedConfig("jane", "developers"))
	if _, err := userKube.CoreV1().Namespaces().List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("unprivileged user: want Forbidden, got %v", err)
	}

	// The kubeconfig file works for clients that load it (and for kubectl, if installed).
	kcCfg, err := clientcmd.BuildConfigFromFlags("", cp.Kubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kubernetes.NewForConfigOrDie(kcCfg).CoreV1().ConfigMaps(ns).Get(ctx, "survivor", metav1.GetOptions{}); err != nil {
		t.Fatalf("using the kubeconfig: %v", err)
	}
	if kubectl, err := exec.LookPath("kubectl"); err == nil {
		out, err := exec.CommandContext(ctx, kubectl, "--kubeconfig", cp.Kubeconfig(), "-n", ns, "get", "configmap", "survivor", "-o", "name").CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "configmap/survivor" {
			t.Fatalf("kubectl with the kubeconfig: %v: %s", err, out)
		}
	}

	// Data lives in etcd, so it survives an apiserver restart, and old clients keep working.
	cp.RestartAPIServer(t)
	got, err := kube.CoreV1().ConfigMaps(ns).Get(ctx, "survivor", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("ConfigMap after the apiserver restart: %v", err)
	}
	if got.Data["k"] != "v" {
		t.Fatalf("ConfigMap data after restart: %v", got.Data)
	}
}

// TestControlPlaneMain checks the TestMain variant, which has no testing.T to clean up after it.
func TestControlPlaneMain(t *testing.T) {
	cp, err := testbed.StartControlPlaneMain(testbed.ControlPlaneOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Stop()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if _, err := cp.KubeClient().CoreV1().Namespaces().Get(ctx, "kube-system", metav1.GetOptions{}); err != nil {
		// kube-system is created asynchronously by the apiserver; the API must still answer.
		if !apierrors.IsNotFound(err) {
			t.Fatal(err)
		}
	}
	dir := cp.Dir()
	began := time.Now()
	cp.Stop()
	t.Logf("Stop took %s", time.Since(began).Round(time.Millisecond))
	cp.Stop() // idempotent
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("temp dir %s not removed: %v", dir, err)
	}
}

// crdEstablished returns when the CRD's Established condition became True, as the apiserver
// stores it (to the second).
func crdEstablished(t *testing.T, ctx context.Context, dyn dynamic.Interface, name string) time.Time {
	t.Helper()
	crd, err := dyn.Resource(schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1",
		Resource: "customresourcedefinitions"}).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
	for _, c := range conds {
		if m, _ := c.(map[string]any); m["type"] == "Established" && m["status"] == "True" {
			ltt, _ := m["lastTransitionTime"].(string)
			at, err := time.Parse(time.RFC3339, ltt)
			if err != nil {
				t.Fatalf("CRD %s Established at %q: %v", name, ltt, err)
			}
			return at
		}
	}
	t.Fatalf("CRD %s is not Established", name)
	return time.Time{}
}
