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
	"bytes"
	"strings"
	"testing"

	"github.com/natsauth/nats-auth-operator/test/manifests"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestManifestsServerDryRun proves the API server accepts every rendered object, with the CRDs'
// schemas and CEL rules applied to the examples: `kubectl apply --dry-run=server -k` of the
// base, the overlay, the examples and their resolver. Their namespaces are created for real
// first, because a dry run of a Namespace does not create it for the objects that follow.
func TestManifestsServerDryRun(t *testing.T) {
	for _, dir := range []string{"default", "overlays/example", "examples", "examples/resolver"} {
		t.Run(strings.ReplaceAll(dir, "/", "-"), func(t *testing.T) {
			path := manifests.Dir(t, dir)
			objs := manifests.Kustomize(t, path)
			ensureNamespaces(t, manifests.NamespacesOf(objs)...)
			out := suite.Kubectl(t, nil, "apply", "--dry-run=server", "-k", path)
			var accepted int
			for line := range bytes.Lines(out) {
				if bytes.Contains(line, []byte("(server dry run)")) {
					accepted++
				}
			}
			if accepted != len(objs) {
				t.Errorf("the server accepted %d of %d objects:\n%s", accepted, len(objs), out)
			}
		})
	}
}
