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

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/test/manifests"
	"github.com/natsauth/nats-auth-operator/test/testbed"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// helmChartConfigDir is where the official NATS chart mounts its ConfigMap's nats.conf.
const helmChartConfigDir = "/etc/nats-config"

// helmValues is the part of manifests/integrations/nats-helm/values.yaml that places the
// server-config Secret into the chart's pod.
type helmValues struct {
	Config struct {
		Resolver struct {
			Enabled bool   `json:"enabled"`
			Dir     string `json:"dir"`
		} `json:"resolver"`
		Merge map[string]any `json:"merge"`
	} `json:"config"`
	Container struct {
		Patch []helmPatch `json:"patch"`
	} `json:"container"`
	PodTemplate struct {
		Patch []helmPatch `json:"patch"`
	} `json:"podTemplate"`
	NatsBox struct {
		Contexts map[string]struct {
			Creds struct {
				SecretName string `json:"secretName"`
				Key        string `json:"key"`
			} `json:"creds"`
		} `json:"contexts"`
	} `json:"natsBox"`
}

// helmPatch is one JSON-patch operation of the chart's container.patch or podTemplate.patch.
type helmPatch struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value struct {
		Name      string `json:"name"`
		MountPath string `json:"mountPath"`
		Secret    struct {
			SecretName string `json:"secretName"`
			Items      []struct {
				Key  string `json:"key"`
				Path string `json:"path"`
			} `json:"items"`
		} `json:"secret"`
	} `json:"value"`
}

// helmLayout is where values.yaml puts things in the pod.
type helmLayout struct {
	merge       map[string]any    // config.merge, which the chart merges into its nats.conf
	resolverDir string            // the chart's resolver block (its PVC)
	mountPath   string            // where the Secret is mounted
	secretName  string            // the Secret
	items       map[string]string // Secret key -> file under mountPath
	natsBoxCred [2]string         // nats-box's default context creds: Secret name, key
}

// includes returns the paths of the config.merge keys that the chart turns into include
// directives (keys ending in "$include").
func (l helmLayout) includes(t *testing.T) []string {
	t.Helper()
	var out []string
	for k, v := range l.merge {
		if strings.HasSuffix(k, "$include") {
			p, ok := v.(string)
			if !ok {
				t.Fatalf("values.yaml: config.merge.%s is %T, want a path", k, v)
			}
			out = append(out, p)
		}
	}
	return out
}

// natsConf renders nats.conf as the chart does from these values: its own keys and the
// config.merge keys in one map whose keys are emitted sorted (helm's JSON), with each
// "$include" key written as an include directive in its place. Listeners bind to 127.0.0.1 and
// absolute pod paths get root as prefix; nothing else differs.
func (l helmLayout) natsConf(t *testing.T, root string, port, monitorPort int) string {
	t.Helper()
	entries := map[string]string{
		"host":        `"host": "127.0.0.1"`,
		"port":        fmt.Sprintf(`"port": %d`, port),
		"http_port":   fmt.Sprintf(`"http_port": %d`, monitorPort),
		"server_name": `"server_name": "nats-0"`,
		"pid_file":    fmt.Sprintf(`"pid_file": %q`, filepath.Join(root, "var/run/nats/nats.pid")),
		"resolver":    fmt.Sprintf("\"resolver\": {\n    \"dir\": %q\n  }", filepath.Join(root, l.resolverDir)),
	}
	for k, v := range l.merge {
		if strings.HasSuffix(k, "$include") {
			entries[k] = fmt.Sprintf("include %s;", v)
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		entries[k] = fmt.Sprintf("%q: %s", k, b)
	}
	keys := make([]string, 0, len(entries))
	for k := range entries {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("{\n")
	for _, k := range keys {
		b.WriteString("  " + entries[k] + "\n")
	}
	b.WriteString("}\n")
	return b.String()
}

// readHelmLayout reads values.yaml and checks that it is the shape the README describes.
func readHelmLayout(t *testing.T) helmLayout {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(manifests.Dir(t, "integrations"), "nats-helm", "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var v helmValues
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("values.yaml: %v", err)
	}
	l := helmLayout{merge: v.Config.Merge, resolverDir: v.Config.Resolver.Dir, items: map[string]string{}}
	if !v.Config.Resolver.Enabled {
		t.Fatal("values.yaml: config.resolver.enabled is not true, so the chart gives the resolver no PVC")
	}
	if l.resolverDir == "" {
		l.resolverDir = "/data/resolver" // the chart's default
	}
	for _, p := range v.Container.Patch {
		if p.Op == "add" && p.Path == "/volumeMounts/-" {
			l.mountPath = p.Value.MountPath
			for _, q := range v.PodTemplate.Patch {
				if q.Op == "add" && q.Path == "/spec/volumes/-" && q.Value.Name == p.Value.Name {
					l.secretName = q.Value.Secret.SecretName
					for _, it := range q.Value.Secret.Items {
						l.items[it.Key] = it.Path
					}
				}
			}
		}
	}
	if l.mountPath == "" || l.secretName == "" {
		t.Fatalf("values.yaml mounts no Secret volume into the nats container (mount %q, Secret %q)", l.mountPath, l.secretName)
	}
	if c, ok := v.NatsBox.Contexts["default"]; ok {
		l.natsBoxCred = [2]string{c.Creds.SecretName, c.Creds.Key}
	}
	return l
}

// helmResolverDirLine is the resolver dir line of a rendered auth.conf.
var helmResolverDirLine = regexp.MustCompile(`(?m)^\s*dir:\s*"?([^"\n]*)"?\s*$`)

// TestWalkthroughHelm checks the README's helm walkthrough as far as it can run here: helm and
// the official chart cannot be installed on these machines (the chart's source is not served
// by the Go module proxy), so the test takes the pod layout from
// manifests/integrations/nats-helm/values.yaml itself (the include in config.merge, the Secret
// volume and mount from the JSON patches, the chart's resolver PVC, nats-box's creds) and
// builds that file tree under a temporary root: the chart's nats.conf in /etc/nats-config with
// its own keys (a bare resolver block among them) and the include in the sorted order helm
// emits them, so an include key that sorts before "resolver" fails here as it does in the pod,
// and the Secret's items from the examples' operator nats/main under the mount path. It proves: values.yaml names the Secret the examples
// render, includes its auth.conf by a path that resolves from the chart's config dir, and keeps
// the resolver on the chart's PVC; a real nats-server starts from that tree; the resolver binary
// pushes the examples' accounts into the PVC directory; the example user apps/api connects and
// its allowed publish is delivered; nats-box's creds Secret exists and connects.
func TestWalkthroughHelm(t *testing.T) {
	section := readmeSection(t, readmeIntegrationsHeading)
	if !strings.Contains(section, "TestWalkthroughHelm") {
		t.Fatal("the README's helm walkthrough does not name TestWalkthroughHelm")
	}
	layout := readHelmLayout(t)
	op := applyExamples(t)
	if layout.secretName != op.Status.ServerConfigSecret {
		t.Fatalf("values.yaml mounts Secret %q, the examples' operator renders %q", layout.secretName, op.Status.ServerConfigSecret)
	}
	includes := layout.includes(t)
	if len(includes) != 1 {
		t.Fatalf("values.yaml includes %v, want one file", includes)
	}
	// nats-server resolves an include against the including file's directory.
	included := path.Join(helmChartConfigDir, includes[0])
	key := ""
	for k, p := range layout.items {
		if path.Join(layout.mountPath, p) == included {
			key = k
		}
	}
	if key != naming.AuthConf {
		t.Fatalf("values.yaml includes %s, which is Secret key %q, want auth.conf", included, key)
	}

	// The pod's file tree under root; the only change is that absolute pod paths get root
	// as prefix (in the chart's nats.conf and in auth.conf's resolver dir).
	root := t.TempDir()
	secret := suite.GetSecret(t, examplesNamespace, layout.secretName)
	for k, p := range layout.items {
		file := filepath.Join(root, layout.mountPath, p)
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		data := secret.Data[k]
		if k == naming.AuthConf {
			m := helmResolverDirLine.FindAllStringSubmatch(string(data), -1)
			if len(m) != 1 || m[0][1] != layout.resolverDir {
				t.Fatalf("auth.conf's resolver dir lines %v, want one naming the chart's PVC %s", m, layout.resolverDir)
			}
			data = []byte(helmResolverDirLine.ReplaceAllString(string(data),
				"  dir: "+strings.ReplaceAll(strconv.Quote(filepath.Join(root, layout.resolverDir)), "$", "$$")))
		}
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ports, err := testbed.FreePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	conf := layout.natsConf(t, root, ports[0], ports[1])
	confPath := filepath.Join(root, helmChartConfigDir, "nats.conf")
	for _, d := range []string{filepath.Dir(confPath), filepath.Join(root, "var/run/nats")} { // the pid file's emptyDir
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	bin, err := testbed.BinPath(testbed.NatsServerBinary)
	if err != nil {
		t.Fatal(err)
	}
	proc, err := testbed.StartProcess(testbed.ProcessOptions{Name: "nats-server", Path: bin, Args: []string{"-c", confPath},
		LogPath: filepath.Join(t.TempDir(), "nats-server.log")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proc.Stop)
	ctx, cancel := context.WithTimeout(suite.Context(t), 30*time.Second)
	defer cancel()
	if err := proc.WaitHTTP(ctx, fmt.Sprintf("http://127.0.0.1:%d/healthz", ports[1])); err != nil {
		t.Fatalf("nats-server did not start from the chart's layout: %v\n%s\n%s", err, conf, proc.LogTail(30))
	}
	url := fmt.Sprintf("nats://127.0.0.1:%d", ports[0])

	startExamplesResolver(t, url)
	orders := suite.WaitAccountReady(t, examplesNamespace, "orders")
	if _, err := os.Stat(filepath.Join(root, layout.resolverDir, orders.Status.PublicKey+".jwt")); err != nil {
		t.Errorf("the pushed account is not on the chart's resolver PVC: %v", err)
	}

	nc, err := testbed.ConnectCreds(url, suite.GetSecret(t, "apps", "api").Data[naming.UserCreds])
	if err != nil {
		t.Fatalf("apps/api: %v", err)
	}
	defer nc.Close()
	sub, err := nc.SubscribeSync("orders.api.>")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Publish("orders.api.hello", []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if _, err := sub.NextMsg(5 * time.Second); err != nil {
		t.Fatalf("apps/api's allowed publish was not delivered: %v", err)
	}

	if name, k := layout.natsBoxCred[0], layout.natsBoxCred[1]; name != "" {
		box, err := testbed.ConnectCreds(url, suite.GetSecret(t, examplesNamespace, name).Data[k])
		if err != nil {
			t.Fatalf("nats-box's creds (Secret %s/%s key %s): %v", examplesNamespace, name, k, err)
		}
		box.Close()
	}
}
