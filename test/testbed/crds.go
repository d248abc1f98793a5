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

package testbed

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"
)

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// InstallCRDs server-side applies every CustomResourceDefinition in dir/*.yaml (multi-document
// files allowed) and waits until each is Established and its resources are served by discovery,
// so that clients and informers started next find them. It also waits out the 2s after
// Established during which the apiserver delays creates of the new kind. Re-applying is harmless.
func (cp *ControlPlane) InstallCRDs(t testing.TB, dir string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), startTimeout)
	defer cancel()
	began := time.Now()
	names, err := installCRDs(ctx, cp.cfg, dir)
	if err != nil {
		t.Fatalf("testbed: installing CRDs from %s: %v", dir, err)
	}
	t.Logf("testbed: installed %d CRDs %v in %s", len(names), names, time.Since(began).Round(time.Millisecond))
}

// installCRDs returns the names of the CRDs it applied.
func installCRDs(ctx context.Context, cfg *rest.Config, dir string) ([]string, error) {
	crds, err := readCRDs(dir)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	disco, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(crds))
	for _, crd := range crds {
		_, err := dyn.Resource(crdGVR).Apply(ctx, crd.GetName(), crd, metav1.ApplyOptions{FieldManager: "testbed", Force: true})
		if err != nil {
			return nil, fmt.Errorf("applying CRD %s: %w", crd.GetName(), err)
		}
		names = append(names, crd.GetName())
	}
	var lastEstablished time.Time
	for _, crd := range crds {
		established, err := waitCRDServed(ctx, dyn, disco, crd)
		if err != nil {
			return nil, err
		}
		if established.After(lastEstablished) {
			lastEstablished = established
		}
	}
	// The apiserver delays every create of a custom resource by 2s while its CRD has been
	// Established for less than 2s (customresource_handler.go, for HA caches to catch up).
	// Waiting that out here keeps the delay out of the tests' own timeouts.
	if wait := time.Until(lastEstablished.Add(crdCreateDelayWindow)); wait > 0 {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
	return names, nil
}

// crdCreateDelayWindow is how long after Established the apiserver still delays creates.
const crdCreateDelayWindow = 2 * time.Second

// readCRDs decodes the CRDs of all *.yaml files in dir, sorted by file name. Anything that is
// not a CRD is an error: applying arbitrary objects belongs elsewhere.
func readCRDs(dir string) ([]*unstructured.Unstructured, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no *.yaml files in %s", dir)
	}
	slices.Sort(files)
	var crds []*unstructured.Unstructured
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(raw)))
		for {
			doc, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			js, err := yaml.YAMLToJSON(doc)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			if string(bytes.TrimSpace(js)) == "null" {
				continue // an empty document, e.g. after a trailing "---"
			}
			u := &unstructured.Unstructured{}
			if err := u.UnmarshalJSON(js); err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			if gvk := u.GroupVersionKind(); gvk.Group != crdGVR.Group || gvk.Kind != "CustomResourceDefinition" {
				return nil, fmt.Errorf("%s: %s %q is not a CustomResourceDefinition", f, gvk, u.GetName())
			}
			// Generated manifests may carry an empty status, which has no place in an apply.
			unstructured.RemoveNestedField(u.Object, "status")
			crds = append(crds, u)
		}
	}
	return crds, nil
}

// waitCRDServed waits for Established=True and for every served version's resource to show
// up in discovery. It returns the Established condition's lastTransitionTime.
func waitCRDServed(ctx context.Context, dyn dynamic.Interface, disco discovery.DiscoveryInterface, crd *unstructured.Unstructured) (time.Time, error) {
	group, _, _ := unstructured.NestedString(crd.Object, "spec", "group")
	plural, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "plural")
	versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	var established time.Time
	err := poll(ctx, 50*time.Millisecond, func() (bool, error) {
		got, err := dyn.Resource(crdGVR).Get(ctx, crd.GetName(), metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		conds, _, _ := unstructured.NestedSlice(got.Object, "status", "conditions")
		for _, c := range conds {
			m, _ := c.(map[string]any)
			if m["type"] == "Established" && m["status"] == "True" {
				ltt, _ := m["lastTransitionTime"].(string)
				established, _ = time.Parse(time.RFC3339, ltt)
				return true, nil
			}
		}
		return false, fmt.Errorf("CRD %s is not Established yet", crd.GetName())
	})
	if err != nil {
		return established, err
	}
	for _, v := range versions {
		m, _ := v.(map[string]any)
		if served, _ := m["served"].(bool); !served {
			continue
		}
		gv := group + "/" + fmt.Sprint(m["name"])
		err := poll(ctx, 50*time.Millisecond, func() (bool, error) {
			list, err := disco.ServerResourcesForGroupVersion(gv)
			if err != nil {
				return false, err
			}
			for _, r := range list.APIResources {
				if r.Name == plural {
					return true, nil
				}
			}
			return false, fmt.Errorf("%s not in discovery for %s yet", plural, gv)
		})
		if err != nil {
			return established, fmt.Errorf("CRD %s: %w", crd.GetName(), err)
		}
	}
	return established, nil
}
