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
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// ServiceIP is the kubernetes Service's ClusterIP (the first address of testbed's
// --service-cluster-ip-range); two DNAT rules stand in for kube-proxy.
const ServiceIP = "10.0.0.1"

// NodeName is the name the kubelet registers.
const NodeName = "natsauth-node"

// Options configures Start; the supervisor passes them through the environment.
type Options struct {
	Dir    string // everything of the run lives below it
	NodeIP string // the veth address inside the namespace
	Netns  string // the namespace's name, to check that we really are inside it
}

// Cluster is the running node and its control plane.
type Cluster struct {
	CP      *testbed.ControlPlane
	Client  kubernetes.Interface
	dir     string
	nodeIP  string
	podCIDR string
	ctrSock string

	containerd, kcm, scheduler, kubelet *testbed.Process
}

// Start starts every component in order and waits for the node to be Ready. On failure it
// stops what it started; the supervisor removes the rest.
func Start(o Options) (_ *Cluster, err error) {
	if err := checkInNetns(o.Netns); err != nil {
		return nil, err
	}
	c := &Cluster{dir: o.Dir, nodeIP: o.NodeIP}
	c.podCIDR = strings.Replace(strings.TrimSuffix(o.NodeIP, ".1")+".0/24", "10.250.", "10.251.", 1)
	defer func() {
		if err != nil {
			c.Stop()
		}
	}()
	began := time.Now()
	// Pods need ServiceAccount tokens: the admission plugin and kube-controller-manager run.
	if c.CP, err = testbed.StartControlPlaneMain(testbed.ControlPlaneOptions{ServiceAccountAdmission: true, ExtraAPIServerFlags: []string{
		// Pods reach it through the DNAT to the node IP; the namespace has no other interface.
		"--bind-address=0.0.0.0",
		"--kubelet-preferred-address-types=InternalIP",
	}}); err != nil {
		return nil, err
	}
	c.Client = c.CP.KubeClient()
	steps := []struct {
		name string
		fn   func() error
	}{
		{"service DNAT", c.addServiceDNAT}, {"containerd", c.startContainerd}, {"pause image", c.importPause},
		{"kube-controller-manager", c.startControllerManager}, {"kube-scheduler", c.startScheduler},
		{"kubelet", c.startKubelet},
	}
	for _, s := range steps {
		t := time.Now()
		if err := s.fn(); err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		logf("node: %s ready in %s", s.name, time.Since(t).Round(time.Millisecond))
	}
	logf("node: cluster ready in %s (logs in %s)", time.Since(began).Round(time.Millisecond), c.dir)
	return c, nil
}

// checkInNetns refuses to touch iptables unless this process is in the namespace (same inode).
func checkInNetns(name string) error {
	var self, want syscall.Stat_t
	if err := syscall.Stat("/proc/self/ns/net", &self); err != nil {
		return err
	}
	if err := syscall.Stat("/run/netns/"+name, &want); err != nil {
		return err
	}
	if self.Ino != want.Ino || self.Dev != want.Dev {
		return fmt.Errorf("not inside network namespace %s; refusing to start", name)
	}
	return nil
}

// addServiceDNAT sends the kubernetes Service's address to the apiserver, from Pods
// (PREROUTING) and from the namespace itself (OUTPUT).
func (c *Cluster) addServiceDNAT() error {
	to := fmt.Sprintf("%s:%d", c.nodeIP, c.apiPort())
	for _, chain := range []string{"PREROUTING", "OUTPUT"} {
		args := []string{"-t", "nat", "-A", chain, "-d", ServiceIP + "/32", "-p", "tcp", "--dport", "443", "-j", "DNAT", "--to-destination", to}
		if out, err := exec.Command("iptables", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("iptables %s: %w: %s", strings.Join(args, " "), err, out)
		}
	}
	return nil
}

func (c *Cluster) apiPort() int {
	h := c.CP.Config().Host
	var port int
	_, _ = fmt.Sscanf(h[strings.LastIndex(h, ":")+1:], "%d", &port)
	return port
}

// importPause imports bin/pause, the image archive hack/install-node-deps.sh builds.
func (c *Cluster) importPause() error {
	tar, err := binFile("pause")
	if err != nil {
		return err
	}
	return c.ImportImage(tar)
}

// binFile returns a file of the test binary dir (./bin or TESTBED_BIN_DIR) that need not be
// executable, such as the image archives hack/install-node-deps.sh builds.
func binFile(name string) (string, error) {
	dir := os.Getenv(testbed.BinDirEnv)
	if dir == "" {
		root, err := testbed.RepoRoot()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(root, "bin")
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%w (run hack/install-node-deps.sh)", err)
	}
	return p, nil
}

// waitFor polls check until it returns nil or the timeout passes.
func (c *Cluster) waitFor(what string, timeout time.Duration, check func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return nil
		}
		if errors.Is(err, errExited) {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready within %s: %w", what, timeout, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// Stop removes the workloads so that the kubelet tears its Pods down (volumes, sandboxes, CNI),
// then stops the components in reverse order. The supervisor's cleanup removes whatever is left.
func (c *Cluster) Stop() {
	began := time.Now()
	stop := func(p *testbed.Process) {
		if p != nil {
			p.Stop()
		}
	}
	// Without controllers nothing re-creates the Pods deleted next.
	stop(c.kcm)
	stop(c.scheduler)
	if c.kubelet != nil && c.kubelet.Running() && c.containerd.Running() {
		if err := c.deletePods(); err != nil {
			logf("node: stop: %v", err)
		}
	}
	stop(c.kubelet)
	// A containerd that died (a signal to the whole process group) would make every ctr call
	// wait for its socket; the supervisor's cleanup kills what it left.
	if c.containerd != nil && c.containerd.Running() {
		c.killTasks()
	}
	stop(c.containerd)
	if c.CP != nil {
		c.CP.Stop()
	}
	logf("node: cluster stopped in %s", time.Since(began).Round(time.Millisecond))
}

// deletePods deletes every Pod at once and waits until no container runs.
func (c *Cluster) deletePods() error {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	nss, err := c.Client.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	zero := int64(0)
	for _, ns := range nss.Items {
		_ = c.Client.CoreV1().Pods(ns.Name).DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: &zero}, metav1.ListOptions{})
	}
	return c.waitFor("pods gone", 80*time.Second, func() error {
		if ids := c.runningTasks(); len(ids) > 0 {
			return fmt.Errorf("still running: %v", ids)
		}
		return nil
	})
}

// Dir returns the run's directory (logs of every component are in it).
func (c *Cluster) Dir() string { return c.dir }

// NodeIP returns the node's InternalIP.
func (c *Cluster) NodeIP() string { return c.nodeIP }

var (
	errNotReady = errors.New("not ready")
	// errExited ends a wait at once: a component that exited will not become ready.
	errExited = errors.New("exited")
)

func writeFile(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(content), 0o600)
}
