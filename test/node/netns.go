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
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// netnsPrefix names this package's network namespaces; a leftover one (its supervisor killed)
// is recognised by it and removed by the next run.
const netnsPrefix = "natsauth-node-"

// netns is the private network namespace the whole node lives in, and the run's temp dir.
type netns struct {
	name   string
	nodeIP string // on veth node0 inside the namespace; the kubelet refuses a loopback node IP
	dir    string
}

func (n *netns) path() string { return "/run/netns/" + n.name }

// createNetns makes the namespace with a veth pair (both ends inside it, so the host's network
// is untouched) carrying the node IP and a default route, and the temp dir.
func createNetns() (*netns, error) {
	removeStaleNetns()
	pid := os.Getpid()
	n := &netns{name: fmt.Sprintf("%s%d", netnsPrefix, pid), nodeIP: fmt.Sprintf("10.250.%d.1", 20+pid%200)}
	dir, err := os.MkdirTemp("", fmt.Sprintf("%s%d-", netnsPrefix, pid))
	if err != nil {
		return nil, err
	}
	n.dir = dir
	steps := [][]string{
		{"netns", "add", n.name},
		{"-n", n.name, "link", "set", "lo", "up"},
		{"-n", n.name, "link", "add", "node0", "type", "veth", "peer", "name", "node1"},
		{"-n", n.name, "addr", "add", n.nodeIP + "/24", "dev", "node0"},
		{"-n", n.name, "link", "set", "node0", "up"},
		{"-n", n.name, "link", "set", "node1", "up"},
		{"-n", n.name, "route", "add", "default", "dev", "node0"},
	}
	for _, s := range steps {
		if out, err := exec.Command("ip", s...).CombinedOutput(); err != nil {
			_ = exec.Command("ip", "netns", "delete", n.name).Run()
			_ = os.RemoveAll(dir)
			return nil, fmt.Errorf("ip %s: %w: %s", strings.Join(s, " "), err, out)
		}
	}
	logf("node: network namespace %s, node IP %s, dir %s", n.name, n.nodeIP, dir)
	return n, nil
}

// netnsPids lists the processes in a named network namespace.
func netnsPids(name string) []int {
	out, _ := exec.Command("ip", "netns", "pids", name).Output()
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil && pid != os.Getpid() {
			pids = append(pids, pid)
		}
	}
	return pids
}

// killAll SIGKILLs every process left in the namespace or the run's cgroups until none is left
// (Pod processes live in their own namespaces but always in the kubepods cgroups; the shims in
// the node's namespace).
func killAll(h *hostState, name string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		pids := netnsPids(name)
		for _, cg := range h.ourCgroups() {
			pids = append(pids, cgroupPids(cg)...)
		}
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("processes still running after SIGKILL: %v", pids)
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// cleanup removes everything the run created, in the order that lets each step succeed, and
// reports what it could not remove.
func cleanup(h *hostState, n *netns) error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	add(killAll(h, n.name))
	add(unmountUnder(n.dir))
	for _, cg := range h.ourCgroups() {
		add(removeCgroupTree(cg))
	}
	if out, err := exec.Command("ip", "netns", "delete", n.name).CombinedOutput(); err != nil {
		add(fmt.Errorf("ip netns delete %s: %w: %s", n.name, err, out))
	}
	add(h.restore())
	add(h.removeCreatedPaths(n.dir))
	add(os.RemoveAll(n.dir))
	add(h.verifyClean(n))
	return errors.Join(errs...)
}

// removeCreatedPaths removes the hostPaths that did not exist before, and links into dir from
// /var/log/containers when that existed.
func (h *hostState) removeCreatedPaths(dir string) error {
	for _, p := range hostPaths {
		if !h.existed[p] {
			if p == "/run/netns" {
				_ = os.Remove(p) // only when empty: other namespaces may have appeared meanwhile
				continue
			}
			if err := os.RemoveAll(p); err != nil {
				return err
			}
		}
	}
	links, _ := filepath.Glob("/var/log/containers/*")
	for _, l := range links {
		if t, err := os.Readlink(l); err == nil && strings.HasPrefix(t, dir+"/") {
			_ = os.Remove(l)
		}
	}
	return nil
}

// verifyClean fails when anything of the run is still there.
func (h *hostState) verifyClean(n *netns) error {
	var left []string
	if _, err := os.Stat(n.path()); err == nil {
		left = append(left, "netns "+n.name)
	}
	if mps := mountsUnder(n.dir); len(mps) > 0 {
		left = append(left, "mounts "+strings.Join(mps, " "))
	}
	if cgs := h.ourCgroups(); len(cgs) > 0 {
		left = append(left, "cgroups "+strings.Join(cgs, " "))
	}
	if _, err := os.Stat(n.dir); err == nil {
		left = append(left, "dir "+n.dir)
	}
	if len(left) > 0 {
		return fmt.Errorf("left behind: %s", strings.Join(left, "; "))
	}
	return nil
}

// removeStaleNetns deletes namespaces of earlier runs whose supervisor is gone (SIGKILLed), with
// their processes; their temp dirs' mounts are unmounted too.
func removeStaleNetns() {
	entries, _ := os.ReadDir("/run/netns")
	for _, e := range entries {
		pid, err := strconv.Atoi(strings.TrimPrefix(e.Name(), netnsPrefix))
		if !strings.HasPrefix(e.Name(), netnsPrefix) || err != nil || syscall.Kill(pid, 0) == nil {
			continue
		}
		logf("node: removing the stale network namespace %s", e.Name())
		for _, p := range netnsPids(e.Name()) {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
		dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), fmt.Sprintf("%s%d-*", netnsPrefix, pid)))
		for _, d := range dirs {
			if unmountUnder(d) == nil {
				_ = os.RemoveAll(d)
			}
		}
		_ = exec.Command("ip", "netns", "delete", e.Name()).Run()
	}
}
