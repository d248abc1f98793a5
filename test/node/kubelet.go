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
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// kubeletConfig: cgroup v1 is accepted (failCgroupV1: false), cgroupfs like containerd's runc,
// ports chosen at run time on the node IP and loopback, logs and state below the run's dir, and
// the apiserver may call it (logs, exec) without credentials: the namespace is private. Pods sync
// every 10s instead of every minute, so an updated ConfigMap reaches its mounts within seconds.
const kubeletConfig = `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://%[1]s
address: %[2]s
port: %[3]d
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: %[4]d
podLogsDir: %[5]s
authentication:
  anonymous: {enabled: true}
  webhook: {enabled: false}
authorization: {mode: AlwaysAllow}
failSwapOn: false
clusterDomain: cluster.local
resolvConf: %[6]s
serializeImagePulls: false
syncFrequency: 10s
imageGCHighThresholdPercent: 100
evictionHard: {memory.available: "100Mi", nodefs.available: "1%%", imagefs.available: "1%%"}
`

// startKubelet starts the kubelet with the admin kubeconfig and waits for the node to be Ready.
func (c *Cluster) startKubelet() error {
	bin, err := testbed.BinPath("kubelet")
	if err != nil {
		return err
	}
	ports, err := testbed.FreePorts(2)
	if err != nil {
		return err
	}
	dir := filepath.Join(c.dir, "kubelet")
	resolv := filepath.Join(c.dir, "resolv.conf")
	// Pods get no DNS server (the namespace reaches none); the file only has to exist.
	if err := writeFile(resolv, "options ndots:1\n"); err != nil {
		return err
	}
	cfg := fmt.Sprintf(kubeletConfig, c.ctrSock, c.nodeIP, ports[0], ports[1], filepath.Join(c.dir, "pod-logs"), resolv)
	if err := writeFile(filepath.Join(dir, "config.yaml"), cfg); err != nil {
		return err
	}
	c.kubelet, err = testbed.StartProcess(testbed.ProcessOptions{Name: "kubelet", Path: bin, Args: []string{
		"--config=" + filepath.Join(dir, "config.yaml"),
		"--kubeconfig=" + c.CP.Kubeconfig(),
		"--root-dir=" + filepath.Join(dir, "root"),
		"--node-ip=" + c.nodeIP,
		"--hostname-override=" + NodeName,
		"--v=2",
	}, LogPath: filepath.Join(c.dir, "kubelet.log")})
	if err != nil {
		return err
	}
	return c.waitFor("node "+NodeName, 90*time.Second, c.nodeReady)
}

func (c *Cluster) nodeReady() error {
	if !c.kubelet.Running() {
		return fmt.Errorf("kubelet %w:\n%s", errExited, c.kubelet.LogTail(30))
	}
	n, err := c.Client.CoreV1().Nodes().Get(context.Background(), NodeName, metav1.GetOptions{})
	if err != nil {
		return err
	}
	for _, cond := range n.Status.Conditions {
		if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
			return nil
		}
	}
	return fmt.Errorf("%w: %v", errNotReady, n.Status.Conditions)
}

// startControllerManager runs the controllers Pods need here: ServiceAccounts and the
// kube-root-ca.crt ConfigMap (tokens are signed by the apiserver), Deployments, ReplicaSets,
// garbage collection and namespace deletion. No serving port: readiness is the default
// ServiceAccount appearing.
func (c *Cluster) startControllerManager() error {
	bin, err := testbed.BinPath("kube-controller-manager")
	if err != nil {
		return err
	}
	c.kcm, err = testbed.StartProcess(testbed.ProcessOptions{Name: "kube-controller-manager", Path: bin, Args: []string{
		"--kubeconfig=" + c.CP.Kubeconfig(),
		"--secure-port=0",
		"--leader-elect=false",
		"--service-account-private-key-file=" + filepath.Join(c.CP.Dir(), "sa.key"),
		"--root-ca-file=" + filepath.Join(c.CP.Dir(), "apiserver-certs", "apiserver.crt"),
		"--service-cluster-ip-range=10.0.0.0/24",
		"--use-service-account-credentials=false",
	}, LogPath: filepath.Join(c.dir, "kube-controller-manager.log")})
	if err != nil {
		return err
	}
	return c.waitFor("kube-controller-manager", 60*time.Second, func() error {
		if !c.kcm.Running() {
			return fmt.Errorf("%w:\n%s", errExited, c.kcm.LogTail(30))
		}
		_, err := c.Client.CoreV1().ServiceAccounts("default").Get(context.Background(), "default", metav1.GetOptions{})
		return err
	})
}

// startScheduler: no serving port either; the first Pod scheduled proves it works.
func (c *Cluster) startScheduler() error {
	bin, err := testbed.BinPath("kube-scheduler")
	if err != nil {
		return err
	}
	c.scheduler, err = testbed.StartProcess(testbed.ProcessOptions{Name: "kube-scheduler", Path: bin, Args: []string{
		"--kubeconfig=" + c.CP.Kubeconfig(),
		"--authentication-kubeconfig=" + c.CP.Kubeconfig(),
		"--authorization-kubeconfig=" + c.CP.Kubeconfig(),
		"--secure-port=0",
		"--leader-elect=false",
	}, LogPath: filepath.Join(c.dir, "kube-scheduler.log")})
	if err != nil {
		return err
	}
	time.Sleep(time.Second)
	if !c.scheduler.Running() {
		return fmt.Errorf("kube-scheduler exited:\n%s", c.scheduler.LogTail(30))
	}
	return nil
}
