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

package leader

import (
	"errors"
	"flag"
	"os"
	"time"
)

// Election holds the leader election settings both binaries expose; each embeds them in its own
// Options so the flags, defaults and checks are written once.
type Election struct {
	LeaderElect             bool
	LeaderElectionNamespace string
	LeaderElectionID        string
	LeaseDuration           time.Duration
	RenewDeadline           time.Duration
	RetryPeriod             time.Duration
}

// NewElection returns the defaults for a Lease named id in $POD_NAMESPACE (else
// nats-auth-operator), with client-go's usual timings.
func NewElection(id string) Election {
	ns := os.Getenv("POD_NAMESPACE")
	if ns == "" {
		ns = "nats-auth-operator"
	}
	return Election{
		LeaderElectionNamespace: ns,
		LeaderElectionID:        id,
		LeaseDuration:           15 * time.Second,
		RenewDeadline:           10 * time.Second,
		RetryPeriod:             2 * time.Second,
	}
}

// AddFlags registers --leader-elect and the Lease's namespace and name; what says what only one
// replica does ("reconciles", "pushes").
func (o *Election) AddFlags(fs *flag.FlagSet, what string) {
	fs.BoolVar(&o.LeaderElect, "leader-elect", o.LeaderElect, "Hold a Lease so that only one replica "+what+".")
	fs.StringVar(&o.LeaderElectionNamespace, "leader-election-namespace", o.LeaderElectionNamespace, "Namespace of the leader election Lease.")
	fs.StringVar(&o.LeaderElectionID, "leader-election-id", o.LeaderElectionID, "Name of the leader election Lease.")
}

// Validate reports settings that cannot elect a leader.
func (o *Election) Validate() error {
	if o.LeaderElect && (o.LeaderElectionNamespace == "" || o.LeaderElectionID == "") {
		return errors.New("--leader-elect needs --leader-election-namespace and --leader-election-id")
	}
	return nil
}

// Config is the Lease configuration of these options; onStandby may be nil.
func (o *Election) Config(onStandby func(leader string)) Config {
	return Config{Namespace: o.LeaderElectionNamespace, Name: o.LeaderElectionID,
		LeaseDuration: o.LeaseDuration, RenewDeadline: o.RenewDeadline, RetryPeriod: o.RetryPeriod, OnStandby: onStandby}
}
