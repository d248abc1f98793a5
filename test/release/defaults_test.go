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

// Package release checks, without a cluster, what a user installing the released manifests and
// image relies on: pinned image references, and listen addresses that match the binaries.
package release

import (
	"testing"

	controllerapp "github.com/natsauth/nats-auth-operator/cmd/controller/app"
	resolverapp "github.com/natsauth/nats-auth-operator/cmd/resolver/app"
)

// TestBinaryDefaultAddressesDiffer: the controller and the resolver started with their defaults
// on one host must not both listen on one port (the README runs them side by side).
func TestBinaryDefaultAddressesDiffer(t *testing.T) {
	c, r := controllerapp.NewOptions(), resolverapp.NewOptions()
	seen := map[string]string{}
	for _, a := range []struct{ binary, flag, addr string }{
		{"controller", "metrics", c.MetricsBindAddress},
		{"controller", "probes", c.HealthProbeBindAddress},
		{"resolver", "metrics", r.MetricsBindAddress},
		{"resolver", "probes", r.HealthProbeBindAddress},
	} {
		who := a.binary + " " + a.flag
		if other, dup := seen[a.addr]; dup {
			t.Errorf("%s and %s both default to %s", other, who, a.addr)
		}
		seen[a.addr] = who
	}
}
