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

// Command resolver keeps the account JWTs of one NatsOperator's nats-servers current: it pushes
// every NatsAccount's JWT to $SYS.REQ.CLAIMS.UPDATE, records the outcome in the account's
// Pushed condition, answers account lookups and repairs servers that lost accounts.
package main

import (
	"context"
	"flag"
	"os"
	"os/signal"
	"syscall"

	"k8s.io/klog/v2"

	"github.com/natsauth/nats-auth-operator/cmd/resolver/app"
)

var version = "dev"

func main() {
	klog.InitFlags(nil)
	opts := app.NewOptions()
	opts.AddFlags(flag.CommandLine)
	flag.Parse()
	if err := opts.Validate(); err != nil {
		klog.ErrorS(err, "Invalid options")
		klog.FlushAndExit(klog.ExitFlushTimeout, 2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	klog.InfoS(app.Component, "version", version)
	if err := app.Run(ctx, opts); err != nil {
		klog.ErrorS(err, "Exiting")
		klog.FlushAndExit(klog.ExitFlushTimeout, 1)
	}
	klog.Flush()
}
