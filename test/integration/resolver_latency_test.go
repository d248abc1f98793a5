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

package integration

import (
	"fmt"
	"os"
	"slices"
	"testing"
	"time"
)

// resolverBenchEnv enables the latency measurements, which take a minute and only print numbers.
const resolverBenchEnv = "NATSAUTH_RESOLVER_BENCH"

// TestResolverUserDeletionLatency measures, over 20 trials on a three-server cluster, the time
// from deleting a NatsUser to the last of its three clients (one per server) being
// disconnected: the user and account controllers revoke the key, the resolver pushes the
// account JWT, the servers close the clients. It prints the median, 90th percentile and
// maximum. Set NATSAUTH_RESOLVER_BENCH=1 to run it.
func TestResolverUserDeletionLatency(t *testing.T) {
	if os.Getenv(resolverBenchEnv) == "" {
		t.Skipf("set %s=1 to measure", resolverBenchEnv)
	}
	const trials = 20
	e := newResolverEnv(t, 3, nil)
	e.startResolver()
	e.createAccount("orders")
	e.waitFullyPushed("orders")
	var took []time.Duration
	for i := range trials {
		name := fmt.Sprintf("user-%02d", i)
		creds := e.createUser(name, "orders")
		closed := make([]<-chan struct{}, len(e.servers))
		for j, s := range e.servers {
			_, closed[j] = resolverConnectUser(t, s, creds)
		}
		took = append(took, deleteUserUntilDisconnected(t, e, name, closed))
	}
	slices.Sort(took)
	t.Logf("NatsUser delete → 3 of 3 clients disconnected, %d trials: median %s, p90 %s, max %s, min %s", trials,
		took[trials/2].Round(time.Millisecond), took[trials*9/10].Round(time.Millisecond),
		took[trials-1].Round(time.Millisecond), took[0].Round(time.Millisecond))
}
