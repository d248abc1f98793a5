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

package app

import (
	"context"
	"errors"

	"golang.org/x/sync/errgroup"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/natsauth/nats-auth-operator/cmd/internal/kube"
	"github.com/natsauth/nats-auth-operator/cmd/internal/leader"
	"github.com/natsauth/nats-auth-operator/cmd/internal/serve"
	natsclientset "github.com/natsauth/nats-auth-operator/generated/clientset/versioned"
	natsinformers "github.com/natsauth/nats-auth-operator/generated/informers/externalversions"
	"github.com/natsauth/nats-auth-operator/internal/metrics"
	"github.com/natsauth/nats-auth-operator/resolver"
)

// Component names the binary in events, the user agent and the NATS connection.
const Component = "nats-auth-resolver"

// The resolver writes at most one status per push; client-go's 5 QPS would still make the
// first pass over a thousand accounts take minutes.
const (
	kubeAPIQPS   = 50
	kubeAPIBurst = 100
)

// Run runs the resolver binary until ctx ends. The NATS connection and the observability
// endpoints run on every replica; with leader election only the Lease holder pushes and
// answers lookups.
func Run(ctx context.Context, opts *Options) error {
	logger := klog.FromContext(ctx)
	operatorRef, err := opts.OperatorRef()
	if err != nil {
		return err
	}
	cfg, kubeClient, natsClient, err := newClients(opts)
	if err != nil {
		return err
	}
	m := metrics.New()
	metrics.RegisterWorkqueueMetrics(m)
	rm := resolver.NewMetrics(m)

	listener, probeListener, err := serve.ListenBoth(opts.MetricsBindAddress, opts.HealthProbeBindAddress)
	if err != nil {
		return err
	}
	recorder, stopEvents, err := kube.EventRecorder(ctx, kubeClient, Component)
	if err != nil {
		return err
	}
	defer stopEvents()
	informerClient, err := kube.TolerantNatsClient(cfg, logger, recorder)
	if err != nil {
		return err
	}

	reconnects := make(chan struct{}, 1)
	nc, natsState, err := connectNATS(ctx, opts, reconnects)
	if err != nil {
		return err
	}
	defer nc.Close()
	cachesReady := serve.NewReadiness("caches not synced")
	readyz := func() error {
		if err := natsState.check(nc); err != nil {
			return err
		}
		return cachesReady.Check()
	}

	logger.Info("Starting", "operator", klog.KRef(operatorRef.Namespace, operatorRef.Name), "workers", opts.Workers,
		"driftInterval", opts.DriftInterval, "pushTimeout", opts.PushTimeout, "leaderElect", opts.LeaderElect)
	deps := runDeps{opts: opts, operator: operatorRef, natsClient: natsClient, informerClient: informerClient, nats: resolver.NewNATS(nc),
		reconnects: reconnects, recorder: recorder, metrics: m, resolverMetrics: rm, ready: cachesReady}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return serve.Run(gctx, listener, m.Registry, nil, nil) })
	g.Go(func() error { return serve.Run(gctx, probeListener, nil, nil, readyz) })
	g.Go(func() error {
		if !opts.LeaderElect {
			return deps.run(gctx)
		}
		// A standby replica is ready to take over as long as it reaches NATS.
		return leader.Run(gctx, kubeClient, opts.Election.Config(func(string) { cachesReady.Ready() }), deps.run)
	})
	return g.Wait()
}

// newClients builds the client configuration and the Kubernetes and natsauth clients.
func newClients(opts *Options) (*rest.Config, kubernetes.Interface, natsclientset.Interface, error) {
	cfg, err := kube.RestConfig(opts.RestConfig, opts.Master, opts.Kubeconfig, kubeAPIQPS, kubeAPIBurst, Component)
	if err != nil {
		return nil, nil, nil, err
	}
	kubeClient, natsClient, err := kube.Clients(cfg, false)
	return cfg, kubeClient, natsClient, err
}

// runDeps is what the leading replica needs.
type runDeps struct {
	opts            *Options
	operator        cache.ObjectName
	natsClient      natsclientset.Interface
	informerClient  natsclientset.Interface // lists tolerantly (kube.TolerantNatsClient)
	nats            resolver.NATS
	reconnects      <-chan struct{}
	recorder        record.EventRecorder
	metrics         *metrics.Metrics
	resolverMetrics *resolver.Metrics
	ready           *serve.Readiness
}

// run builds the informers of the operator's namespace and the controller, starts the informers
// only after the handlers are registered, and runs the controller until ctx ends.
func (d runDeps) run(ctx context.Context) error {
	accountFactory := natsinformers.NewSharedInformerFactoryWithOptions(d.informerClient, d.opts.ResyncPeriod,
		natsinformers.WithNamespace(d.operator.Namespace))
	// The one operator only: its status holds the trusted signing keys.
	operatorFactory := natsinformers.NewSharedInformerFactoryWithOptions(d.informerClient, d.opts.ResyncPeriod,
		natsinformers.WithNamespace(d.operator.Namespace),
		natsinformers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", d.operator.Name).String()
		}))
	c, err := resolver.NewController(resolver.Config{
		NatsClient: d.natsClient, Operator: d.operator,
		Operators: operatorFactory.Natsauth().V1alpha1().NatsOperators(),
		Accounts:  accountFactory.Natsauth().V1alpha1().NatsAccounts(),
		NATS:      d.nats, Reconnects: d.reconnects, Recorder: d.recorder,
		Metrics: d.metrics, Resolver: d.resolverMetrics, Clock: clock.RealClock{},
		PushTimeout: d.opts.PushTimeout, DriftInterval: d.opts.DriftInterval, ServerRetention: d.opts.ServerRetention,
		DeleteOrphanAccounts: d.opts.DeleteOrphanAccounts,
	})
	if err != nil {
		return err
	}
	accountFactory.Start(ctx.Done())
	operatorFactory.Start(ctx.Done())
	defer accountFactory.Shutdown()
	defer operatorFactory.Shutdown()

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return c.Run(gctx, d.opts.Workers) })
	g.Go(func() error {
		for _, f := range []natsinformers.SharedInformerFactory{accountFactory, operatorFactory} {
			for _, synced := range f.WaitForCacheSync(gctx.Done()) {
				if !synced {
					return nil
				}
			}
		}
		d.ready.Ready()
		return nil
	})
	err = g.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
