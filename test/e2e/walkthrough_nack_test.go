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
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/test/manifests"
	"github.com/natsauth/nats-auth-operator/test/testbed"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// nackWalkthrough is the README's NACK walkthrough, as the README shows it.
var nackWalkthrough = []string{
	`kubectl apply -f manifests/integrations/nack-account.yaml`,
	`kubectl wait --for=condition=Ready -n apps nu/orders-nack --timeout=60s`,
}

// nackCRDs stands in for NACK's CustomResourceDefinitions (jetstream.nats.io/v1beta2 Account
// and Stream), which are not available here: NACK's module is not served by the Go module proxy
// this project builds its tools from. It declares the fields NACK's own CRDs define for what
// manifests/integrations/nack-account.yaml sets, and nothing else, so that a misspelt or unknown
// field is refused by `kubectl apply` (strict field validation) as NACK's CRDs would refuse it.
const nackCRDs = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: accounts.jetstream.nats.io
spec:
  group: jetstream.nats.io
  scope: Namespaced
  names: {kind: Account, singular: account, plural: accounts}
  versions:
  - name: v1beta2
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              name: {type: string}
              servers: {type: array, items: {type: string}}
              creds:
                type: object
                properties:
                  secret: {type: object, properties: {name: {type: string}}}
                  file: {type: string}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: streams.jetstream.nats.io
spec:
  group: jetstream.nats.io
  scope: Namespaced
  names: {kind: Stream, singular: stream, plural: streams}
  versions:
  - name: v1beta2
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              name: {type: string}
              subjects: {type: array, items: {type: string}}
              storage: {type: string, enum: [file, memory]}
              replicas: {type: integer}
              maxBytes: {type: integer}
              account: {type: string}
`

var (
	nackAccountsGVR = schema.GroupVersionResource{Group: "jetstream.nats.io", Version: "v1beta2", Resource: "accounts"}
	nackStreamsGVR  = schema.GroupVersionResource{Group: "jetstream.nats.io", Version: "v1beta2", Resource: "streams"}
)

// TestWalkthroughNACK runs the README's NACK walkthrough: it applies
// manifests/integrations/nack-account.yaml (only its server URL rewritten to the loopback
// nats-server) with kubectl on top of the examples, waits for its NatsUser, and then does what
// NACK's jetstream-controller does for the Stream in it: read the Stream's Account and the
// Secret that Account names from the Stream's namespace, connect to the Account's servers with
// the Secret's creds file, and create the stream. It proves that the generated user.creds and
// the permissions the manifest grants are enough to manage streams of the account on a real
// JetStream server in operator mode (the stream is then seen by the account's JetStream admin),
// and that a user without them (the example apps/api) is refused. NACK itself is not run: its
// module is not served by the Go module proxy (see nackCRDs).
func TestWalkthroughNACK(t *testing.T) {
	section := readmeSection(t, readmeIntegrationsHeading)
	block := readmeBlock(t, section, "TestWalkthroughNACK")
	if got, want := strings.Join(block, "\n"), strings.Join(nackWalkthrough, "\n"); got != want {
		t.Fatalf("the README's NACK walkthrough is not what this test runs:\n--- README\n%s\n--- test\n%s", got, want)
	}
	crdDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(crdDir, "nack.yaml"), []byte(nackCRDs), 0o600); err != nil {
		t.Fatal(err)
	}
	controlPlane.InstallCRDs(t, crdDir)
	sys := startWalkthroughSystem(t)

	// The shell runs in a copy of the repository's manifests/integrations whose only change is
	// the server URL, so the README's relative path and command stay as they are.
	sh := newWalkthroughShell(t, nil, filepath.Dir(manifests.KubectlBinary(t)))
	manifest, err := os.ReadFile(filepath.Join(manifests.Dir(t, "integrations"), "nack-account.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(manifest), readmeNatsURL) {
		t.Fatalf("nack-account.yaml does not name %s", readmeNatsURL)
	}
	manifest = []byte(strings.ReplaceAll(string(manifest), readmeNatsURL, sys.nats.ClientURL()))
	if err := os.MkdirAll(filepath.Join(sh.dir, "manifests", "integrations"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sh.dir, "manifests", "integrations", "nack-account.yaml"), manifest, 0o600); err != nil {
		t.Fatal(err)
	}
	// The examples' namespaces are shared with other tests: remove what the walkthrough added
	// while the controller still runs (the NatsUser's finalizer needs it).
	t.Cleanup(func() {
		if out, err := sh.run("kubectl delete --ignore-not-found --timeout=30s -f manifests/integrations/nack-account.yaml"); err != nil {
			t.Errorf("deleting the NACK walkthrough's objects: %v\n%s", err, out)
		}
	})
	for _, line := range nackWalkthrough {
		if out, err := sh.run(line); err != nil {
			t.Fatalf("%s: %v\n%s", line, err, out)
		}
	}

	ctx, cancel := context.WithTimeout(suite.Context(t), 30*time.Second)
	defer cancel()
	dyn, err := dynamic.NewForConfig(controlPlane.Config())
	if err != nil {
		t.Fatal(err)
	}
	stream, err := dyn.Resource(nackStreamsGVR).Namespace("apps").Get(ctx, "orders-events", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the manifest's Stream: %v", err)
	}
	conn := nackConnection(t, ctx, dyn, stream)
	if err := nackCreateStream(ctx, conn, stream, 10*time.Second); err != nil {
		t.Fatalf("creating the Stream as NACK does: %v", err)
	}

	// The stream exists on the server, in account orders: its JetStream admin sees it.
	admin, err := testbed.ConnectCreds(sys.nats.ClientURL(), suite.GetSecret(t, examplesNamespace, "orders-jetstream-admin").Data[naming.UserCreds])
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	js, err := jetstream.New(admin)
	if err != nil {
		t.Fatal(err)
	}
	s, err := js.Stream(ctx, "ORDERS_EVENTS")
	if err != nil {
		t.Fatalf("the stream is not on the server: %v", err)
	}
	if cfg := s.CachedInfo().Config; strings.Join(cfg.Subjects, ",") != "orders.events.>" || cfg.Storage != jetstream.FileStorage || cfg.MaxBytes != 104857600 {
		t.Errorf("stream config %+v, want the Stream's subjects, storage and maxBytes", cfg)
	}

	// Without $JS.API.> the same steps fail: apps/api of the examples may not use the API.
	errs := make(chan error, 10)
	api, err := testbed.ConnectCreds(sys.nats.ClientURL(), suite.GetSecret(t, "apps", "api").Data[naming.UserCreds],
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { errs <- err }))
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	// The server answers a refused request with nothing, so the refusal is the -ERR that reaches
	// the error handler (asynchronously; a loaded machine may deliver it late), not a timeout.
	reqCtx, cancelReq := context.WithCancel(ctx)
	defer cancelReq()
	created := make(chan error, 1)
	go func() { created <- nackCreateStream(reqCtx, api, stream, 30*time.Second) }()
	var violation error
	select {
	case violation = <-errs:
	case <-time.After(10 * time.Second):
	}
	cancelReq()
	if err := <-created; err == nil {
		t.Fatal("apps/api, which lacks $JS.API.>, created a stream")
	}
	switch {
	case violation == nil:
		t.Error("apps/api got no permissions violation from the server")
	case !errors.Is(violation, nats.ErrPermissionViolation) || !strings.Contains(violation.Error(), "$JS.API.STREAM."):
		t.Errorf("apps/api was refused with %v, want a permissions violation on the JetStream API", violation)
	}
}

// nackConnection connects as NACK does for a Stream whose spec.account names an Account: the
// Account and the Secret it names are read from the Stream's namespace, the Secret's key
// spec.creds.file is written to a private file, and the connection goes to spec.servers.
func nackConnection(t *testing.T, ctx context.Context, dyn dynamic.Interface, stream *unstructured.Unstructured) *nats.Conn {
	t.Helper()
	ns := stream.GetNamespace()
	accountName, _, _ := unstructured.NestedString(stream.Object, "spec", "account")
	account, err := dyn.Resource(nackAccountsGVR).Namespace(ns).Get(ctx, accountName, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the Stream's Account %q in %s: %v", accountName, ns, err)
	}
	servers, _, _ := unstructured.NestedStringSlice(account.Object, "spec", "servers")
	secretName, _, _ := unstructured.NestedString(account.Object, "spec", "creds", "secret", "name")
	file, _, _ := unstructured.NestedString(account.Object, "spec", "creds", "file")
	creds := suite.GetSecret(t, ns, secretName).Data[file]
	if len(creds) == 0 {
		t.Fatalf("Secret %s/%s has no key %q", ns, secretName, file)
	}
	path := filepath.Join(t.TempDir(), file)
	if err := os.WriteFile(path, creds, 0o600); err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(strings.Join(servers, ","), nats.UserCredentials(path), nats.Timeout(5*time.Second))
	if err != nil {
		t.Fatalf("connecting with the Account's creds to %v: %v", servers, err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// nackCreateStream creates the JetStream stream a NACK Stream describes, waiting at most timeout.
func nackCreateStream(ctx context.Context, nc *nats.Conn, stream *unstructured.Unstructured, timeout time.Duration) error {
	name, _, _ := unstructured.NestedString(stream.Object, "spec", "name")
	subjects, _, _ := unstructured.NestedStringSlice(stream.Object, "spec", "subjects")
	storage, _, _ := unstructured.NestedString(stream.Object, "spec", "storage")
	replicas, _, _ := unstructured.NestedInt64(stream.Object, "spec", "replicas")
	maxBytes, _, _ := unstructured.NestedInt64(stream.Object, "spec", "maxBytes")
	cfg := jetstream.StreamConfig{Name: name, Subjects: subjects, Replicas: int(replicas), MaxBytes: maxBytes,
		Storage: jetstream.MemoryStorage}
	if storage == "file" {
		cfg.Storage = jetstream.FileStorage
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_, err = js.CreateOrUpdateStream(ctx, cfg)
	if err != nil && errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("no answer from the JetStream API (a permissions violation drops the request): %w", err)
	}
	return err
}
