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
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/natsauth/nats-auth-operator/cmd/internal/kube"
	"github.com/natsauth/nats-auth-operator/cmd/internal/leader"
	"github.com/natsauth/nats-auth-operator/cmd/internal/serve"
	"github.com/natsauth/nats-auth-operator/controllers/account"
	"github.com/natsauth/nats-auth-operator/controllers/controllerutil"
	"github.com/natsauth/nats-auth-operator/controllers/credscache"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/controllers/operator"
	"github.com/natsauth/nats-auth-operator/controllers/user"
	natsclientset "github.com/natsauth/nats-auth-operator/generated/clientset/versioned"
	natsinformers "github.com/natsauth/nats-auth-operator/generated/informers/externalversions"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
	"github.com/natsauth/nats-auth-operator/internal/metrics"
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
	kubeClient, natsClient, err := kube.Clients(cfg, true)
	if err != nil {
		return err
	}
	m := metrics.New()
	metrics.RegisterWorkqueueMetrics(m)

	listener, probeListener, err := serve.ListenBoth(opts.MetricsBindAddress, opts.HealthProbeBindAddress)
	if err != nil {
		return err
	}
	ready := serve.NewReadiness("caches not synced")

	recorder, stopEvents, err := kube.EventRecorder(ctx, kubeClient, Component)
	if err != nil {
		return err
	}
	defer stopEvents()
	informerClient, err := kube.TolerantNatsClient(cfg, logger, recorder)
	if err != nil {
		return err
	}
	// The informers are added by runControllers, which runs once this replica leads.
	deps := controllerutil.Deps{KubeClient: kubeClient, NatsClient: natsClient, Recorder: recorder,
		Metrics: m, IssueMetrics: controllerutil.NewIssueMetrics(m), Clock: clock.RealClock{}}

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
		run := func(ctx context.Context) error { return runControllers(ctx, opts, deps, informerClient, ready) }
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
func runControllers(ctx context.Context, opts *Options, deps controllerutil.Deps, informerClient natsclientset.Interface, ready *serve.Readiness) error {
	natsFactory, secretFactory, err := newInformers(opts, &deps, informerClient)
	if err != nil {
		return err
	}
	provided := deps.Provided
	runners, unregister, err := newControllers(deps, account.Config{ServerDeleteTimeout: opts.AccountServerDeleteTimeout, MaxJWTSize: opts.AccountMaxJWTSize,
		RotationGracePeriod: opts.AccountRotationGracePeriod})
	if err != nil {
		return err
	}
	defer unregister()
	natsFactory.Start(ctx.Done())
	secretFactory.Start(ctx.Done())
	provided.Start(ctx)
	defer natsFactory.Shutdown()
	defer secretFactory.Shutdown()

	g, gctx := errgroup.WithContext(ctx)
	for _, r := range runners {
		g.Go(func() error { return r.Run(gctx, opts.Workers) })
	}
	g.Go(func() error {
		// Ready once every informer has synced.
		if cache.WaitForCacheSync(gctx.Done(), deps.Operators.Informer().HasSynced, deps.Accounts.Informer().HasSynced,
			deps.Users.Informer().HasSynced, deps.Secrets.Informer().HasSynced, provided.HasSynced) {
			ready.Ready()
		}
		return nil
	})
	err = g.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// newInformers builds the informer factories and the ProvidedSecrets cache, and fills deps'
// informers with them; nothing is started yet.
func newInformers(opts *Options, deps *controllerutil.Deps, informerClient natsclientset.Interface) (
	natsinformers.SharedInformerFactory, kubeinformers.SharedInformerFactory, error) {
	// Informers list through informerClient, which drops (and reports) objects that do not decode
	// instead of failing the list of their whole kind; writes go through deps.NatsClient. The
	// transforms drop managedFields (and, from the natsauth.io kinds, which are written only
	// through status and patches, kubectl's last-applied-configuration) and intern the strings
	// and label sets cached objects share (controllerhelpers.CompactMeta, user.CompactUser): a
	// cached user and its Secret are most of the controller's memory.
	natsFactory := natsinformers.NewSharedInformerFactoryWithOptions(informerClient, opts.ResyncPeriod,
		natsinformers.WithTransform(func(obj any) (any, error) {
			obj, _ = controllerhelpers.DropLastApplied(obj)
			obj, _ = controllerhelpers.CompactMeta(obj)
			return user.CompactUser(obj)
		}))
	// Only our own Secrets: memory stays flat however many Secrets the cluster holds. The
	// transform changes what all three controllers see of every Secret (one shared cache):
	// managedFields are dropped and shared strings interned, and creds Secrets keep only their
	// seed, their JWT's claims and the digest of their data (credscache.Compact: most of what
	// the cache held per user). The user controller compares data only by that digest, always
	// writes whole data and GETs a Secret whose JWT it must verify or keep; the account
	// controller reads only the claims, labels and finalizers of creds Secrets; the operator
	// controller and the KeyStore read key and server-config Secrets, which keep their data.
	// Code that needs a creds file or a user JWT must GET the Secret.
	secretFactory := kubeinformers.NewSharedInformerFactoryWithOptions(deps.KubeClient, opts.ResyncPeriod,
		kubeinformers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = naming.ManagedSelector }),
		kubeinformers.WithTransform(func(obj any) (any, error) {
			obj, _ = controllerhelpers.CompactMeta(obj)
			return credscache.Compact(obj)
		}))
	deps.Operators = natsFactory.Natsauth().V1alpha1().NatsOperators()
	deps.Accounts = natsFactory.Natsauth().V1alpha1().NatsAccounts()
	deps.Users = natsFactory.Natsauth().V1alpha1().NatsUsers()
	deps.Secrets = secretFactory.Core().V1().Secrets()
	// The user's Secrets that adopted objects name, each watched alone by name
	// (controllerutil.ProvidedSecrets): never labelled, so outside secretFactory's selector.
	provided, err := controllerutil.NewProvidedSecrets(deps.KubeClient, deps.Operators, deps.Accounts)
	if err != nil {
		return nil, nil, err
	}
	deps.Provided = provided
	return natsFactory, secretFactory, nil
}

// registerStateMetrics serves the gauges computed from deps' informers until unregister. They
// read the caches this replica runs on, so a replica that stops leading drops them rather than
// serve a cache that no longer moves.
func registerStateMetrics(deps controllerutil.Deps, maxJWTSize int) (unregister func(), err error) {
	if deps.Metrics == nil {
		return func() {}, nil
	}
	state := controllerutil.NewStateCollector(deps, maxJWTSize)
	if err := deps.Metrics.Registry.Register(state); err != nil {
		return nil, fmt.Errorf("register state metrics: %w", err)
	}
	return func() { deps.Metrics.Registry.Unregister(state) }, nil
}

// controllerRunner is what runControllers runs of each controller.
type controllerRunner interface {
	Run(ctx context.Context, workers int) error
}

// newControllers registers the shared indexes and builds the three controllers on deps'
// informers, which must not have started yet, and registers the gauges read from those
// informers (registerStateMetrics) until unregister.
func newControllers(deps controllerutil.Deps, accountCfg account.Config) (_ []controllerRunner, unregister func(), err error) {
	if err := deps.Accounts.Informer().AddIndexers(naming.AccountIndexers()); err != nil {
		return nil, nil, fmt.Errorf("account indexers: %w", err)
	}
	if err := deps.Users.Informer().AddIndexers(naming.UserIndexers()); err != nil {
		return nil, nil, fmt.Errorf("user indexers: %w", err)
	}
	if err := deps.Secrets.Informer().AddIndexers(naming.SecretIndexers()); err != nil {
		return nil, nil, fmt.Errorf("secret indexers: %w", err)
	}
	opc, err := operator.NewController(deps)
	if err != nil {
		return nil, nil, err
	}
	accc, err := account.NewController(deps, accountCfg)
	if err != nil {
		return nil, nil, err
	}
	uc, err := user.NewController(deps)
	if err != nil {
		return nil, nil, err
	}
	if unregister, err = registerStateMetrics(deps, accountCfg.JWTSizeLimit()); err != nil {
		return nil, nil, err
	}
	return []controllerRunner{opc, accc, uc}, unregister, nil
}
