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

package integration

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/klog/v2"
	"k8s.io/klog/v2/ktesting"
	"sigs.k8s.io/yaml"

	"github.com/natsauth/nats-auth-operator/cmd/controller/app"
	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// manifestsDir returns <repo>/manifests/<sub>.
func manifestsDir(t *testing.T, sub string) string {
	t.Helper()
	root, err := testbed.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "manifests", filepath.FromSlash(sub))
}

// kubectlBinary returns ./bin/kubectl (linked by hack/install-test-deps.sh), else the one on PATH.
func kubectlBinary(t *testing.T) string {
	t.Helper()
	if p, err := testbed.BinPath("kubectl"); err == nil {
		return p
	}
	p, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatalf("kubectl is neither in ./bin nor on PATH: %v", err)
	}
	return p
}

// kubectl runs kubectl with args, feeding it stdin when not nil, and returns its stdout. Commands
// that talk to the apiserver must pass --kubeconfig themselves.
func kubectl(t *testing.T, stdin []byte, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, kubectlBinary(t), args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kubectl %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.Bytes()
}

// kubectlAdmin runs kubectl with the test control plane's admin kubeconfig.
func kubectlAdmin(t *testing.T, stdin []byte, args ...string) []byte {
	t.Helper()
	return kubectl(t, stdin, append([]string{"--kubeconfig", controlPlane.Kubeconfig()}, args...)...)
}

// kustomize renders dir with `kubectl kustomize`.
func kustomize(t *testing.T, dir string) []*unstructured.Unstructured {
	t.Helper()
	return parseObjects(t, kubectl(t, nil, "kustomize", dir))
}

// kustomizeOverlay renders a temporary kustomization whose resources are dirs and whose other
// fields are body (YAML, such as "namespace: x"). This is how tests move manifests into their own
// namespaces without editing them. kustomize only takes relative paths to other directories.
func kustomizeOverlay(t *testing.T, body string, dirs ...string) []*unstructured.Unstructured {
	t.Helper()
	tmp := t.TempDir()
	var b strings.Builder
	b.WriteString("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n")
	b.WriteString(body)
	b.WriteString("\nresources:\n")
	for _, d := range dirs {
		rel, err := filepath.Rel(tmp, d)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("- " + filepath.ToSlash(rel) + "\n")
	}
	if err := os.WriteFile(filepath.Join(tmp, "kustomization.yaml"), []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return kustomize(t, tmp)
}

// parseObjects splits a multi-document YAML stream into objects.
func parseObjects(t *testing.T, data []byte) []*unstructured.Unstructured {
	t.Helper()
	var objs []*unstructured.Unstructured
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return objs
		}
		if err != nil {
			t.Fatalf("reading YAML: %v", err)
		}
		js, err := yaml.YAMLToJSON(doc)
		if err != nil {
			t.Fatalf("YAML to JSON: %v", err)
		}
		if s := string(bytes.TrimSpace(js)); s == "null" || s == "{}" {
			continue
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(js); err != nil {
			t.Fatalf("decoding %s: %v", js, err)
		}
		objs = append(objs, u)
	}
}

// toYAML joins objects into one YAML stream for kubectl.
func toYAML(t *testing.T, objs []*unstructured.Unstructured) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, o := range objs {
		y, err := yaml.Marshal(o.Object)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("---\n")
		b.Write(y)
	}
	return b.Bytes()
}

// ofKind returns the objects of the given kinds, in order.
func ofKind(objs []*unstructured.Unstructured, kinds ...string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if slices.Contains(kinds, o.GetKind()) {
			out = append(out, o)
		}
	}
	return out
}

// findObject returns the one object of kind and name, failing the test otherwise.
func findObject(t *testing.T, objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	t.Helper()
	var found []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one %s %q in the rendered manifests, found %d", kind, name, len(found))
	}
	return found[0]
}

// convertObject converts an unstructured object into a typed one (or back with toUnstructured).
func convertObject(t *testing.T, u *unstructured.Unstructured, into any) {
	t.Helper()
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, into); err != nil {
		t.Fatalf("converting %s %s: %v", u.GetKind(), u.GetName(), err)
	}
}

func toUnstructured(t *testing.T, obj any) *unstructured.Unstructured {
	t.Helper()
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		t.Fatal(err)
	}
	return &unstructured.Unstructured{Object: m}
}

// ensureNamespaces creates the namespaces that do not exist yet. They are never deleted: without
// a namespace controller a deleted namespace stays Terminating and refuses new objects, which
// would break the next test that uses the same fixed name (manifests/examples uses nats and apps).
func ensureNamespaces(t *testing.T, names ...string) {
	t.Helper()
	ctx := testContext(t)
	for _, n := range names {
		_, err := controlPlane.KubeClient().CoreV1().Namespaces().Create(ctx,
			&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("create namespace %s: %v", n, err)
		}
	}
}

// namespacesOf returns every namespace the objects live in or create, sorted and unique.
func namespacesOf(objs []*unstructured.Unstructured) []string {
	var out []string
	for _, o := range objs {
		if ns := o.GetNamespace(); ns != "" {
			out = append(out, ns)
		}
		if o.GetKind() == "Namespace" {
			out = append(out, o.GetName())
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// controllerRun is a controller binary running in-process under some identity.
type controllerRun struct {
	logs ktesting.Buffer
}

// forbiddenErrors returns the logged errors that are Forbidden for resource (such as "secrets").
func (r *controllerRun) forbiddenErrors(resource string) []error {
	var out []error
	for _, e := range r.logs.Data() {
		var status apierrors.APIStatus
		if e.Err == nil || !errors.As(e.Err, &status) || !apierrors.IsForbidden(e.Err) {
			continue
		}
		if d := status.Status().Details; d != nil && d.Kind == resource {
			out = append(out, e.Err)
		}
	}
	return out
}

// startControllersAs runs the controller binary's wiring in-process as the ServiceAccount
// ns/serviceAccount (impersonated, so RBAC decides every request), with leader election in ns as
// the Deployment runs it, and keeps its log for assertions. It stops at cleanup.
func startControllersAs(t *testing.T, ns, serviceAccount string) *controllerRun {
	t.Helper()
	opts := app.NewOptions()
	opts.RestConfig = controlPlane.ServiceAccountConfig(ns, serviceAccount)
	opts.LeaderElect = true
	opts.LeaderElectionNamespace = ns
	opts.MetricsBindAddress = "0"
	opts.HealthProbeBindAddress = "0"
	opts.Workers = 2
	if err := opts.Validate(); err != nil {
		t.Fatal(err)
	}
	logger := ktesting.NewLogger(t, ktesting.NewConfig(ktesting.Verbosity(2), ktesting.BufferLogs(true)))
	ctx, cancel := context.WithCancel(klog.NewContext(context.Background(), logger))
	runInBackground(t, "controller", cancel, func() error { return app.Run(ctx, opts) })
	return &controllerRun{logs: logger.GetSink().(ktesting.Underlier).GetBuffer()}
}
