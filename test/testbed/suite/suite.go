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

// Package suite is what the suites running the operator on a test bed share (test/integration,
// test/e2e): one control plane per test binary with the CRDs installed, the controller and the
// resolver wiring run in-process, typed clients, and waits on conditions. A test works in its own
// namespace of the shared control plane.
package suite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	natsclientset "github.com/natsauth/nats-auth-operator/generated/clientset/versioned"
	"github.com/natsauth/nats-auth-operator/test/manifests"
	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// controlPlane is the one Start started; every helper of the package uses it.
var controlPlane *testbed.ControlPlane

// Start starts the shared control plane with the CRDs of manifests/crds installed, from TestMain;
// the caller stops it after m.Run.
func Start() (*testbed.ControlPlane, error) {
	root, err := testbed.RepoRoot()
	if err != nil {
		return nil, err
	}
	cp, err := testbed.StartControlPlaneMain(testbed.ControlPlaneOptions{
		CRDDir: filepath.Join(root, "manifests", "crds"),
	})
	if err != nil {
		return nil, err
	}
	controlPlane = cp
	return cp, nil
}

// Main is a suite's TestMain body: it starts the shared control plane into *cp, runs the tests,
// then stops it and removes the binaries the tests built.
func Main(m *testing.M, cp **testbed.ControlPlane) int {
	var err error
	if *cp, err = Start(); err != nil {
		fmt.Fprintln(os.Stderr, "starting the control plane:", err)
		return 1
	}
	defer (*cp).Stop()
	defer testbed.RemoveBuiltBinaries()
	return m.Run()
}

// NatsClient returns a clientset of the natsauth.io types with the admin config.
func NatsClient(t testing.TB) natsclientset.Interface {
	t.Helper()
	c, err := natsclientset.NewForConfig(controlPlane.Config())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Context returns a context that ends after a minute or with the test.
func Context(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// WaitFor polls cond every 50ms until it holds, failing the test after 30s.
func WaitFor(t testing.TB, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	WaitForWithin(t, ctx, 30*time.Second, what, cond)
}

// WaitForWithin is WaitFor with another bound than 30s.
func WaitForWithin(t testing.TB, ctx context.Context, d time.Duration, what string, cond func() bool) {
	t.Helper()
	err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, d, true, func(context.Context) (bool, error) {
		return cond(), nil
	})
	if err != nil {
		t.Fatalf("waiting until %s: %v", what, err)
	}
}

// GetSecret reads a Secret, failing the test when it cannot.
func GetSecret(t testing.TB, ns, name string) *corev1.Secret {
	t.Helper()
	s, err := controlPlane.KubeClient().CoreV1().Secrets(ns).Get(Context(t), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get Secret %s: %v", name, err)
	}
	return s
}

// Kubectl runs kubectl with the control plane's admin kubeconfig (see manifests.Kubectl).
func Kubectl(t testing.TB, stdin []byte, args ...string) []byte {
	t.Helper()
	return manifests.Kubectl(t, stdin, append([]string{"--kubeconfig", controlPlane.Kubeconfig()}, args...)...)
}
