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

// Package manifests renders and parses the YAML under manifests/ for tests, with kubectl's
// kustomize and no cluster. Its own tests check what the rendered manifests promise and start no
// process but kubectl: no etcd, no kube-apiserver. The suites that apply the manifests to a real
// apiserver (test/integration, test/e2e) use these helpers too.
package manifests

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

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// Dir returns <repo>/manifests/<sub>.
func Dir(t testing.TB, sub string) string {
	t.Helper()
	root, err := testbed.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "manifests", filepath.FromSlash(sub))
}

// KubectlBinary returns ./bin/kubectl (linked by hack/install-test-deps.sh), else the one on PATH.
func KubectlBinary(t testing.TB) string {
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

// Kubectl runs kubectl with args, feeding it stdin when not nil, and returns its stdout. Commands
// that talk to the apiserver must pass --kubeconfig themselves.
func Kubectl(t testing.TB, stdin []byte, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, KubectlBinary(t), args...)
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

// Kustomize renders dir with `kubectl kustomize`.
func Kustomize(t testing.TB, dir string) []*unstructured.Unstructured {
	t.Helper()
	return Parse(t, Kubectl(t, nil, "kustomize", dir))
}

// KustomizeOverlay renders a temporary kustomization whose resources are dirs and whose other
// fields are body (YAML, such as "namespace: x"). This is how tests move manifests into their own
// namespaces without editing them. kustomize only takes relative paths to other directories.
func KustomizeOverlay(t testing.TB, body string, dirs ...string) []*unstructured.Unstructured {
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
	return Kustomize(t, tmp)
}

// Parse splits a multi-document YAML stream into objects.
func Parse(t testing.TB, data []byte) []*unstructured.Unstructured {
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

// ToYAML joins objects into one YAML stream for kubectl.
func ToYAML(t testing.TB, objs []*unstructured.Unstructured) []byte {
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

// OfKind returns the objects of the given kinds, in order.
func OfKind(objs []*unstructured.Unstructured, kinds ...string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if slices.Contains(kinds, o.GetKind()) {
			out = append(out, o)
		}
	}
	return out
}

// Find returns the one object of kind and name, failing the test otherwise.
func Find(t testing.TB, objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
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

// Convert converts an unstructured object into a typed one (or back with ToUnstructured).
func Convert(t testing.TB, u *unstructured.Unstructured, into any) {
	t.Helper()
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, into); err != nil {
		t.Fatalf("converting %s %s: %v", u.GetKind(), u.GetName(), err)
	}
}

// ToUnstructured converts a typed object into an unstructured one.
func ToUnstructured(t testing.TB, obj any) *unstructured.Unstructured {
	t.Helper()
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		t.Fatal(err)
	}
	return &unstructured.Unstructured{Object: m}
}

// NamespacesOf returns every namespace the objects live in or create, sorted and unique.
func NamespacesOf(objs []*unstructured.Unstructured) []string {
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
