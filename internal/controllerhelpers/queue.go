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

package controllerhelpers

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

// NewQueue returns a named rate-limited queue with unlimited retries: per-item exponential backoff
// from 500ms to 5m (failures here mean an unavailable apiserver or nats-server, so retrying fast
// does not help, and recovery after an outage should take minutes, not the 16 of client-go's
// 1000s cap), and an overall bucket so a storm of failures cannot flood the apiserver. The name
// registers workqueue metrics.
func NewQueue(name string) workqueue.TypedRateLimitingInterface[cache.ObjectName] {
	limiter := workqueue.NewTypedMaxOfRateLimiter(
		workqueue.NewTypedItemExponentialFailureRateLimiter[cache.ObjectName](500*time.Millisecond, 5*time.Minute),
		&workqueue.TypedBucketRateLimiter[cache.ObjectName]{Limiter: rate.NewLimiter(rate.Limit(50), 500)},
	)
	return workqueue.NewTypedRateLimitingQueueWithConfig(limiter,
		workqueue.TypedRateLimitingQueueConfig[cache.ObjectName]{Name: name})
}

// SyncFunc reconciles one object.
type SyncFunc func(ctx context.Context, key cache.ObjectName) error

// SyncObserver is told about every sync's outcome; metrics implement it.
type SyncObserver interface {
	ObserveSync(controller string, d time.Duration, err error)
}

// Runner drives one controller's workers. Each controller package builds one in NewController.
type Runner struct {
	Name         string
	Queue        workqueue.TypedRateLimitingInterface[cache.ObjectName]
	Sync         SyncFunc
	CachesToSync []cache.InformerSynced
	Observer     SyncObserver // optional
	// MaxSyncDuration bounds one sync: controllers wait by requeueing, never by blocking.
	MaxSyncDuration time.Duration
}

// Run waits for the caches, starts workers and blocks until ctx ends and every worker returned.
func (r *Runner) Run(ctx context.Context, workers int) error {
	defer utilruntime.HandleCrashWithContext(ctx)
	logger := klog.LoggerWithName(klog.FromContext(ctx), r.Name)
	ctx = klog.NewContext(ctx, logger)

	var wg sync.WaitGroup
	defer func() {
		r.Queue.ShutDown()
		wg.Wait()
		logger.Info("Shut down controller")
	}()
	logger.Info("Starting controller", "workers", workers)
	if !cache.WaitForNamedCacheSyncWithContext(ctx, r.CachesToSync...) {
		return fmt.Errorf("wait for %s caches to sync: %w", r.Name, ctx.Err())
	}
	for range workers {
		wg.Go(func() { wait.UntilWithContext(ctx, r.runWorker, time.Second) })
	}
	<-ctx.Done()
	return nil
}

func (r *Runner) runWorker(ctx context.Context) {
	for r.processNextWorkItem(ctx) {
	}
}

func (r *Runner) processNextWorkItem(ctx context.Context) bool {
	key, quit := r.Queue.Get()
	if quit {
		return false
	}
	defer r.Queue.Done(key)

	syncCtx := ctx
	if r.MaxSyncDuration > 0 {
		var cancel context.CancelFunc
		syncCtx, cancel = context.WithTimeout(ctx, r.MaxSyncDuration)
		defer cancel()
	}
	start := time.Now()
	err := r.Sync(syncCtx, key)
	if r.Observer != nil {
		r.Observer.ObserveSync(r.Name, time.Since(start), err)
	}
	r.handleResult(ctx, key, err)
	return true
}

func (r *Runner) handleResult(ctx context.Context, key cache.ObjectName, err error) {
	logger := klog.FromContext(ctx)
	switch {
	case err == nil:
		r.Queue.Forget(key)
		return
	case IsTerminal(err):
		// Reported as a condition and an event inside sync; only a spec change can help.
		r.Queue.Forget(key)
		logger.V(2).Info("Not retrying until the object changes", "key", key, "reason", err.Error())
		return
	}
	if rq, ok := AsRequeue(err); ok {
		logger.V(2).Info("Requeueing", "key", key, "reason", rq.Reason)
		if rq.After > 0 {
			r.Queue.Forget(key)
			r.Queue.AddAfter(key, rq.After)
			return
		}
	} else if apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) {
		logger.V(2).Info("Requeueing after a stale cache", "key", key, "reason", err.Error())
	} else {
		utilruntime.HandleErrorWithContext(ctx, err, "Syncing failed; requeueing", "key", key)
	}
	r.Queue.AddRateLimited(key)
}
