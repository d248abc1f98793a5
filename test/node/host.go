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
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// hostSysctls are the host-wide settings the kubelet changes at start (it sets what it needs for
// a production node: panic on oops, reboot 10 s after a panic, overcommit); a test must not leave
// them behind.
var hostSysctls = []string{"kernel/panic", "kernel/panic_on_oops", "vm/overcommit_memory"}

// hostPaths are paths outside the temp dir that containerd or the kubelet create whatever they
// are configured with (containerd 1.6's shim sockets, the kubelet's /var/log/containers links).
// Those that did not exist before the run are removed after it.
var hostPaths = []string{"/run/containerd", "/var/log/containers", "/var/log/pods", "/var/lib/kubelet",
	"/var/lib/cni", "/opt/containerd", "/etc/kubernetes", "/run/netns"}

// cgroupNames are the top-level cgroups the kubelet (cgroupfs driver) and containerd create.
var cgroupNames = []string{"kubepods", "k8s.io"}

// hostState is what the host looked like before the run.
type hostState struct {
	sysctls map[string]string
	existed map[string]bool
}

func saveHost() (*hostState, error) {
	h := &hostState{sysctls: map[string]string{}, existed: map[string]bool{}}
	for _, k := range hostSysctls {
		b, err := os.ReadFile("/proc/sys/" + k)
		if err != nil {
			return nil, err
		}
		h.sysctls[k] = strings.TrimSpace(string(b))
	}
	paths := append([]string{}, hostPaths...)
	for _, mp := range cgroupMounts() {
		for _, n := range cgroupNames {
			paths = append(paths, filepath.Join(mp, n))
		}
	}
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil {
			h.existed[p] = true
		}
	}
	return h, nil
}

// restore writes back every changed sysctl.
func (h *hostState) restore() error {
	var errs []error
	for k, v := range h.sysctls {
		b, _ := os.ReadFile("/proc/sys/" + k)
		if strings.TrimSpace(string(b)) == v {
			continue
		}
		if err := os.WriteFile("/proc/sys/"+k, []byte(v), 0o644); err != nil {
			errs = append(errs, fmt.Errorf("restoring %s=%s: %w", k, v, err))
		}
	}
	return errors.Join(errs...)
}

// cgroupMounts lists the mount points of every cgroup v1 hierarchy and of cgroup2.
func cgroupMounts() []string {
	b, _ := os.ReadFile("/proc/mounts")
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) > 2 && (f[2] == "cgroup" || f[2] == "cgroup2") {
			out = append(out, f[1])
		}
	}
	return out
}

// ourCgroups returns the kubepods/k8s.io cgroup dirs that this run created.
func (h *hostState) ourCgroups() []string {
	var out []string
	for _, mp := range cgroupMounts() {
		for _, n := range cgroupNames {
			p := filepath.Join(mp, n)
			if _, err := os.Stat(p); err == nil && !h.existed[p] {
				out = append(out, p)
			}
		}
	}
	return out
}

// cgroupPids lists the processes in a cgroup tree.
func cgroupPids(root string) []int {
	var pids []int
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		b, _ := os.ReadFile(filepath.Join(p, "cgroup.procs"))
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil {
				pids = append(pids, pid)
			}
		}
		return nil
	})
	return pids
}

// removeCgroupTree removes a cgroup's directories, deepest first (rmdir is how cgroups go).
func removeCgroupTree(root string) error {
	var dirs []string
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	sort.Slice(dirs, func(i, j int) bool { return len(dirs[i]) > len(dirs[j]) })
	var last error
	for _, d := range dirs {
		if err := syscall.Rmdir(d); err != nil && !os.IsNotExist(err) {
			last = fmt.Errorf("rmdir %s: %w", d, err)
		}
	}
	return last
}

// mountsUnder lists mount points below dir, deepest first.
func mountsUnder(dir string) []string {
	b, _ := os.ReadFile("/proc/self/mountinfo")
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) > 4 && (f[4] == dir || strings.HasPrefix(f[4], dir+"/")) {
			out = append(out, f[4])
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// unmountUnder unmounts everything below dir (the kubelet's volumes, containerd's rootfs and
// netns mounts), lazily when a plain unmount is refused.
func unmountUnder(dir string) error {
	for pass := 0; pass < 5; pass++ {
		mps := mountsUnder(dir)
		if len(mps) == 0 {
			return nil
		}
		for _, mp := range mps {
			if err := syscall.Unmount(mp, 0); err != nil {
				_ = syscall.Unmount(mp, syscall.MNT_DETACH)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if mps := mountsUnder(dir); len(mps) > 0 {
		return fmt.Errorf("still mounted: %s", strings.Join(mps, " "))
	}
	return nil
}
