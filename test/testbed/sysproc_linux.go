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

import "syscall"

func init() { sysProcAttr = linuxSysProcAttr }

// linuxSysProcAttr makes the kernel kill the child when the test binary dies, so a crashed or
// killed `go test` leaves no etcd or nats-server holding ports behind. Pdeathsig fires when the
// forking OS thread exits; Go only retires threads of goroutines that exit while locked to their
// thread, which this package never does.
func linuxSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
