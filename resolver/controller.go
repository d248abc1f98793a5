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

package resolver

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	natsclientset "github.com/natsauth/nats-auth-operator/generated/clientset/versioned"
	natsinformers "github.com/natsauth/nats-auth-operator/generated/informers/externalversions/natsauth/v1alpha1"
	natslisters "github.com/natsauth/nats-auth-operator/generated/listers/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
	"github.com/natsauth/nats-auth-operator/internal/metrics"
	"github.com/natsauth/nats-auth-operator/resolver/natssys"
)

// Defaults for the Config durations left zero.
const (
	// DefaultPushTimeout bounds one push: replies take milliseconds, so waiting longer only
	// delays the report of a server that is down.
	DefaultPushTimeout = 5 * time.Second
	// DefaultDriftInterval is how often servers are listed for missing accounts.
	DefaultDriftInterval = time.Minute
	// DefaultServerTTL is how long a ping answer is reused by pushes.
	DefaultServerTTL = 5 * time.Second
	// DefaultServerRetention is how long a server that stopped answering is still expected,
	// and so reported missing, before it counts as scaled away.
	DefaultServerRetention = 10 * time.Minute
)

// publicKeyIndex indexes NatsAccounts by status.publicKey, for lookups.
const publicKeyIndex = "resolver.natsauth.io/public-key"

// Config is what the controller is built from. The informers are typed and should be scoped
// to the operator's namespace; the controller filters the objects of its operator itself.
type Config struct {
	NatsClient natsclientset.Interface
	// Operator is the NatsOperator whose accounts this controller pushes.
	Operator  cache.ObjectName
	Operators natsinformers.NatsOperatorInformer
	Accounts  natsinformers.NatsAccountInformer
	NATS      NATS
	// Reconnects delivers a value whenever the NATS connection is (re-)established; optional.
	Reconnects <-chan struct{}
	Recorder   record.EventRecorder
	Metrics    *metrics.Metrics // optional
	Resolver   *Metrics         // optional
	Clock      clock.PassiveClock

	PushTimeout, DriftInterval, ServerTTL, ServerRetention time.Duration
	// DeleteOrphanAccounts opts in to deleting orphan accounts (see checkOrphans).
	DeleteOrphanAccounts bool
}

// Controller pushes the account JWTs of one operator to its nats-servers.
type Controller struct {
	client         natsclientset.Interface
	operator       cache.ObjectName
	operators      natslisters.NatsOperatorLister
	accounts       natslisters.NatsAccountLister
	accountIndexer cache.Indexer
	nats           NATS
	reconnects     <-chan struct{}
	recorder       record.EventRecorder
	metrics        *Metrics
	clock          clock.PassiveClock

	pushTimeout, driftInterval time.Duration
	servers                    *serverSet
	state                      *pushState
	// driftNow asks the drift loop for an immediate check.
	driftNow chan struct{}
	// refreshServers asks for a ping in the background.
	refreshServers chan struct{}
	orphans        *orphanTracker
	// staleStreaks counts, per account public key, the drift checks in a row that found a
	// server storing another JWT of it (trackStale). Only the drift loop touches it.
	staleStreaks map[string]int

	queue  workqueue.TypedRateLimitingInterface[cache.ObjectName]
	runner *controllerhelpers.Runner
}

// NewController registers the event handlers and the public-key index on the informers in cfg;
// call it before the informers start.
func NewController(cfg Config) (*Controller, error) {
	if cfg.NatsClient == nil || cfg.Operators == nil || cfg.Accounts == nil || cfg.NATS == nil ||
		cfg.Recorder == nil || cfg.Clock == nil || cfg.Operator.Name == "" {
		return nil, errors.New("resolver controller configuration is incomplete")
	}
	c := &Controller{
		client: cfg.NatsClient, operator: cfg.Operator, nats: cfg.NATS, reconnects: cfg.Reconnects,
		operators: cfg.Operators.Lister(), accounts: cfg.Accounts.Lister(), accountIndexer: cfg.Accounts.Informer().GetIndexer(),
		recorder: cfg.Recorder, metrics: cfg.Resolver, clock: cfg.Clock,
		pushTimeout: orDefault(cfg.PushTimeout, DefaultPushTimeout), driftInterval: orDefault(cfg.DriftInterval, DefaultDriftInterval),
		state: newPushState(), orphans: newOrphanTracker(cfg.DeleteOrphanAccounts), staleStreaks: map[string]int{}, driftNow: make(chan struct{}, 1), refreshServers: make(chan struct{}, 1), queue: controllerhelpers.NewQueue(ControllerName),
	}
	c.servers = newServerSet(c.pingServers, cfg.Clock, orDefault(cfg.ServerTTL, DefaultServerTTL),
		orDefault(cfg.ServerRetention, DefaultServerRetention))
	c.runner = &controllerhelpers.Runner{Name: ControllerName, Queue: c.queue, Sync: c.sync,
		// A push waits at most pushTimeout and the ping it may need about as long; the rest is
		// for the status write.
		MaxSyncDuration: 2*c.pushTimeout + 20*time.Second, Observer: controllerhelpers.MetricsObserver(cfg.Metrics)}
	if err := cfg.Accounts.Informer().AddIndexers(cache.Indexers{publicKeyIndex: indexByPublicKey}); err != nil {
		return nil, fmt.Errorf("add %s index: %w", ControllerName, err)
	}
	regs := []struct {
		informer cache.SharedIndexInformer
		handler  cache.ResourceEventHandlerFuncs
	}{
		{cfg.Accounts.Informer(), controllerhelpers.MapHandler(c.queue, c.accountKey)},
		{cfg.Operators.Informer(), controllerhelpers.MapHandler(c.queue, c.accountsOfOperator)},
	}
	for _, r := range regs {
		reg, err := r.informer.AddEventHandler(r.handler)
		if err != nil {
			return nil, fmt.Errorf("add %s event handler: %w", ControllerName, err)
		}
		c.runner.CachesToSync = append(c.runner.CachesToSync, reg.HasSynced)
	}
	return c, nil
}

// Run waits for the caches, then pushes with workers, serves lookups and checks for drift until
// ctx ends. It returns after every goroutine it started has returned.
func (c *Controller) Run(ctx context.Context, workers int) error {
	logger := klog.LoggerWithName(klog.FromContext(ctx), ControllerName)
	ctx = klog.NewContext(ctx, logger)
	if !cache.WaitForNamedCacheSyncWithContext(ctx, c.runner.CachesToSync...) {
		return fmt.Errorf("wait for %s caches to sync: %w", ControllerName, ctx.Err())
	}
	var wg sync.WaitGroup
	wg.Go(func() { wait.UntilWithContext(ctx, c.serveLookups, time.Second) })
	wg.Go(func() { c.runDrift(ctx) })
	wg.Go(func() { c.watchReconnects(ctx) })
	wg.Go(func() { c.runServerRefresh(ctx) })
	wg.Go(func() { c.runRolledCheck(ctx) })
	err := c.runner.Run(ctx, workers)
	wg.Wait()
	return err
}

// pingServers bounds a ping like a push, so a sync never waits on it for longer.
func (c *Controller) pingServers(ctx context.Context) ([]natssys.ServerInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, c.pushTimeout)
	defer cancel()
	return c.nats.Servers(ctx)
}

// watchReconnects re-pushes every account after the NATS connection came back: a server that
// restarted meanwhile may have lost its JWT directory, or kept one that missed updates.
func (c *Controller) watchReconnects(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.reconnects:
		}
		klog.FromContext(ctx).Info("NATS connection established; re-pushing every account")
		c.servers.invalidate()
		c.forceAll(ctx, ResyncReconnect)
		c.triggerDrift()
	}
}

// triggerDrift asks for a drift check without waiting for the interval.
func (c *Controller) triggerDrift() {
	select {
	case c.driftNow <- struct{}{}:
	default:
	}
}

// forceAll queues every account of the operator and marks those with a push on record for
// another one. Accounts without a record are pushed by their next sync anyway, so marking
// them would only push twice: at start, when the first connect and the informers' first
// events queue every account at the same time. It returns how many accounts it queued.
func (c *Controller) forceAll(ctx context.Context, reason string) int {
	accs, err := c.accounts.NatsAccounts(c.operator.Namespace).List(labels.Everything())
	if err != nil {
		utilruntime.HandleErrorWithContext(ctx, err, "Listing accounts to re-push")
		return 0
	}
	n := 0
	for _, acc := range accs {
		if c.ownsAccount(acc) {
			key := cache.ObjectName{Namespace: acc.Namespace, Name: acc.Name}
			if _, pushed := c.state.lookup(key); pushed {
				c.state.force(key)
			}
			c.queue.Add(key)
			n++
		}
	}
	if c.metrics != nil {
		c.metrics.Resyncs.WithLabelValues(reason).Inc()
	}
	klog.FromContext(ctx).V(2).Info("Re-pushing every account", "reason", reason, "accounts", n)
	return n
}

// ownsAccount reports whether acc belongs to this controller's operator.
func (c *Controller) ownsAccount(acc *natsv1alpha1.NatsAccount) bool {
	return acc.Namespace == c.operator.Namespace && acc.Spec.OperatorRef.Name == c.operator.Name
}

// accountKey maps an account event to its key when the account is one of the operator's.
func (c *Controller) accountKey(obj any) []cache.ObjectName {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	acc, ok := obj.(*natsv1alpha1.NatsAccount)
	if !ok || !c.ownsAccount(acc) {
		return nil
	}
	return []cache.ObjectName{{Namespace: acc.Namespace, Name: acc.Name}}
}

// accountsOfOperator maps an event of the operator to all its accounts: a change of its signing
// keys or resolver type changes what may be pushed.
func (c *Controller) accountsOfOperator(obj any) []cache.ObjectName {
	key, ok := controllerhelpers.ObjectName(obj)
	if !ok || key != c.operator {
		return nil
	}
	accs, err := c.accounts.NatsAccounts(c.operator.Namespace).List(labels.Everything())
	if err != nil {
		return nil
	}
	var keys []cache.ObjectName
	for _, acc := range accs {
		keys = append(keys, c.accountKey(acc)...)
	}
	return keys
}

// indexByPublicKey indexes an account by its public key.
func indexByPublicKey(obj any) ([]string, error) {
	acc, ok := obj.(*natsv1alpha1.NatsAccount)
	if !ok || acc.Status.PublicKey == "" {
		return nil, nil
	}
	return []string{acc.Status.PublicKey}, nil
}

// orDefault returns d unless it is zero or negative.
func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
