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
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/test/manifests"
	"github.com/natsauth/nats-auth-operator/test/testbed"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// The README's integration walkthroughs start from `kubectl apply -k manifests/examples` and
// address the cluster's NATS service by this URL; the tests run the same commands against a
// loopback nats-server instead, and change nothing else but the kubeconfig.
const (
	readmeNatsURL     = "nats://nats.nats.svc:4222"
	examplesNamespace = "nats"
	examplesOperator  = "main"
)

// walkthroughSystem is the system the README's walkthroughs assume: manifests/examples applied
// (in their fixed namespaces nats and apps), the controller and the resolver running, and a
// JetStream-enabled nats-server configured from the rendered nats/main-server-config auth.conf.
type walkthroughSystem struct {
	nats *testbed.NatsServer
}

// startWalkthroughSystem brings the examples' system up and returns once the examples' accounts
// are on the server.
func startWalkthroughSystem(t *testing.T) *walkthroughSystem {
	t.Helper()
	op := applyExamples(t)
	auth := string(suite.GetSecret(t, examplesNamespace, op.Status.ServerConfigSecret).Data[naming.AuthConf])
	// Only the resolver directory changes: the examples name the helm chart's volume
	// (/data/resolver). The JetStream maxima are explicit because the example account reserves
	// 10 GiB of disk, and JetStream refuses an account that reserves more than the server has.
	srv := testbed.StartNatsServer(t, testbed.NatsOptions{
		ConfigText: suite.ResolverPerServerJWTDir(t, auth),
		ExtraConfig: fmt.Sprintf("jetstream {\n  store_dir: %s\n  max_memory_store: 1GB\n  max_file_store: 16GB\n}",
			strconv.Quote(filepath.Join(t.TempDir(), "jetstream"))),
	})
	startExamplesResolver(t, srv.ClientURL())
	return &walkthroughSystem{nats: srv}
}

// applyExamples runs the controller, applies manifests/examples and returns their NatsOperator
// once it is Ready.
func applyExamples(t *testing.T) *natsv1alpha1.NatsOperator {
	t.Helper()
	suite.StartControllers(t)
	suite.Kubectl(t, nil, "apply", "-k", manifests.Dir(t, "examples"))
	return suite.WaitOperatorReady(t, examplesNamespace, examplesOperator)
}

// startExamplesResolver runs the resolver of the examples' operator against natsURL with its
// generated creds, and returns once the examples' accounts are on the server.
func startExamplesResolver(t *testing.T, natsURL string) {
	t.Helper()
	credsFile := filepath.Join(t.TempDir(), "resolver.creds")
	creds := suite.GetSecret(t, examplesNamespace, naming.ResolverCredsSecret(examplesOperator)).Data[naming.UserCreds]
	if err := os.WriteFile(credsFile, creds, 0o600); err != nil {
		t.Fatal(err)
	}
	suite.StartResolver(t, examplesNamespace, examplesOperator, natsURL, credsFile)
	for _, name := range []string{"orders", "billing"} {
		waitAccountPushed(t, examplesNamespace, name)
	}
}

// waitAccountPushed waits until the server acknowledged the account's current JWT.
func waitAccountPushed(t *testing.T, ns, name string) {
	t.Helper()
	ctx := suite.Context(t)
	suite.WaitFor(t, ctx, "account "+ns+"/"+name+" is pushed", func() bool {
		a, err := suite.NatsClient(t).NatsauthV1alpha1().NatsAccounts(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false
		}
		c := meta.FindStatusCondition(a.Status.Conditions, natsv1alpha1.ConditionPushed)
		return c != nil && c.Status == metav1.ConditionTrue && a.Status.ClaimsHash != "" &&
			a.Status.PushedClaimsHash == a.Status.ClaimsHash
	})
}

// toolBinary returns ./bin/<name> (installed by hack/install-test-deps.sh). Without it the test
// is skipped on a developer's machine, but fails in CI (CI set), where a missing tool is a
// broken install step and not a reason to run less.
func toolBinary(t *testing.T, name string) string {
	t.Helper()
	p, err := testbed.BinPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%v", err)
	}
	t.Skipf("skipping: %v", err)
	return ""
}

// readmeSection returns the README section that starts with the heading and ends before the
// next heading of the same or a higher level.
func readmeSection(t *testing.T, heading string) string {
	t.Helper()
	root, err := testbed.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	start := strings.Index(text, "\n"+heading+"\n")
	if start < 0 {
		t.Fatalf("README.md has no heading %q", heading)
	}
	level := strings.Index(heading, " ")
	rest := text[start+len(heading)+2:]
	for i := 0; i < len(rest); {
		line, _, _ := strings.Cut(rest[i:], "\n")
		if strings.HasPrefix(line, "#") {
			if n := strings.Index(line, " "); n > 0 && n <= level && strings.Trim(line[:n], "#") == "" {
				return rest[:i]
			}
		}
		i += len(line) + 1
	}
	return rest
}

// readmeBlock returns the lines of the fenced code block in section that directly follows the
// line holding marker (such as a test's name), without the fences.
func readmeBlock(t *testing.T, section, marker string) []string {
	t.Helper()
	i := strings.Index(section, marker)
	if i < 0 {
		t.Fatalf("the README section names no %q", marker)
	}
	rest := section[i:]
	open := strings.Index(rest, "\n```")
	if open < 0 {
		t.Fatalf("no code block after %q in the README", marker)
	}
	body := rest[open+4:]
	body = body[strings.Index(body, "\n")+1:]
	end := strings.Index(body, "```")
	if end < 0 {
		t.Fatalf("unterminated code block after %q in the README", marker)
	}
	return strings.Split(strings.TrimRight(body[:end], "\n"), "\n")
}
