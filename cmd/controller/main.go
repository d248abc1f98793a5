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

// Command controller issues NATS operator, account and user JWTs from NatsOperator, NatsAccount
// and NatsUser objects.
package main

import (
	"context"
	"flag"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"k8s.io/klog/v2"

	"github.com/natsauth/nats-auth-operator/cmd/controller/app"
)

var version = "dev"

// defaultGCPercent replaces Go's GOGC=100 unless GOGC is set. Almost all of the controller's
// heap is its informer caches, which live as long as the process; with GOGC=100 the heap may
// grow to twice them before a collection. At 10,000 users (69 MiB live) that was 200 MiB of
// RSS; 50 keeps it near one and a half times the caches, for a little more CPU in GC (measured
// in BENCHMARKS.md), which the controller has to spare: the apiserver is its bottleneck.
const defaultGCPercent = 50

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
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
	klog.InfoS("nats-auth-controller", "version", version)
	if err := app.Run(ctx, opts); err != nil {
		klog.ErrorS(err, "Exiting")
		klog.FlushAndExit(klog.ExitFlushTimeout, 1)
	}
	klog.Flush()
}
