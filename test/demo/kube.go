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
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
)

// fieldManager owns what the demo applies, like kubectl's own field manager would.
const fieldManager = "nats-auth-demo"

// readyTimeout bounds the wait for the example objects; they are Ready within seconds.
const readyTimeout = 60 * time.Second

// natsauthKinds are the kinds whose Ready condition the demo waits for.
var natsauthKinds = map[string]bool{"NatsOperator": true, "NatsAccount": true, "NatsUser": true}

// applyExamples server-side applies the example objects, as `kubectl apply --server-side -k`
// would, and waits until every NatsOperator, NatsAccount and NatsUser among them is Ready.
func (d *demo) applyExamples(ctx context.Context) error {
	objs, source, err := loadObjects(ctx, d.opts.ExamplesDir)
	if err != nil {
		return err
	}
	cfg := d.cp.Config()
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	disco, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return err
	}
	// The CRDs are installed and served already, so one discovery pass maps every kind.
	groups, err := restmapper.GetAPIGroupResources(disco)
	if err != nil {
		return err
	}
	mapper := restmapper.NewDiscoveryRESTMapper(groups)
	resources := make([]dynamic.ResourceInterface, len(objs))
	d.logf("applying %d objects from %s", len(objs), source)
	for i, o := range objs {
		gvk := o.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			return fmt.Errorf("%s: %w", objectRef(o), err)
		}
		resources[i] = dyn.Resource(m.Resource)
		if m.Scope.Name() == meta.RESTScopeNameNamespace {
			if o.GetNamespace() == "" {
				o.SetNamespace("default")
			}
			resources[i] = dyn.Resource(m.Resource).Namespace(o.GetNamespace())
		}
		if _, err := resources[i].Apply(ctx, o.GetName(), o, metav1.ApplyOptions{FieldManager: fieldManager, Force: true}); err != nil {
			return fmt.Errorf("applying %s: %w", objectRef(o), err)
		}
		d.logf("  applied %s", objectRef(o))
		if o.GetKind() == "NatsOperator" && d.operatorName == "" {
			d.operatorNS, d.operatorName = o.GetNamespace(), o.GetName()
		}
	}
	if d.operatorName == "" {
		return errors.New("the objects hold no NatsOperator")
	}

	began := time.Now()
	waitCtx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	pending, n := map[int]string{}, 0
	for {
		clear(pending)
		n = 0
		for i, o := range objs {
			if !natsauthKinds[o.GetKind()] {
				continue
			}
			n++
			if why := notReady(waitCtx, resources[i], o); why != "" {
				pending[i] = objectRef(o) + ": " + why
			}
		}
		if len(pending) == 0 {
			break
		}
		select {
		case <-waitCtx.Done():
			var lines []string
			for _, why := range pending {
				lines = append(lines, why)
			}
			return fmt.Errorf("%w after %s:\n  %s", errNotReady, readyTimeout, strings.Join(lines, "\n  "))
		case <-time.After(200 * time.Millisecond):
		}
	}
	d.logf("all %d NatsOperators, NatsAccounts and NatsUsers are Ready (%s after the apply)", n, time.Since(began).Round(time.Millisecond))
	return nil
}

// notReady returns why o is not Ready for its current generation, or "" when it is.
func notReady(ctx context.Context, ri dynamic.ResourceInterface, o *unstructured.Unstructured) string {
	cur, err := ri.Get(ctx, o.GetName(), metav1.GetOptions{})
	if err != nil {
		return err.Error()
	}
	observed, _, _ := unstructured.NestedInt64(cur.Object, "status", "observedGeneration")
	conds, _, _ := unstructured.NestedSlice(cur.Object, "status", "conditions")
	for _, c := range conds {
		cm, _ := c.(map[string]any)
		if cm["type"] != "Ready" {
			continue
		}
		if cm["status"] == "True" && observed == cur.GetGeneration() {
			return ""
		}
		return fmt.Sprintf("Ready=%v %v: %v", cm["status"], cm["reason"], cm["message"])
	}
	return "no Ready condition yet"
}
