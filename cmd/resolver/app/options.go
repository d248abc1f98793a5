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

// Package app wires the resolver binary: flags, the NATS connection, clients, informers, the
// resolver controller, leader election, metrics and health endpoints. main calls Run;
// integration tests call it in-process.
package app

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/natsauth/nats-auth-operator/cmd/internal/leader"
	"github.com/natsauth/nats-auth-operator/resolver"
)

// Environment variables that supply flags left unset, as the NATS tools use them.
const (
	EnvNatsURL   = "NATS_URL"
	EnvCredsFile = "NATS_CREDS_FILE"
)

// DefaultNatsPingInterval detects a server that froze or was partitioned away within about
// three intervals. nats.go's own default (2 minutes, so 4 to 6 minutes until a reconnect) would
// hold every push for that long, because pushes to all servers go through the one connection.
const DefaultNatsPingInterval = 10 * time.Second

// DefaultWorkers pushes a few accounts at once: a push is one request and a few milliseconds
// of waiting, and a sequential backlog after a reconnect would delay the newest change.
const DefaultWorkers = 4

// The resolver's default listen addresses: next to the controller's :8080 and :8081, so both
// binaries run side by side on one host with their defaults.
const (
	DefaultMetricsBindAddress     = ":8082"
	DefaultHealthProbeBindAddress = ":8083"
)

// Options are the resolver binary's settings.
type Options struct {
	Kubeconfig string
	Master     string
	// Operator is the NatsOperator, as namespace/name, whose accounts are pushed.
	Operator  string
	NatsURL   string
	CredsFile string
	// NatsTLS configures TLS and mutual TLS to the servers.
	NatsTLS NatsTLS
	Workers int

	leader.Election

	MetricsBindAddress     string
	HealthProbeBindAddress string

	DriftInterval time.Duration
	PushTimeout   time.Duration
	// NatsPingInterval is how often the connection is checked; after two unanswered pings it
	// counts as broken and the client reconnects to another server.
	NatsPingInterval time.Duration
	ServerRetention  time.Duration
	ResyncPeriod     time.Duration
	// DeleteOrphanAccounts deletes accounts no NatsAccount holds, when the operator allows deletes.
	DeleteOrphanAccounts bool

	// RestConfig, when set (tests), is used instead of Kubeconfig/in-cluster config.
	RestConfig *rest.Config
}

// NewOptions returns the defaults, with the NATS URL and creds file taken from the environment.
func NewOptions() *Options {
	url := os.Getenv(EnvNatsURL)
	if url == "" {
		url = nats.DefaultURL
	}
	return &Options{
		NatsURL:                url,
		CredsFile:              os.Getenv(EnvCredsFile),
		Workers:                DefaultWorkers,
		Election:               leader.NewElection("nats-auth-resolver"),
		MetricsBindAddress:     DefaultMetricsBindAddress,
		HealthProbeBindAddress: DefaultHealthProbeBindAddress,
		DriftInterval:          resolver.DefaultDriftInterval,
		PushTimeout:            resolver.DefaultPushTimeout,
		NatsPingInterval:       DefaultNatsPingInterval,
		ServerRetention:        resolver.DefaultServerRetention,
		// Correctness never depends on the informer resync; the drift check covers the servers.
		ResyncPeriod: 10 * time.Hour,
	}
}

// AddFlags registers the options on fs.
func (o *Options) AddFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig, "Path to a kubeconfig; empty means in-cluster configuration.")
	fs.StringVar(&o.Master, "master", o.Master, "The address of the Kubernetes API server (overrides the kubeconfig).")
	fs.StringVar(&o.Operator, "operator", o.Operator, "The NatsOperator whose accounts are pushed, as namespace/name (required).")
	fs.StringVar(&o.NatsURL, "nats-url", o.NatsURL, "NATS server URLs, comma-separated (default from $"+EnvNatsURL+").")
	fs.StringVar(&o.CredsFile, "creds", o.CredsFile, "Creds file of a system-account user, such as the operator's <name>-resolver-creds Secret (default from $"+EnvCredsFile+").")
	o.NatsTLS.addFlags(fs)
	fs.IntVar(&o.Workers, "workers", o.Workers, "Accounts pushed concurrently.")
	o.Election.AddFlags(fs, "pushes")
	fs.StringVar(&o.MetricsBindAddress, "metrics-bind-address", o.MetricsBindAddress, "Address of the Prometheus /metrics endpoint; 0 disables it.")
	fs.StringVar(&o.HealthProbeBindAddress, "health-probe-bind-address", o.HealthProbeBindAddress, "Address of /healthz and /readyz; 0 disables it.")
	fs.DurationVar(&o.DriftInterval, "drift-interval", o.DriftInterval, "How often every server's stored accounts are listed and missing ones pushed again.")
	fs.DurationVar(&o.PushTimeout, "push-timeout", o.PushTimeout, "How long a push waits for every server to acknowledge.")
	fs.DurationVar(&o.NatsPingInterval, "nats-ping-interval", o.NatsPingInterval, "How often the NATS connection is pinged; two unanswered pings mean the server is gone and the resolver reconnects to another one.")
	fs.BoolVar(&o.DeleteOrphanAccounts, "delete-orphan-accounts", o.DeleteOrphanAccounts, "Delete accounts on the servers that no NatsAccount holds, when the operator's spec.resolver.allowDelete is set and a delete request the controller signed for the account is known; without it they are only reported.")
	fs.DurationVar(&o.ServerRetention, "server-retention", o.ServerRetention, "How long a server that stopped answering is still expected (and reported missing) before it counts as removed.")
}

// Validate reports options that cannot work.
func (o *Options) Validate() error {
	var errs []error
	if _, err := o.OperatorRef(); err != nil {
		errs = append(errs, err)
	}
	if o.NatsURL == "" {
		errs = append(errs, errors.New("--nats-url (or $"+EnvNatsURL+") is required"))
	}
	if o.CredsFile == "" {
		errs = append(errs, errors.New("--creds (or $"+EnvCredsFile+") is required: the resolver connects as a system-account user"))
	}
	if err := o.NatsTLS.validate(); err != nil {
		errs = append(errs, err)
	}
	if o.Workers < 1 {
		errs = append(errs, errors.New("--workers must be at least 1"))
	}
	if o.DriftInterval <= 0 || o.PushTimeout <= 0 || o.ServerRetention <= 0 || o.NatsPingInterval <= 0 {
		errs = append(errs, errors.New("--drift-interval, --push-timeout, --server-retention and --nats-ping-interval must be positive"))
	}
	if err := o.Election.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// OperatorRef parses --operator.
func (o *Options) OperatorRef() (cache.ObjectName, error) {
	ns, name, ok := strings.Cut(o.Operator, "/")
	if !ok || len(validation.IsDNS1123Label(ns)) > 0 || len(validation.IsDNS1123Subdomain(name)) > 0 {
		return cache.ObjectName{}, fmt.Errorf("--operator must be namespace/name, got %q", o.Operator)
	}
	return cache.ObjectName{Namespace: ns, Name: name}, nil
}
