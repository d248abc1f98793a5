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

// Package app wires the controller binary: flags, clients, informers, controllers, leader
// election, metrics and health endpoints. main calls Run; integration tests call it in-process.
package app

import (
	"errors"
	"flag"
	"time"

	"k8s.io/client-go/rest"

	"github.com/natsauth/nats-auth-operator/cmd/internal/leader"
)

// Defaults from `make bench` (BENCHMARKS.md, "Choosing the defaults"), measured when a new user
// cost three writes (two now); client-go's 5 QPS / 10 burst would make 1,000 users take minutes. On the benchmark's
// apiserver, writes saturate at about 450/s: 300 QPS leaves the controller bucket-bound (38 s for
// 3,000 users), 500 reaches the apiserver's limit (29 s), 1,000 gains nothing more there. A real
// apiserver has more room, and its priority and fairness protects it from a busy client. Workers
// do not limit convergence at these rates (8 and 32 measured the same); 16 leaves headroom for
// clusters with a slower round trip, since a sync makes writes in a row.
const (
	DefaultWorkers      = 16
	DefaultKubeAPIQPS   = 500
	DefaultKubeAPIBurst = 1000
)

// The controller's default listen addresses. The resolver uses :8082 and :8083, so both binaries
// run side by side on one host with their defaults.
const (
	DefaultMetricsBindAddress     = ":8080"
	DefaultHealthProbeBindAddress = ":8081"
)

// Options are the controller binary's settings.
type Options struct {
	Kubeconfig   string
	Master       string
	Workers      int
	KubeAPIQPS   float64
	KubeAPIBurst int
	leader.Election
	MetricsBindAddress string
	// Profiling serves /debug/pprof on the metrics address.
	Profiling              bool
	HealthProbeBindAddress string
	ResyncPeriod           time.Duration

	// RestConfig, when set (tests), is used instead of Kubeconfig/in-cluster config.
	RestConfig *rest.Config
	// AccountServerDeleteTimeout, when set (tests), replaces account.DefaultServerDeleteTimeout;
	// it has no flag.
	AccountServerDeleteTimeout time.Duration
	// AccountMaxJWTSize (--account-max-jwt-size), when set, replaces account.DefaultMaxJWTSize,
	// the account JWT size the JWTSizeNearLimit condition warns at three quarters of: servers
	// with a smaller max_payload need it to be warned in time.
	AccountMaxJWTSize int
	// AccountRotationGracePeriod, when set (tests), replaces account.DefaultRotationGracePeriod
	// for signing-key rotations whose spec sets no gracePeriod.
	AccountRotationGracePeriod time.Duration
}

// NewOptions returns the defaults.
func NewOptions() *Options {
	return &Options{
		Workers:                DefaultWorkers,
		KubeAPIQPS:             DefaultKubeAPIQPS,
		KubeAPIBurst:           DefaultKubeAPIBurst,
		Election:               leader.NewElection("nats-auth-controller"),
		MetricsBindAddress:     DefaultMetricsBindAddress,
		HealthProbeBindAddress: DefaultHealthProbeBindAddress,
		// A long resync: correctness never depends on it; it only re-checks external drift.
		ResyncPeriod: 10 * time.Hour,
	}
}

// AddFlags registers the options on fs.
func (o *Options) AddFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig, "Path to a kubeconfig; empty means in-cluster configuration.")
	fs.StringVar(&o.Master, "master", o.Master, "The address of the Kubernetes API server (overrides the kubeconfig).")
	fs.IntVar(&o.Workers, "workers", o.Workers, "Concurrent syncs per kind.")
	fs.Float64Var(&o.KubeAPIQPS, "kube-api-qps", o.KubeAPIQPS, "Queries per second to the Kubernetes API.")
	fs.IntVar(&o.KubeAPIBurst, "kube-api-burst", o.KubeAPIBurst, "Burst of queries to the Kubernetes API.")
	o.Election.AddFlags(fs, "reconciles")
	fs.StringVar(&o.MetricsBindAddress, "metrics-bind-address", o.MetricsBindAddress, "Address of the Prometheus /metrics endpoint; 0 disables it.")
	fs.BoolVar(&o.Profiling, "profiling", o.Profiling, "Serve Go's /debug/pprof on the metrics address (for investigations; off in production).")
	fs.StringVar(&o.HealthProbeBindAddress, "health-probe-bind-address", o.HealthProbeBindAddress, "Address of /healthz and /readyz; 0 disables it.")
	fs.IntVar(&o.AccountMaxJWTSize, "account-max-jwt-size", o.AccountMaxJWTSize,
		"The nats-servers' max_payload in bytes, when smaller than the default 1 MiB: accounts warn (JWTSizeNearLimit) at three quarters of it. 0 means 1 MiB, the most it can be.")
}

// Validate reports options that cannot work.
func (o *Options) Validate() error {
	var errs []error
	if o.Workers < 1 {
		errs = append(errs, errors.New("--workers must be at least 1"))
	}
	if o.AccountMaxJWTSize < 0 {
		errs = append(errs, errors.New("--account-max-jwt-size must not be negative"))
	}
	if o.KubeAPIQPS <= 0 || o.KubeAPIBurst < 1 {
		errs = append(errs, errors.New("--kube-api-qps and --kube-api-burst must be positive"))
	}
	if err := o.Election.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
