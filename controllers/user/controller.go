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
// Package user reconciles NatsUser objects. See controllers/DESIGN.md for how it cooperates
// with the other controllers.
package user

import (
	"context"
	"time"

	"k8s.io/client-go/tools/cache"

	"github.com/natsauth/nats-auth-operator/controllers/controllerutil"
)

// ControllerName names the queue, the logger and the metrics of this controller.
const ControllerName = "user-controller"

// Controller reconciles NatsUsers.
type Controller struct {
	deps   controllerutil.Deps
	runner *controllerutil.Runner
}

// NewController registers the event handlers on the shared informers in deps.
func NewController(deps controllerutil.Deps) (*Controller, error) {
	if err := deps.Validate(); err != nil {
		return nil, err
	}
	c := &Controller{deps: deps}
	c.runner = &controllerutil.Runner{
		Name:            ControllerName,
		Queue:           controllerutil.NewQueue(ControllerName),
		Sync:            c.sync,
		MaxSyncDuration: 30 * time.Second,
	}
	// TODO(helper): register handlers and fill c.runner.CachesToSync.
	return c, nil
}

// Run processes the queue with workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) error { return c.runner.Run(ctx, workers) }

func (c *Controller) sync(ctx context.Context, key cache.ObjectName) error {
	return nil
}
