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
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"k8s.io/klog/v2"
)

// reconnectWait is the pause between reconnect attempts; nats.go adds jitter. A second keeps
// the time to recover from a server restart short without busy-looping while NATS is down.
const reconnectWait = time.Second

// connectNATS opens the binary's one NATS connection with the creds file, over TLS when
// opts.NatsTLS says so. It never gives up: with RetryOnFailedConnect the resolver starts while
// NATS is down and connects when it comes up, and MaxReconnects(-1) keeps a server restart from
// closing the connection for good. Every (re-)connection signals reconnects, without blocking, so
// the controller pushes everything again: a server may have restarted with an empty or outdated
// JWT directory meanwhile. state tracks why the connection is down, for /readyz.
func connectNATS(ctx context.Context, opts *Options, reconnects chan<- struct{}) (*nats.Conn, *natsState, error) {
	logger := klog.LoggerWithName(klog.FromContext(ctx), "nats")
	// nats.go reads the creds file on every connect and would retry a missing one forever;
	// a typo in the path should stop the binary at once instead.
	f, err := os.Open(opts.CredsFile)
	if err != nil {
		return nil, nil, fmt.Errorf("creds file: %w", err)
	}
	_ = f.Close()
	tlsOpts := opts.NatsTLS.natsOptions(opts.NatsURL)
	if len(tlsOpts) > 0 {
		logger.Info("TLS to NATS", opts.NatsTLS.logValues()...)
	}
	state := &natsState{logger: logger, reconnects: reconnects}
	natsOpts := append([]nats.Option{
		nats.Name(Component),
		nats.UserCredentials(opts.CredsFile),
		nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(true),
		nats.ReconnectWait(reconnectWait),
		nats.PingInterval(opts.NatsPingInterval),
		nats.MaxPingsOutstanding(2),
	}, append(tlsOpts, state.handlers()...)...)
	nc, err := nats.Connect(opts.NatsURL, natsOpts...)
	if err != nil {
		// Only configuration errors get here (an unreadable creds or TLS file, a malformed
		// URL): connection failures are retried in the background.
		return nil, nil, fmt.Errorf("connect to NATS: %w", err)
	}
	return nc, state, nil
}

// natsState remembers why the connection is down. nats.go reports a failed first connect and
// failed dials, but not a TLS handshake refused on a later reconnect: that one leaves the last
// error in place, and the connection simply stays down.
type natsState struct {
	logger     klog.Logger
	reconnects chan<- struct{}
	mu         sync.Mutex
	lastErr    error
}

// handlers returns the connection's callbacks.
func (s *natsState) handlers() []nats.Option {
	connected := func(what string) nats.ConnHandler {
		return func(nc *nats.Conn) {
			s.logger.Info(what, "server", nc.ConnectedServerName(), "url", nc.ConnectedUrlRedacted())
			s.setErr(nil)
			select {
			case s.reconnects <- struct{}{}:
			default: // a resync is already pending
			}
		}
	}
	return []nats.Option{
		nats.ConnectHandler(connected("Connected to NATS")),
		nats.ReconnectHandler(connected("Reconnected to NATS")),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			// A nil error is our own Close at shutdown.
			if err != nil {
				s.logger.Info("Disconnected from NATS", "err", err)
				s.setErr(err)
			}
		}),
		nats.ReconnectErrHandler(func(_ *nats.Conn, err error) {
			// Once per distinct error: a server that is down fails a dial every second.
			if s.setErr(err) {
				s.logger.Info("Cannot connect to NATS", "err", err)
			}
		}),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			s.logger.Error(err, "NATS asynchronous error")
		}),
	}
}

// setErr records err and reports whether its text differs from the one recorded before.
func (s *natsState) setErr(err error) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := fmt.Sprint(err) != fmt.Sprint(s.lastErr)
	s.lastErr = err
	return changed
}

// check is the NATS part of /readyz; it says why the connection is down when it knows.
func (s *natsState) check(nc *nats.Conn) error {
	if nc.IsConnected() {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastErr != nil {
		return fmt.Errorf("not connected to NATS: %w", s.lastErr)
	}
	return errors.New("not connected to NATS")
}
