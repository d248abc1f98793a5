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

package manifests

import (
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/natsauth/nats-auth-operator/cmd/controller/app"
	resolverapp "github.com/natsauth/nats-auth-operator/cmd/resolver/app"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
)

const (
	manifestImage     = "ghcr.io/natsauth/nats-auth-operator"
	manifestTag       = "v0.1.0" // the manifests' image tag; `make release` pins its own VERSION
	credsMountPath    = "/etc/nats-auth"
	credsFlag         = "--creds=" + credsMountPath + "/user.creds"
	operatorFlagStart = "--operator=$(POD_NAMESPACE)/"
)

// controllerRules is everything the controller binary may do cluster-wide. Widening it is a
// decision, so it is spelled out here; TestManifestControllerLeastPrivilege proves it suffices.
var controllerRules = []rbacv1.PolicyRule{
	{APIGroups: []string{"natsauth.io"}, Resources: []string{"natsoperators"}, Verbs: []string{"get", "list", "watch"}},
	{APIGroups: []string{"natsauth.io"}, Resources: []string{"natsaccounts"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch"}},
	{APIGroups: []string{"natsauth.io"}, Resources: []string{"natsusers"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch"}},
	{APIGroups: []string{"natsauth.io"}, Resources: []string{"natsoperators/status", "natsaccounts/status", "natsusers/status"}, Verbs: []string{"update"}},
	{APIGroups: []string{"natsauth.io"}, Resources: []string{"natsoperators/finalizers", "natsaccounts/finalizers", "natsusers/finalizers"}, Verbs: []string{"update"}},
	{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}},
	{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
}

// TestManifestsRender proves that the base, the example overlay, the examples and the examples'
// resolver render with kubectl's kustomize, and checks what a reader of the YAML relies on: the
// kinds, where each binary runs, that the base applies to a fresh cluster, that the resolver
// mounts the creds Secret of the operator it serves, the security settings and probes, the
// labels, and that the RBAC has no wildcards and no extra rules.
func TestManifestsRender(t *testing.T) {
	examples := Kustomize(t, Dir(t, "examples"))

	t.Run("default", func(t *testing.T) {
		objs := Kustomize(t, Dir(t, "default"))
		checkKinds(t, objs, map[string]int{"CustomResourceDefinition": 3, "Namespace": 1, "ServiceAccount": 1,
			"ClusterRole": 1, "ClusterRoleBinding": 1, "Role": 1, "RoleBinding": 1, "Deployment": 1})
		checkCommonLabels(t, objs)
		checkNoWildcards(t, objs)
		checkComponent(t, objs, "nats-auth-controller", "nats-auth-operator", manifestTag)
		// It applies to a fresh cluster: every namespace its objects use, it creates.
		if got := NamespacesOf(objs); !slices.Equal(got, []string{"nats-auth-operator"}) {
			t.Errorf("the base uses namespaces %v, want only its own nats-auth-operator", got)
		}
		if ns := Find(t, objs, "Namespace", "nats-auth-operator"); ns.GetLabels()["pod-security.kubernetes.io/enforce"] != "restricted" {
			t.Errorf("namespace nats-auth-operator labels %v, want the restricted Pod Security Standard enforced", ns.GetLabels())
		}
		var role rbacv1.ClusterRole
		Convert(t, Find(t, objs, "ClusterRole", "nats-auth-controller"), &role)
		if diff := cmp.Diff(controllerRules, role.Rules); diff != "" {
			t.Errorf("controller ClusterRole rules (-want +got):\n%s", diff)
		}
		// The only cluster-wide grant is the controller's: the resolver's rules are namespaced.
		for _, b := range OfKind(objs, "ClusterRoleBinding") {
			var crb rbacv1.ClusterRoleBinding
			Convert(t, b, &crb)
			if crb.RoleRef.Name != "nats-auth-controller" || len(crb.Subjects) != 1 || crb.Subjects[0].Name != "nats-auth-controller" {
				t.Errorf("unexpected ClusterRoleBinding %s: %+v %+v", crb.Name, crb.RoleRef, crb.Subjects)
			}
		}
	})

	t.Run("examples-resolver", func(t *testing.T) {
		objs := Kustomize(t, Dir(t, "examples/resolver"))
		checkKinds(t, objs, map[string]int{"ServiceAccount": 1, "Role": 1, "RoleBinding": 1, "Deployment": 1})
		checkCommonLabels(t, objs)
		checkNoWildcards(t, objs)
		checkComponent(t, objs, "nats-auth-resolver", "nats", manifestTag)
		// It serves the example NatsOperator, in its namespace, which the examples create.
		op, name := resolverOperator(t, objs)
		if got := Find(t, examples, "NatsOperator", name).GetNamespace(); got != op.Namespace {
			t.Errorf("the resolver runs in %s but the example NatsOperator %s is in %s", op.Namespace, name, got)
		}
		Find(t, examples, "Namespace", op.Namespace)
		checkArg(t, op, "--nats-url=nats://nats.nats.svc:4222")
	})

	t.Run("overlay", func(t *testing.T) {
		objs := Kustomize(t, Dir(t, "overlays/example"))
		checkKinds(t, objs, map[string]int{"CustomResourceDefinition": 3, "Namespace": 1, "ServiceAccount": 2,
			"ClusterRole": 1, "ClusterRoleBinding": 1, "Role": 2, "RoleBinding": 2, "Deployment": 2})
		checkCommonLabels(t, objs)
		checkNoWildcards(t, objs)
		Find(t, objs, "Namespace", "platform-nats-auth")
		checkComponent(t, objs, "nats-auth-controller", "platform-nats-auth", manifestTag)
		checkComponent(t, objs, "nats-auth-resolver", "messaging", manifestTag)
		op, name := resolverOperator(t, objs)
		if name != "prod" {
			t.Errorf("overlay resolver serves %q, want prod", name)
		}
		checkArg(t, op, "--nats-url=nats://nats.messaging.svc:4222")
		var crb rbacv1.ClusterRoleBinding
		Convert(t, Find(t, objs, "ClusterRoleBinding", "nats-auth-controller"), &crb)
		if crb.Subjects[0].Namespace != "platform-nats-auth" {
			t.Errorf("ClusterRoleBinding subject %+v, want the ServiceAccount in platform-nats-auth", crb.Subjects[0])
		}
	})

	t.Run("examples", func(t *testing.T) {
		checkKinds(t, examples, map[string]int{"Namespace": 2, "NatsOperator": 1, "NatsAccount": 2, "NatsUser": 3})
		if got := NamespacesOf(examples); !slices.Equal(got, []string{"apps", "nats"}) {
			t.Errorf("examples use namespaces %v, want apps and nats", got)
		}
	})
}

func checkKinds(t *testing.T, objs []*unstructured.Unstructured, want map[string]int) {
	t.Helper()
	got := map[string]int{}
	for _, o := range objs {
		got[o.GetKind()]++
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rendered kinds (-want +got):\n%s", diff)
	}
}

func checkCommonLabels(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	want := map[string]string{"app.kubernetes.io/name": "nats-auth-operator", "app.kubernetes.io/part-of": "nats"}
	for _, o := range objs {
		labels := o.GetLabels()
		for k, v := range want {
			if labels[k] != v {
				t.Errorf("%s %s: label %s=%q, want %q", o.GetKind(), o.GetName(), k, labels[k], v)
			}
		}
	}
}

// checkNoWildcards fails on a '*' anywhere in a Role or ClusterRole.
func checkNoWildcards(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	for _, o := range OfKind(objs, "Role", "ClusterRole") {
		var role rbacv1.ClusterRole // a Role's rules decode the same way
		Convert(t, o, &role)
		for _, r := range role.Rules {
			if slices.Contains(r.Verbs, "*") || slices.Contains(r.Resources, "*") || slices.Contains(r.APIGroups, "*") {
				t.Errorf("%s %s has a wildcard rule %+v", o.GetKind(), o.GetName(), r)
			}
		}
	}
}

// checkComponent checks a binary's Deployment, ServiceAccount and namespaced RBAC: all in ns, the
// Deployment running as that ServiceAccount with the image tag, the hardened security context,
// probes and ports, leader election in its own namespace, and the bindings' subjects in ns.
func checkComponent(t *testing.T, objs []*unstructured.Unstructured, name, ns, tag string) {
	t.Helper()
	var dep appsv1.Deployment
	Convert(t, Find(t, objs, "Deployment", name), &dep)
	if dep.Namespace != ns {
		t.Errorf("Deployment %s in namespace %q, want %q", name, dep.Namespace, ns)
	}
	if sa := Find(t, objs, "ServiceAccount", name); sa.GetNamespace() != ns {
		t.Errorf("ServiceAccount %s in namespace %q, want %q", name, sa.GetNamespace(), ns)
	}
	for _, o := range OfKind(objs, "RoleBinding", "ClusterRoleBinding") {
		var rb rbacv1.RoleBinding
		Convert(t, o, &rb)
		for _, s := range rb.Subjects {
			if s.Name == name && s.Namespace != ns {
				t.Errorf("%s %s binds ServiceAccount %s in namespace %q, want %q", o.GetKind(), o.GetName(), name, s.Namespace, ns)
			}
		}
		if o.GetKind() == "RoleBinding" && slices.ContainsFunc(rb.Subjects, func(s rbacv1.Subject) bool { return s.Name == name }) && rb.Namespace != ns {
			t.Errorf("RoleBinding %s is in namespace %q, want %q", rb.Name, rb.Namespace, ns)
		}
	}
	if !maps.Equal(dep.Spec.Selector.MatchLabels, filterLabels(dep.Spec.Template.Labels, dep.Spec.Selector.MatchLabels)) {
		t.Errorf("Deployment %s: selector %v does not select its pods %v", name, dep.Spec.Selector.MatchLabels, dep.Spec.Template.Labels)
	}
	pod := dep.Spec.Template.Spec
	if pod.ServiceAccountName != name {
		t.Errorf("Deployment %s runs as ServiceAccount %q", name, pod.ServiceAccountName)
	}
	if psc := pod.SecurityContext; psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot ||
		psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("Deployment %s: pod security context %+v, want runAsNonRoot and the RuntimeDefault seccomp profile", name, psc)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("Deployment %s has %d containers, want 1", name, len(pod.Containers))
	}
	c := pod.Containers[0]
	if want := manifestImage + ":" + tag; c.Image != want {
		t.Errorf("Deployment %s: image %q, want %q", name, c.Image, want)
	}
	// A versioned tag, and no pull when the node has it (images imported without a registry).
	if c.ImagePullPolicy != corev1.PullIfNotPresent {
		t.Errorf("Deployment %s: imagePullPolicy %q, want IfNotPresent", name, c.ImagePullPolicy)
	}
	if want := "/" + strings.TrimPrefix(name, "nats-auth-"); !slices.Equal(c.Command, []string{want}) {
		t.Errorf("Deployment %s: command %q, want %q", name, c.Command, want)
	}
	if sc := c.SecurityContext; sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.Capabilities == nil ||
		!slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Errorf("Deployment %s: container security context %+v, want a read-only root, no privilege escalation, all capabilities dropped", name, sc)
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("Deployment %s: resources %+v, want CPU and memory requests and a memory limit", name, c.Resources)
	}
	addrs, ok := componentAddrs[name]
	if !ok {
		t.Fatalf("no default addresses known for %s", name)
	}
	for _, arg := range []string{"--leader-elect", "--metrics-bind-address=" + addrs.metrics, "--health-probe-bind-address=" + addrs.probes} {
		checkArg(t, &dep, arg)
	}
	if !slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool {
		return e.Name == "POD_NAMESPACE" && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.namespace"
	}) {
		t.Errorf("Deployment %s: POD_NAMESPACE does not come from the downward API: %+v", name, c.Env)
	}
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if want := map[string]int32{"metrics": addrPort(t, addrs.metrics), "probes": addrPort(t, addrs.probes)}; !maps.Equal(ports, want) {
		t.Errorf("Deployment %s: ports %v, want %v (the binary's default addresses)", name, ports, want)
	}
	for probe, path := range map[*corev1.Probe]string{c.LivenessProbe: "/healthz", c.ReadinessProbe: "/readyz"} {
		if probe == nil || probe.HTTPGet == nil || probe.HTTPGet.Path != path || probe.HTTPGet.Port.String() != "probes" {
			t.Errorf("Deployment %s: probe for %s is %+v", name, path, probe)
		}
	}
}

// componentAddrs are each binary's default listen addresses. The Deployments pass them
// explicitly, and they differ between the binaries so that both run on one host with defaults.
var componentAddrs = map[string]struct{ metrics, probes string }{
	"nats-auth-controller": {app.DefaultMetricsBindAddress, app.DefaultHealthProbeBindAddress},
	"nats-auth-resolver":   {resolverapp.DefaultMetricsBindAddress, resolverapp.DefaultHealthProbeBindAddress},
}

// addrPort returns the port of a listen address such as ":8080".
func addrPort(t *testing.T, addr string) int32 {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	n, err := strconv.ParseInt(port, 10, 32)
	if err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	return int32(n)
}

// resolverOperator returns the resolver Deployment and the name of the NatsOperator it serves,
// after checking that it mounts that operator's creds Secret where --creds points.
func resolverOperator(t *testing.T, objs []*unstructured.Unstructured) (*appsv1.Deployment, string) {
	t.Helper()
	var dep appsv1.Deployment
	Convert(t, Find(t, objs, "Deployment", "nats-auth-resolver"), &dep)
	c := dep.Spec.Template.Spec.Containers[0]
	var operator string
	for _, a := range c.Args {
		if name, ok := strings.CutPrefix(a, operatorFlagStart); ok {
			operator = name
		}
	}
	if operator == "" {
		t.Fatalf("resolver args %q lack %s<name>: the operator must be in the resolver's namespace to mount its Secret", c.Args, operatorFlagStart)
	}
	checkArg(t, &dep, credsFlag)
	var volume string
	for _, m := range c.VolumeMounts {
		if m.MountPath == credsMountPath {
			volume = m.Name
		}
	}
	i := slices.IndexFunc(dep.Spec.Template.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == volume })
	if volume == "" || i < 0 || dep.Spec.Template.Spec.Volumes[i].Secret == nil {
		t.Fatalf("resolver mounts no Secret volume at %s", credsMountPath)
	}
	secret := dep.Spec.Template.Spec.Volumes[i].Secret
	if want := naming.ResolverCredsSecret(operator); secret.SecretName != want {
		t.Errorf("resolver of operator %s mounts Secret %q, want %q", operator, secret.SecretName, want)
	}
	if len(secret.Items) != 1 || secret.Items[0].Key != naming.UserCreds || secret.Items[0].Path != naming.UserCreds {
		t.Errorf("resolver creds volume items %+v, want user.creds only", secret.Items)
	}
	return &dep, operator
}

func checkArg(t *testing.T, dep *appsv1.Deployment, arg string) {
	t.Helper()
	if args := dep.Spec.Template.Spec.Containers[0].Args; !slices.Contains(args, arg) {
		t.Errorf("Deployment %s/%s: args %q lack %q", dep.Namespace, dep.Name, args, arg)
	}
}

func filterLabels(labels, keys map[string]string) map[string]string {
	out := map[string]string{}
	for k := range keys {
		if v, ok := labels[k]; ok {
			out[k] = v
		}
	}
	return out
}
