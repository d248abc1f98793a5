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
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"k8s.io/klog/v2"
)

// reconnectWait is the pause between reconnect attempts; nats.go adds jitter. A second keeps
// the time to recover from a server restart short without busy-looping while NATS is down.
const reconnectWait = time.Second

// connectNATS opens the binary's one NATS connection with the creds file. It never gives up:
// with RetryOnFailedConnect the resolver starts while NATS is down and connects when it comes
// up, and MaxReconnects(-1) keeps a server restart from closing the connection for good. Every
// (re-)connection signals reconnects, without blocking, so the controller pushes everything
// again: a server may have restarted with an empty or outdated JWT directory meanwhile.
func connectNATS(ctx context.Context, opts *Options, reconnects chan<- struct{}) (*nats.Conn, error) {
	logger := klog.LoggerWithName(klog.FromContext(ctx), "nats")
	// nats.go reads the creds file on every connect and would retry a missing one forever;
	// a typo in the path should stop the binary at once instead.
	f, err := os.Open(opts.CredsFile)
	if err != nil {
		return nil, fmt.Errorf("creds file: %w", err)
	}
	_ = f.Close()
	signal := func(what string) nats.ConnHandler {
		return func(nc *nats.Conn) {
			logger.Info(what, "server", nc.ConnectedServerName(), "url", nc.ConnectedUrlRedacted())
			select {
			case reconnects <- struct{}{}:
			default: // a resync is already pending
			}
		}
	}
	nc, err := nats.Connect(opts.NatsURL,
		nats.Name(Component),
		nats.UserCredentials(opts.CredsFile),
		nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(true),
		nats.ReconnectWait(reconnectWait),
		nats.PingInterval(opts.NatsPingInterval),
		nats.MaxPingsOutstanding(2),
		nats.ConnectHandler(signal("Connected to NATS")),
		nats.ReconnectHandler(signal("Reconnected to NATS")),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			// A nil error is our own Close at shutdown.
			if err != nil {
				logger.Info("Disconnected from NATS", "err", err)
			}
		}),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			logger.Error(err, "NATS asynchronous error")
		}),
	)
	if err != nil {
		// Only configuration errors get here (an unreadable creds file, a malformed URL):
		// connection failures are retried in the background.
		return nil, fmt.Errorf("connect to NATS: %w", err)
	}
	return nc, nil
}
