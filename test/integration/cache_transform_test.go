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
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/credscache"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestCacheTransformsKeepTheAPIObjects: what the controller's caches leave out never reaches
// the apiserver. A NatsUser applied with kubectl keeps its last-applied-configuration annotation
// and its labels through the controller's status writes (the cache drops the annotation and
// shares label maps); its creds Secret holds the whole data, whose digest status records (the
// cache keeps only the digest and the JWT's claims).
func TestCacheTransformsKeepTheAPIObjects(t *testing.T) {
	suite.StartControllers(t)
	ns := controlPlane.NewNamespace(t)
	ctx := suite.Context(t)
	suite.CreateOperator(t, ns, "main", nil)
	readyAccount(t, ns, "orders", "main")
	const applied = `{"apiVersion":"natsauth.io/v1alpha1","kind":"NatsUser"}`
	users := suite.NatsClient(t).NatsauthV1alpha1().NatsUsers(ns)
	for _, name := range []string{"api", "web"} {
		u := newUser(ns, name, natsv1alpha1.NatsAccountReference{Name: "orders"})
		u.Labels = map[string]string{"team": "orders"}
		u.Annotations = map[string]string{"kubectl.kubernetes.io/last-applied-configuration": applied}
		if _, err := users.Create(ctx, u, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"api", "web"} {
		got := suite.WaitUserReady(t, ns, name)
		if got.Annotations["kubectl.kubernetes.io/last-applied-configuration"] != applied || got.Labels["team"] != "orders" {
			t.Errorf("%s: metadata after the status writes: labels %v annotations %v", name, got.Labels, got.Annotations)
		}
		s := suite.GetSecret(t, ns, got.Status.SecretName)
		if credscache.IsCompact(s) || len(s.Data) != 3 || got.Status.CredsDigest != credscache.Digest(s.Data) {
			t.Errorf("%s: Secret data keys %d, status.credsDigest %q, digest of the data %q", name, len(s.Data), got.Status.CredsDigest, credscache.Digest(s.Data))
		}
	}
}
