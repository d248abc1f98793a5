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

// Package leader runs a function only while this process holds a Lease.
package leader

import (
	"context"
	"fmt"
	"os"
	"time"

	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/klog/v2"
)

// Config is the Lease and its timings.
type Config struct {
	Namespace, Name                           string
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	// OnStandby is called when another replica leads (for readiness reporting); optional.
	OnStandby func(leader string)
}

// Run blocks until ctx ends or leadership is lost. When ctx ends, run's context is cancelled and
// the Lease is released only after run returned, so no two replicas ever work at once. Losing the
// Lease returns an error at once, without waiting for run: the caller must end the process, and a
// restarted replica starts clean.
func Run(ctx context.Context, client kubernetes.Interface, cfg Config, run func(ctx context.Context) error) error {
	host, _ := os.Hostname()
	id := host + "_" + rand.String(8)
	logger := klog.FromContext(ctx)
	// The elector gets its own context: it must keep renewing, and release only after run is done.
	leCtx, cancelLE := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelLE()
	elected := make(chan context.Context, 1)
	le, err := newElector(client, cfg, id, elected, logger)
	if err != nil {
		return err
	}
	leDone := make(chan struct{})
	go func() { defer close(leDone); le.Run(leCtx) }()
	stopElector := func() {
		cancelLE()
		<-leDone
	}

	var leadership context.Context
	select {
	case leadership = <-elected:
	case <-ctx.Done():
		stopElector()
		return nil
	case <-leDone:
		return fmt.Errorf("leader election for %s/%s ended before this replica led", cfg.Namespace, cfg.Name)
	}
	logger.Info("Started leading", "identity", id)
	return lead(ctx, leadership, cfg, run, stopElector)
}

// lead runs run while this replica holds the Lease (leadership), and stops the elector, which
// releases the Lease, only once run returned.
func lead(ctx, leadership context.Context, cfg Config, run func(ctx context.Context) error, stopElector func()) error {
	workCtx, cancelWork := context.WithCancel(ctx)
	defer cancelWork()
	runDone := make(chan error, 1)
	go func() { runDone <- run(workCtx) }()
	select {
	case runErr := <-runDone:
		// ctx ended (or the work failed): the work has stopped, so the Lease may be released.
		stopElector()
		return runErr
	case <-leadership.Done():
	}
	// The Lease is lost while this process was meant to go on. Return at once instead of waiting
	// for the work to wind down (informers blocked on an unreachable apiserver took 10 s and more)
	// or for a release that cannot succeed: the caller exits, which stops every write now, and
	// another replica may take over as soon as the Lease expires anyway.
	if ctx.Err() == nil {
		return fmt.Errorf("lost the %s/%s lease", cfg.Namespace, cfg.Name)
	}
	cancelWork()
	runErr := <-runDone
	stopElector()
	return runErr
}

// newElector builds the elector of the Lease cfg names for identity id. It only hands the
// leadership context over to elected; the work runs in Run, where it can be waited for.
func newElector(client kubernetes.Interface, cfg Config, id string, elected chan<- context.Context, logger klog.Logger) (*leaderelection.LeaderElector, error) {
	le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock: &resourcelock.LeaseLock{
			LeaseMeta:  metav1ObjectMeta(cfg.Namespace, cfg.Name),
			Client:     client.CoordinationV1(),
			LockConfig: resourcelock.ResourceLockConfig{Identity: id},
		},
		LeaseDuration:   cfg.LeaseDuration,
		RenewDeadline:   cfg.RenewDeadline,
		RetryPeriod:     cfg.RetryPeriod,
		ReleaseOnCancel: true,
		Name:            cfg.Name,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(c context.Context) { elected <- c },
			OnStoppedLeading: func() { logger.Info("Stopped leading", "identity", id) },
			OnNewLeader: func(current string) {
				if current != id && cfg.OnStandby != nil {
					cfg.OnStandby(current)
				}
			},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("leader election: %w", err)
	}
	return le, nil
}
