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

// Package node runs a real single-node Kubernetes on this machine for end-to-end tests: etcd and
// kube-apiserver (test/testbed's control plane), kube-controller-manager, kube-scheduler,
// containerd and a kubelet, all inside one private network namespace, so that the project's
// image and manifests run as Pods the way a user runs them.
//
// Nothing runs unless asked: tests skip unless NATSAUTH_NODE_E2E=1 and the process is root (it
// creates a network namespace, mounts, cgroups and iptables rules). Main then supervises: it
// creates the namespace and a veth with the node IP, re-executes the test binary inside it with
// `nsenter --net` (not `ip netns exec`, which would also give it a mount namespace that containerd
// could not see the kubelet's volume mounts through), and after that child exits, however it
// exits, removes every process, mount, cgroup, the namespace and the temp dir, and restores the
// host sysctls the kubelet changes. hack/install-node-deps.sh installs what it needs.
package node
