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

// Package operator reconciles NatsOperator objects: the operator keys, the system account and
// resolver user, the operator JWT and the rendered nats-server configuration. See
// controllers/DESIGN.md for how it cooperates with the other controllers.
package operator

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/controllerutil"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	natslisters "github.com/natsauth/nats-auth-operator/generated/listers/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
	corelisters "k8s.io/client-go/listers/core/v1"
)

// ControllerName names the queue, the logger and the metrics of this controller.
const ControllerName = "operator-controller"

// Controller reconciles NatsOperators.
type Controller struct {
	deps      controllerutil.Deps
	operators natslisters.NatsOperatorLister
	accounts  natslisters.NatsAccountLister
	// accountIndexer finds an operator's accounts (memory resolver preloads).
	accountIndexer cache.Indexer
	users          natslisters.NatsUserLister
	secrets        corelisters.SecretLister
	keys           *controllerutil.KeyStore
	runner         *controllerhelpers.Runner
}

// NewController registers the event handlers on the shared informers in deps.
func NewController(deps controllerutil.Deps) (*Controller, error) {
	if err := deps.Validate(); err != nil {
		return nil, err
	}
	c := &Controller{
		deps:           deps,
		operators:      deps.Operators.Lister(),
		accounts:       deps.Accounts.Lister(),
		accountIndexer: deps.Accounts.Informer().GetIndexer(),
		users:          deps.Users.Lister(),
		secrets:        deps.Secrets.Lister(),
		keys:           &controllerutil.KeyStore{Client: deps.KubeClient, Lister: deps.Secrets.Lister(), FieldManager: controllerutil.FieldManager},
	}
	queue := controllerhelpers.NewQueue(ControllerName)
	c.runner = &controllerhelpers.Runner{
		Name: ControllerName, Queue: queue, Sync: c.sync, MaxSyncDuration: 30 * time.Second,
		Observer: controllerhelpers.MetricsObserver(deps.Metrics),
	}
	regs := []struct {
		informer cache.SharedIndexInformer
		handler  cache.ResourceEventHandlerFuncs
	}{
		{deps.Operators.Informer(), controllerhelpers.EnqueueHandler(queue)},
		{deps.Accounts.Informer(), controllerhelpers.MapHandler(queue, operatorOfAccount)},
		{deps.Users.Informer(), controllerhelpers.MapHandler(queue, operatorOwning)},
		{deps.Secrets.Informer(), controllerhelpers.MapHandler(queue, operatorOfSecret)},
	}
	for _, r := range regs {
		reg, err := r.informer.AddEventHandler(r.handler)
		if err != nil {
			return nil, fmt.Errorf("add %s event handler: %w", ControllerName, err)
		}
		c.runner.CachesToSync = append(c.runner.CachesToSync, reg.HasSynced)
	}
	// An operator's provided Secrets (keysSecretRef, external) re-queue it.
	deps.Provided.AddHandler(controllerutil.EnqueueHolders(queue, controllerutil.Self(controllerutil.HolderOperator), nil))
	c.runner.CachesToSync = append(c.runner.CachesToSync, deps.Provided.HasSynced)
	return c, nil
}

// Run processes the queue with workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) error { return c.runner.Run(ctx, workers) }

// operatorOfAccount re-queues the operator of an account: the system account's key and JWT go
// into the operator JWT and auth.conf, and with the memory resolver every account is preloaded.
func operatorOfAccount(obj any) []cache.ObjectName {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	a, ok := obj.(*natsv1alpha1.NatsAccount)
	if !ok {
		return nil
	}
	return []cache.ObjectName{{Namespace: a.Namespace, Name: a.Spec.OperatorRef.Name}}
}

// operatorOwning re-queues the operator that controls obj (the resolver user and system account).
func operatorOwning(obj any) []cache.ObjectName {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	m, ok := obj.(metav1.Object)
	if !ok {
		return nil
	}
	ref := metav1.GetControllerOf(m)
	if ref == nil || ref.Kind != "NatsOperator" || ref.APIVersion != natsv1alpha1.SchemeGroupVersion.String() {
		return nil
	}
	return []cache.ObjectName{{Namespace: m.GetNamespace(), Name: ref.Name}}
}

// operatorOfSecret re-queues the operator whose key or server-config Secret changed.
func operatorOfSecret(obj any) []cache.ObjectName {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	s, ok := obj.(*corev1.Secret)
	if !ok {
		return nil
	}
	name := s.Labels[naming.LabelOperator]
	if name == "" {
		return nil
	}
	return []cache.ObjectName{{Namespace: s.Namespace, Name: name}}
}
