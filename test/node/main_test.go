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

package node

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// requireNode skips unless the gate is set; inside the child the cluster is running.
func requireNode(t *testing.T) *Cluster {
	t.Helper()
	if r := SkipReason(); r != "" {
		t.Skip(r)
	}
	if Current() == nil {
		t.Fatal("node: no cluster (TestMain did not start one)")
	}
	return Current()
}

func TestNodeReady(t *testing.T) {
	c := requireNode(t)
	if err := c.nodeReady(); err != nil {
		t.Fatal(err)
	}
}
