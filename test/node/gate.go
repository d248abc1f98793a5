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
	"fmt"
	"os"
	"runtime"
)

// Environment variables of the gate and of the supervisor-to-child hand-over.
const (
	// GateEnv must be 1 for anything here to run.
	GateEnv = "NATSAUTH_NODE_E2E"
	// envNetns, envDir and envNodeIP tell the re-executed child that it runs inside the network
	// namespace, and where.
	envNetns  = "NATSAUTH_NODE_NETNS"
	envDir    = "NATSAUTH_NODE_DIR"
	envNodeIP = "NATSAUTH_NODE_IP"
	// ImageTarEnv names the image archive (make image's docker-archive) to import; the
	// supervisor builds it with `make image` when unset.
	ImageTarEnv = "NATSAUTH_NODE_IMAGE_TAR"
	// VersionEnv is the image's tag (make image's VERSION).
	VersionEnv = "NATSAUTH_NODE_VERSION"
)

// SkipReason returns why the node tests cannot run here, or "" when they are asked for and can.
func SkipReason() string {
	switch {
	case os.Getenv(GateEnv) != "1":
		return fmt.Sprintf("the single-node Kubernetes e2e tests run only with %s=1 (make test-node)", GateEnv)
	case runtime.GOOS != "linux":
		return "the node test bed needs Linux"
	case os.Geteuid() != 0:
		return "the node test bed needs root (network namespace, mounts, cgroups)"
	}
	return ""
}

// inChild reports whether this process is the child running inside the network namespace.
func inChild() bool { return os.Getenv(envNetns) != "" }
