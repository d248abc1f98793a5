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

// Package e2e runs the project's output as users do: the README's walkthroughs (the controller
// and the resolver on a real kube-apiserver and etcd, real nats-server and clients), and the
// proofs that what natsjwt signs is what a real nats-server enforces.
package e2e

import (
	"os"
	"testing"

	"github.com/natsauth/nats-auth-operator/test/testbed"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// controlPlane is shared by every walkthrough; each works in its own namespace, or in the fixed
// namespaces of manifests/examples, which applying again leaves as they are.
var controlPlane *testbed.ControlPlane

func TestMain(m *testing.M) { os.Exit(suite.Main(m, &controlPlane)) }
