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

package testbed

// This file has no build constraint: Setpgid exists wherever this package builds (it already
// needs SIGSTOP, which only Unix systems have).

import "syscall"

// IsolateProcessGroups makes every child process started afterwards the leader of its own
// process group. An interactive program calls it once, before starting anything: Ctrl-C in a
// terminal signals the whole foreground group, and etcd dying together with kube-apiserver makes
// the apiserver ignore SIGTERM for most of a minute. Isolated, the children get only the ordered
// SIGTERMs of Stop. Tests do not need it: nothing sends their process group signals.
func IsolateProcessGroups() {
	prev := sysProcAttr
	sysProcAttr = func() *syscall.SysProcAttr {
		a := prev()
		a.Setpgid = true
		return a
	}
}
