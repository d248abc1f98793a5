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

package integration

import (
	"context"
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	"k8s.io/klog/v2/ktesting"

	"github.com/natsauth/nats-auth-operator/cmd/controller/app"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// ensureNamespaces creates the namespaces that do not exist yet. They are never deleted: without
// a namespace controller a deleted namespace stays Terminating and refuses new objects, which
// would break the next test that uses the same fixed name (manifests/examples uses nats and apps).
func ensureNamespaces(t *testing.T, names ...string) {
	t.Helper()
	ctx := suite.Context(t)
	for _, n := range names {
		_, err := controlPlane.KubeClient().CoreV1().Namespaces().Create(ctx,
			&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("create namespace %s: %v", n, err)
		}
	}
}

// controllerRun is a controller binary running in-process under some identity.
type controllerRun struct {
	logs ktesting.Buffer
}

// forbiddenErrors returns the logged errors that are Forbidden for resource (such as "secrets").
func (r *controllerRun) forbiddenErrors(resource string) []error {
	var out []error
	for _, e := range r.logs.Data() {
		var status apierrors.APIStatus
		if e.Err == nil || !errors.As(e.Err, &status) || !apierrors.IsForbidden(e.Err) {
			continue
		}
		if d := status.Status().Details; d != nil && d.Kind == resource {
			out = append(out, e.Err)
		}
	}
	return out
}

// startControllersAs runs the controller binary's wiring in-process as the ServiceAccount
// ns/serviceAccount (impersonated, so RBAC decides every request), with leader election in ns as
// the Deployment runs it, and keeps its log for assertions. It stops at cleanup.
func startControllersAs(t *testing.T, ns, serviceAccount string) *controllerRun {
	t.Helper()
	opts := app.NewOptions()
	opts.RestConfig = controlPlane.ServiceAccountConfig(ns, serviceAccount)
	opts.LeaderElect = true
	opts.LeaderElectionNamespace = ns
	opts.MetricsBindAddress = "0"
	opts.HealthProbeBindAddress = "0"
	opts.Workers = 2
	if err := opts.Validate(); err != nil {
		t.Fatal(err)
	}
	logger := ktesting.NewLogger(t, ktesting.NewConfig(ktesting.Verbosity(2), ktesting.BufferLogs(true)))
	ctx, cancel := context.WithCancel(klog.NewContext(context.Background(), logger))
	suite.RunInBackground(t, "controller", cancel, func() error { return app.Run(ctx, opts) })
	return &controllerRun{logs: logger.GetSink().(ktesting.Underlier).GetBuffer()}
}
