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
	"fmt"
	"net/http"

	"golang.org/x/sync/errgroup"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubeinformers "k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/natsauth/nats-auth-operator/cmd/internal/kube"
	"github.com/natsauth/nats-auth-operator/cmd/internal/leader"
	"github.com/natsauth/nats-auth-operator/cmd/internal/serve"
	"github.com/natsauth/nats-auth-operator/controllers/account"
	"github.com/natsauth/nats-auth-operator/controllers/controllerutil"
	"github.com/natsauth/nats-auth-operator/controllers/index"
	"github.com/natsauth/nats-auth-operator/controllers/metrics"
	"github.com/natsauth/nats-auth-operator/controllers/operator"
	"github.com/natsauth/nats-auth-operator/controllers/user"
	natsclientset "github.com/natsauth/nats-auth-operator/generated/clientset/versioned"
	natsinformers "github.com/natsauth/nats-auth-operator/generated/informers/externalversions"
)

// Component names the binary in events and the user agent.
const Component = "nats-auth-controller"

// Run runs the controller binary until ctx ends. With leader election only the Lease holder
// reconciles; the observability endpoints run on every replica.
func Run(ctx context.Context, opts *Options) error {
	logger := klog.FromContext(ctx)
	cfg, err := kube.RestConfig(opts.RestConfig, opts.Master, opts.Kubeconfig, float32(opts.KubeAPIQPS), opts.KubeAPIBurst, Component)
	if err != nil {
		return err
	}
	kubeClient, err := kubernetes.NewForConfig(kube.Protobuf(cfg))
	if err != nil {
		return fmt.Errorf("kubernetes client: %w", err)
	}
	natsClient, err := natsclientset.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("natsauth client: %w", err)
	}
	m := metrics.New()
	metrics.RegisterWorkqueueMetrics(m)

	listener, err := serve.Listen(opts.MetricsBindAddress)
	if err != nil {
		return fmt.Errorf("metrics listener: %w", err)
	}
	probeListener, err := serve.Listen(opts.HealthProbeBindAddress)
	if err != nil {
		return fmt.Errorf("health probe listener: %w", err)
	}
	ready := serve.NewReadiness("caches not synced")

	recorder, stopEvents, err := kube.EventRecorder(ctx, kubeClient, Component)
	if err != nil {
		return err
	}
	defer stopEvents()

	logger.Info("Starting", "workers", opts.Workers, "kubeAPIQPS", opts.KubeAPIQPS, "kubeAPIBurst", opts.KubeAPIBurst,
		"leaderElect", opts.LeaderElect)
	g, gctx := errgroup.WithContext(ctx)
	var extra []func(*http.ServeMux)
	if opts.Profiling {
		extra = append(extra, serve.Profiling)
	}
	g.Go(func() error { return serve.Run(gctx, listener, m.Registry, nil, nil, extra...) })
	g.Go(func() error { return serve.Run(gctx, probeListener, nil, nil, ready.Check) })
	g.Go(func() error {
		run := func(ctx context.Context) error {
			return runControllers(ctx, opts, kubeClient, natsClient, recorder, m, ready)
		}
		if !opts.LeaderElect {
			return run(gctx)
		}
		// A standby replica is healthy and ready to take over; it reports ready.
		return leader.Run(gctx, kubeClient, opts.Election.Config(func(string) { ready.Ready() }), run)
	})
	return g.Wait()
}

// runControllers builds the informers and the three controllers, starts the informers only
// after every handler is registered, and runs the controllers until ctx ends.
func runControllers(ctx context.Context, opts *Options, kubeClient kubernetes.Interface, natsClient natsclientset.Interface,
	recorder record.EventRecorder, m *metrics.Metrics, ready *serve.Readiness) error {
	natsFactory := natsinformers.NewSharedInformerFactoryWithOptions(natsClient, opts.ResyncPeriod,
		natsinformers.WithTransform(controllerutil.StripManagedFields))
	// Only our own Secrets: memory stays flat however many Secrets the cluster holds.
	secretFactory := kubeinformers.NewSharedInformerFactoryWithOptions(kubeClient, opts.ResyncPeriod,
		kubeinformers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = controllerutil.ManagedSelector }),
		kubeinformers.WithTransform(func(obj any) (any, error) {
			obj, _ = controllerutil.StripManagedFields(obj)
			return user.CompactCredsSecret(obj)
		}))
	deps := controllerutil.Deps{
		KubeClient: kubeClient, NatsClient: natsClient,
		Operators: natsFactory.Natsauth().V1alpha1().NatsOperators(),
		Accounts:  natsFactory.Natsauth().V1alpha1().NatsAccounts(),
		Users:     natsFactory.Natsauth().V1alpha1().NatsUsers(),
		Secrets:   secretFactory.Core().V1().Secrets(),
		Recorder:  recorder, Metrics: m, Clock: clock.RealClock{},
	}
	if err := deps.Accounts.Informer().AddIndexers(index.AccountIndexers()); err != nil {
		return fmt.Errorf("account indexers: %w", err)
	}
	if err := deps.Users.Informer().AddIndexers(index.UserIndexers()); err != nil {
		return fmt.Errorf("user indexers: %w", err)
	}
	opc, err := operator.NewController(deps)
	if err != nil {
		return err
	}
	accc, err := account.NewController(deps)
	if err != nil {
		return err
	}
	uc, err := user.NewController(deps)
	if err != nil {
		return err
	}
	natsFactory.Start(ctx.Done())
	secretFactory.Start(ctx.Done())
	defer natsFactory.Shutdown()
	defer secretFactory.Shutdown()

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return opc.Run(gctx, opts.Workers) })
	g.Go(func() error { return accc.Run(gctx, opts.Workers) })
	g.Go(func() error { return uc.Run(gctx, opts.Workers) })
	g.Go(func() error {
		// Ready once every informer has synced.
		for _, synced := range natsFactory.WaitForCacheSync(gctx.Done()) {
			if !synced {
				return nil
			}
		}
		for _, synced := range secretFactory.WaitForCacheSync(gctx.Done()) {
			if !synced {
				return nil
			}
		}
		ready.Ready()
		return nil
	})
	err = g.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
