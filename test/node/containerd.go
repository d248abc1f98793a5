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
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// PauseImage is the sandbox image containerd is configured with; hack/install-node-deps.sh
// builds bin/pause under this name (keep the two in step).
const PauseImage = "registry.k8s.io/pause:3.10.1"

// containerdConfig: own root, state and socket, cgroupfs (runc's default), overlayfs, netns
// mounts under the state dir (so they are below the temp dir), and restrict_oom_score_adj,
// because root here lacks CAP_SYS_RESOURCE and every sandbox would fail without it.
const containerdConfig = `version = 2
root = "%[1]s/root"
state = "%[1]s/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "%[1]s/containerd.sock"
[ttrpc]
  address = "%[1]s/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "%[1]s/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "%[2]s"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "%[3]s"
`

// cniConfig: one bridge with host-local addresses; the gateway is the bridge's address in the
// node's namespace, where the DNAT rules for the kubernetes Service apply.
const cniConfig = `{
  "cniVersion": "0.4.0",
  "name": "natsauth-node",
  "plugins": [{
    "type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
    "ipam": {"type": "host-local", "dataDir": "%s", "ranges": [[{"subnet": "%s"}]], "routes": [{"dst": "0.0.0.0/0"}]}
  }]
}
`

// startContainerd writes the configs, starts containerd and waits for its socket to answer.
func (c *Cluster) startContainerd() error {
	dir := filepath.Join(c.dir, "containerd")
	cniDir := filepath.Join(c.dir, "cni")
	if err := os.MkdirAll(filepath.Join(cniDir, "net.d"), 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cfg := fmt.Sprintf(containerdConfig, dir, PauseImage, filepath.Join(cniDir, "net.d"))
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(cfg), 0o644); err != nil {
		return err
	}
	cni := fmt.Sprintf(cniConfig, filepath.Join(cniDir, "ipam"), c.podCIDR)
	if err := os.WriteFile(filepath.Join(cniDir, "net.d", "10-natsauth.conflist"), []byte(cni), 0o644); err != nil {
		return err
	}
	c.ctrSock = filepath.Join(dir, "containerd.sock")
	p, err := testbed.StartProcess(testbed.ProcessOptions{Name: "containerd", Path: "containerd",
		Args: []string{"--config", filepath.Join(dir, "config.toml")}, LogPath: filepath.Join(c.dir, "containerd.log")})
	if err != nil {
		return err
	}
	c.containerd = p
	return c.waitFor("containerd", 30*time.Second, func() error {
		if !p.Running() {
			return fmt.Errorf("containerd %w:\n%s", errExited, p.LogTail(30))
		}
		_, err := c.ctr("version")
		return err
	})
}

// ctr runs ctr against this node's containerd in the CRI's namespace.
func (c *Cluster) ctr(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ctr", append([]string{"--address", c.ctrSock, "-n", "k8s.io"}, args...)...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("ctr %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// ImportImage imports a docker-archive (make image's, or bin/pause) into the node's containerd.
func (c *Cluster) ImportImage(tar string) error {
	_, err := c.ctr("image", "import", tar)
	return err
}

// runningTasks lists the containerd tasks (containers and sandboxes) that still run.
func (c *Cluster) runningTasks() []string {
	out, err := c.ctr("tasks", "ls")
	if err != nil {
		return nil
	}
	var ids []string
	for _, l := range strings.Split(out, "\n")[1:] {
		if f := strings.Fields(l); len(f) >= 3 && f[2] != "STOPPED" {
			ids = append(ids, f[0])
		}
	}
	return ids
}

// killTasks stops what the kubelet did not: SIGKILL, then delete the tasks and containers.
func (c *Cluster) killTasks() {
	for _, id := range c.runningTasks() {
		_, _ = c.ctr("tasks", "kill", "-s", "SIGKILL", id)
	}
	out, _ := c.ctr("containers", "ls", "-q")
	for _, id := range strings.Fields(out) {
		_, _ = c.ctr("tasks", "delete", "-f", id)
		_, _ = c.ctr("containers", "delete", id)
	}
}
