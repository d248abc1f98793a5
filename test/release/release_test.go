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

package release

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	controllerapp "github.com/natsauth/nats-auth-operator/cmd/controller/app"
	resolverapp "github.com/natsauth/nats-auth-operator/cmd/resolver/app"
)

const image = "ghcr.io/natsauth/nats-auth-operator"

// TestManifestsNeverLatest: no manifest names a :latest image (a kubelet would pull it on every
// start, and nobody could tell which version runs), and every rendered Deployment runs the
// project's image at the coming release's tag with imagePullPolicy IfNotPresent.
func TestManifestsNeverLatest(t *testing.T) {
	root := repoRoot(t)
	latest := regexp.MustCompile(`:latest\b`)
	err := filepath.WalkDir(filepath.Join(root, "manifests"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !slices.Contains([]string{".yaml", ".yml"}, filepath.Ext(path)) {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(data), "\n") {
			if latest.MatchString(line) {
				t.Errorf("%s:%d names a latest image: %s", path, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := image + ":" + comingRelease(t)
	for _, dir := range []string{"default", "examples/resolver", "overlays/example"} {
		for _, dep := range deployments(t, kustomize(t, filepath.Join(root, "manifests", dir))) {
			for _, c := range dep.Spec.Template.Spec.Containers {
				if c.Image != want || c.ImagePullPolicy != corev1.PullIfNotPresent {
					t.Errorf("manifests/%s: Deployment %s runs %s (pull %q), want %s with IfNotPresent", dir, dep.Name, c.Image, c.ImagePullPolicy, want)
				}
			}
		}
	}
}

// TestReleasePinsImage runs `make release`'s script and checks its install.yaml: the objects of
// manifests/default, every container on IMAGE:VERSION, and the listen addresses the binary uses.
func TestReleasePinsImage(t *testing.T) {
	root := repoRoot(t)
	const version = "v9.8.7-test"
	dir := t.TempDir()
	cmd := exec.Command(filepath.Join(root, "hack", "release.sh"))
	cmd.Env = append(os.Environ(), "VERSION="+version, "RELEASE_DIR="+dir, "KUBECTL="+kubectlBinary(t))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("hack/release.sh: %v\n%s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "install.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	docs := splitYAML(t, data)
	if got, want := kinds(t, docs), kinds(t, kustomize(t, filepath.Join(root, "manifests", "default"))); !slices.Equal(got, want) {
		t.Errorf("install.yaml holds %v, want manifests/default's %v", got, want)
	}
	deps := deployments(t, docs)
	if len(deps) != 1 {
		t.Fatalf("install.yaml has %d Deployments, want the controller's", len(deps))
	}
	for _, dep := range deps {
		for _, c := range dep.Spec.Template.Spec.Containers {
			if c.Image != image+":"+version {
				t.Errorf("Deployment %s runs %s, want %s:%s", dep.Name, c.Image, image, version)
			}
		}
	}
	if bytes.Contains(data, []byte(":latest")) {
		t.Error("install.yaml mentions :latest")
	}
}

// TestReleaseRefusesLatest: a release or an image tagged latest is refused before anything is
// written.
func TestReleaseRefusesLatest(t *testing.T) {
	root := repoRoot(t)
	for _, script := range []string{"release.sh", "build-image.sh"} {
		dir := t.TempDir()
		cmd := exec.Command(filepath.Join(root, "hack", script))
		cmd.Env = append(os.Environ(), "VERSION=latest", "RELEASE_DIR="+dir, "IMAGE_DIR="+dir, "KUBECTL="+kubectlBinary(t))
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "not a versioned image tag") {
			t.Errorf("hack/%s with VERSION=latest: %v\n%s", script, err, out)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("hack/%s with VERSION=latest wrote %d files", script, len(entries))
		}
	}
}

// TestManifestAddressesMatchBinaries: each Deployment passes its binary's default listen
// addresses and exposes the same ports, with the probes on the probe port.
func TestManifestAddressesMatchBinaries(t *testing.T) {
	root := repoRoot(t)
	c, r := controllerapp.NewOptions(), resolverapp.NewOptions()
	defaults := map[string][2]string{
		"/controller": {c.MetricsBindAddress, c.HealthProbeBindAddress},
		"/resolver":   {r.MetricsBindAddress, r.HealthProbeBindAddress},
	}
	seen := map[string]bool{}
	for _, dir := range []string{"default", "examples/resolver", "overlays/example"} {
		for _, dep := range deployments(t, kustomize(t, filepath.Join(root, "manifests", dir))) {
			ctr := dep.Spec.Template.Spec.Containers[0]
			if len(ctr.Command) != 1 {
				t.Fatalf("manifests/%s: Deployment %s command %q, want one binary", dir, dep.Name, ctr.Command)
			}
			addrs, ok := defaults[ctr.Command[0]]
			if !ok {
				t.Fatalf("manifests/%s: Deployment %s runs %q, which the image does not hold", dir, dep.Name, ctr.Command[0])
			}
			seen[ctr.Command[0]] = true
			where := "manifests/" + dir + ": Deployment " + dep.Name
			for _, arg := range []string{"--metrics-bind-address=" + addrs[0], "--health-probe-bind-address=" + addrs[1]} {
				if !slices.Contains(ctr.Args, arg) {
					t.Errorf("%s: args %q lack %s (the binary's default)", where, ctr.Args, arg)
				}
			}
			ports := map[string]int32{}
			for _, p := range ctr.Ports {
				ports[p.Name] = p.ContainerPort
			}
			if want := map[string]int32{"metrics": port(t, addrs[0]), "probes": port(t, addrs[1])}; !maps.Equal(ports, want) {
				t.Errorf("%s: container ports %v, want %v", where, ports, want)
			}
			for _, p := range []*corev1.Probe{ctr.LivenessProbe, ctr.ReadinessProbe} {
				if p == nil || p.HTTPGet == nil || p.HTTPGet.Port.String() != "probes" {
					t.Errorf("%s: probe %+v, want an HTTP GET on port probes", where, p)
				}
			}
		}
	}
	if len(seen) != 2 {
		t.Errorf("the manifests run %v, want both binaries", seen)
	}
}

// TestDockerfileMatchesImageScript keeps the Dockerfile (for users with docker) and `make image`
// (hack/build-image.sh) building the same image: the same go build, the same files, user,
// entrypoint and labels, a final stage from scratch (no shell), and the Go version of go.mod.
func TestDockerfileMatchesImageScript(t *testing.T) {
	root := repoRoot(t)
	dockerfile := readFile(t, filepath.Join(root, "Dockerfile"))
	script := readFile(t, filepath.Join(root, "hack", "build-image.sh"))
	for _, s := range []string{
		`CGO_ENABLED=0`,
		`go build -trimpath -buildvcs=false`,
		`-ldflags "-s -w -X main.version=`,
		`./cmd/controller ./cmd/resolver`,
		`org.opencontainers.image.source=https://github.com/natsauth/nats-auth-operator`,
		`org.opencontainers.image.version=`,
		`/etc/ssl/certs/ca-certificates.crt`,
	} {
		for name, text := range map[string]string{"Dockerfile": dockerfile, "hack/build-image.sh": script} {
			if !strings.Contains(text, s) {
				t.Errorf("%s lacks %q", name, s)
			}
		}
	}
	for _, s := range []string{`--config.user 65532:65532`, `--config.entrypoint /controller`, `--config.workingdir /`} {
		if !strings.Contains(script, s) {
			t.Errorf("hack/build-image.sh lacks %q", s)
		}
	}
	final := dockerfile[strings.LastIndex(dockerfile, "\nFROM "):]
	for _, s := range []string{"\nFROM scratch\n", "\nUSER 65532:65532\n", "\nWORKDIR /\n", "\nENTRYPOINT [\"/controller\"]\n",
		"\nCOPY --from=build /out/controller /out/resolver /\n"} {
		if !strings.Contains(final, s) {
			t.Errorf("the Dockerfile's final stage lacks %q", strings.TrimSpace(s))
		}
	}
	if strings.Contains(final, "\nRUN ") {
		t.Error("the Dockerfile's final stage runs a command: it has no shell")
	}
	goVersion := regexp.MustCompile(`(?m)^go (\S+)$`).FindStringSubmatch(readFile(t, filepath.Join(root, "go.mod")))
	if goVersion == nil || !strings.Contains(dockerfile, "ARG GO_VERSION="+goVersion[1]+"\n") {
		t.Errorf("the Dockerfile's GO_VERSION is not go.mod's go %v", goVersion)
	}
}

// comingRelease is the release hack/version.sh prepares, which the manifests' image tag names.
func comingRelease(t *testing.T) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^next=(v\S+)$`).FindStringSubmatch(readFile(t, filepath.Join(repoRoot(t), "hack", "version.sh")))
	if m == nil {
		t.Fatal("hack/version.sh sets no next=vX.Y.Z")
	}
	return m[1]
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// kubectlBinary is ./bin/kubectl (linked by hack/install-test-deps.sh), else the one on PATH.
func kubectlBinary(t *testing.T) string {
	t.Helper()
	if p := filepath.Join(repoRoot(t), "bin", "kubectl"); isExecutable(p) {
		return p
	}
	p, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatalf("kubectl is neither in ./bin nor on PATH: %v", err)
	}
	return p
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// kustomize renders dir with kubectl's built-in kustomize, as `kubectl apply -k` would.
func kustomize(t *testing.T, dir string) [][]byte {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(kubectlBinary(t), "kustomize", dir)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kubectl kustomize %s: %v\n%s", dir, err, stderr.String())
	}
	return splitYAML(t, out)
}

// splitYAML returns the non-empty documents of a YAML stream, as JSON.
func splitYAML(t *testing.T, data []byte) [][]byte {
	t.Helper()
	var docs [][]byte
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatal(err)
		}
		js, err := yaml.YAMLToJSON(doc)
		if err != nil {
			t.Fatal(err)
		}
		if s := string(bytes.TrimSpace(js)); s != "null" && s != "{}" {
			docs = append(docs, js)
		}
	}
}

// kinds returns "Kind/name" of every document, sorted.
func kinds(t *testing.T, docs [][]byte) []string {
	t.Helper()
	var out []string
	for _, d := range docs {
		var o struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(d, &o); err != nil {
			t.Fatal(err)
		}
		out = append(out, o.Kind+"/"+o.Metadata.Name)
	}
	slices.Sort(out)
	return out
}

func deployments(t *testing.T, docs [][]byte) []appsv1.Deployment {
	t.Helper()
	var out []appsv1.Deployment
	for _, d := range docs {
		var dep appsv1.Deployment
		if err := yaml.Unmarshal(d, &dep); err != nil {
			t.Fatal(err)
		}
		if dep.Kind == "Deployment" {
			if len(dep.Spec.Template.Spec.Containers) == 0 {
				t.Fatalf("Deployment %s has no containers", dep.Name)
			}
			out = append(out, dep)
		}
	}
	return out
}

func port(t *testing.T, addr string) int32 {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.ParseInt(p, 10, 32)
	if err != nil {
		t.Fatal(err)
	}
	return int32(n)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
