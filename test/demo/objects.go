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
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// builtinObjects stand in for manifests/examples when that directory is missing or --examples
// is "builtin". They use the examples' names, so the client check is the same either way.
const builtinObjects = `
apiVersion: v1
kind: Namespace
metadata: {name: nats}
---
apiVersion: v1
kind: Namespace
metadata: {name: apps}
---
apiVersion: natsauth.io/v1alpha1
kind: NatsOperator
metadata: {name: main, namespace: nats}
spec:
  resolver: {type: full, dir: /data/resolver, allowDelete: true, timeout: 1.9s}
---
apiVersion: natsauth.io/v1alpha1
kind: NatsAccount
metadata: {name: orders, namespace: nats}
spec:
  operatorRef: {name: main}
  allowedUserNamespaces: [apps]
---
apiVersion: natsauth.io/v1alpha1
kind: NatsUser
metadata: {name: api, namespace: apps}
spec:
  accountRef: {namespace: nats, name: orders}
  permissions:
    pub: {allow: ["orders.commands.*", "orders.api.>"]}
    sub: {allow: ["orders.api.>", "orders.events.>", "_INBOX.>"]}
`

// loadObjects returns the objects to apply, Namespaces first, and says where they came from.
func loadObjects(ctx context.Context, dir string) ([]*unstructured.Unstructured, string, error) {
	var (
		data   []byte
		source string
	)
	if _, err := os.Stat(filepath.Join(dir, "kustomization.yaml")); dir == "builtin" || err != nil {
		data, source = []byte(builtinObjects), "the demo's built-in objects"
	} else if data, err = renderKustomization(ctx, dir); err != nil {
		return nil, "", err
	} else {
		source = dir
	}
	objs, err := parseObjects(data)
	if err != nil {
		return nil, "", err
	}
	// Namespaced objects fail to apply before their Namespace exists.
	slices.SortStableFunc(objs, func(a, b *unstructured.Unstructured) int {
		return boolRank(a.GetKind() != "Namespace") - boolRank(b.GetKind() != "Namespace")
	})
	return objs, source, nil
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// renderKustomization renders dir with `kubectl kustomize`, as `kubectl apply -k` would. Without
// kubectl it reads the kustomization's plain resource files itself, and refuses anything more,
// rather than apply something other than what kustomize would.
func renderKustomization(ctx context.Context, dir string) ([]byte, error) {
	kubectl, err := testbed.BinPath("kubectl")
	if err != nil {
		kubectl, err = exec.LookPath("kubectl")
	}
	if err == nil {
		var stderr bytes.Buffer
		cmd := exec.CommandContext(ctx, kubectl, "kustomize", dir)
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("kubectl kustomize %s: %w: %s", dir, err, stderr.String())
		}
		return out, nil
	}
	raw, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		return nil, err
	}
	var k map[string]any
	if err := yaml.Unmarshal(raw, &k); err != nil {
		return nil, fmt.Errorf("%s/kustomization.yaml: %w", dir, err)
	}
	var b bytes.Buffer
	for field, v := range k {
		if field == "apiVersion" || field == "kind" {
			continue
		}
		list, ok := v.([]any)
		if field != "resources" || !ok {
			return nil, fmt.Errorf("%s/kustomization.yaml uses %q, which needs kubectl (not found) to render", dir, field)
		}
		for _, r := range list {
			doc, err := os.ReadFile(filepath.Join(dir, fmt.Sprint(r)))
			if err != nil {
				return nil, fmt.Errorf("resource %v (a directory or URL needs kubectl): %w", r, err)
			}
			b.WriteString("\n---\n")
			b.Write(doc)
		}
	}
	return b.Bytes(), nil
}

// parseObjects splits a multi-document YAML stream into objects, skipping empty documents.
func parseObjects(data []byte) ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, err
		}
		js, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, err
		}
		if s := strings.TrimSpace(string(js)); s == "null" || s == "{}" {
			continue
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(js); err != nil {
			return nil, err
		}
		objs = append(objs, u)
	}
}

// objectRef is how objects are named in output: Kind ns/name.
func objectRef(u *unstructured.Unstructured) string {
	if u.GetNamespace() == "" {
		return u.GetKind() + " " + u.GetName()
	}
	return u.GetKind() + " " + u.GetNamespace() + "/" + u.GetName()
}
