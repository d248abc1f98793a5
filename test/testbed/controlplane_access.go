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

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Config returns a fresh copy of the admin (system:masters) config with raised QPS and Burst;
// callers may modify it.
func (cp *ControlPlane) Config() *rest.Config { return rest.CopyConfig(cp.cfg) }

// Kubeconfig returns the path of a kubeconfig file with the admin credentials, for kubectl
// and for binaries under test that take --kubeconfig.
func (cp *ControlPlane) Kubeconfig() string { return cp.kubeconfig }

// KubeClient returns a typed clientset with the admin config.
func (cp *ControlPlane) KubeClient() kubernetes.Interface {
	// NewForConfig only fails on an invalid config, and ours is built by this package.
	return kubernetes.NewForConfigOrDie(cp.Config())
}

// ImpersonatedConfig returns the admin config impersonating user with the given groups. The
// apiserver adds system:authenticated itself. Requests are then authorized by RBAC as that
// user, which is how tests prove a component's least-privilege rules.
func (cp *ControlPlane) ImpersonatedConfig(user string, groups ...string) *rest.Config {
	cfg := cp.Config()
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: groups}
	return cfg
}

// ServiceAccountConfig impersonates a ServiceAccount with the groups the apiserver would give
// it, so RoleBindings to the ServiceAccount and to its groups both apply.
func (cp *ControlPlane) ServiceAccountConfig(namespace, name string) *rest.Config {
	return cp.ImpersonatedConfig(
		fmt.Sprintf("system:serviceaccount:%s:%s", namespace, name),
		"system:serviceaccounts", "system:serviceaccounts:"+namespace,
	)
}

var nonNameChars = regexp.MustCompile(`[^a-z0-9-]+`)

// NewNamespace creates a namespace named after the test (plus a random suffix) and deletes it
// in t.Cleanup. Deletion is best effort and, without a namespace controller, leaves the
// namespace Terminating with its contents in place: tests must not rely on it being gone.
func (cp *ControlPlane) NewNamespace(t testing.TB) string {
	t.Helper()
	prefix := nonNameChars.ReplaceAllString(strings.ToLower(t.Name()), "-")
	prefix = strings.Trim(prefix[:min(len(prefix), 40)], "-")
	if prefix == "" {
		prefix = "test"
	}
	client := cp.KubeClient()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("testbed: creating a namespace: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := client.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{}); err != nil {
			t.Logf("testbed: deleting namespace %s (ignored): %v", ns.Name, err)
		}
	})
	return ns.Name
}

// writeKubeconfig writes cfg (token and CA data only) as a single-context kubeconfig.
func writeKubeconfig(path string, cfg *rest.Config) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["testbed"] = &clientcmdapi.Cluster{
		Server:                   cfg.Host,
		CertificateAuthorityData: cfg.CAData,
	}
	kc.AuthInfos["testbed-admin"] = &clientcmdapi.AuthInfo{Token: cfg.BearerToken}
	kc.Contexts["testbed"] = &clientcmdapi.Context{Cluster: "testbed", AuthInfo: "testbed-admin", Namespace: "default"}
	kc.CurrentContext = "testbed"
	return clientcmd.WriteToFile(*kc, path)
}
