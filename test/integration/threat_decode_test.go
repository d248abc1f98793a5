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
	"fmt"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestUndecodableValueCannotStopOtherTenants: for every field whose Go type can refuse a value
// an earlier schema admitted (one such stored object failed the informer's list of every
// NatsUser, NatsAccount or NatsOperator), whoever may write the field tries the value on create
// and on update; both are refused with a message naming the field, and a fresh user of another
// tenant still becomes Ready afterwards.
func TestUndecodableValueCannotStopOtherTenants(t *testing.T) {
	e := newThreatEnv(t)
	e.account("orders", "*")
	e.createUser(e.alice, e.tenant, "probe", natsv1alpha1.NatsAccountReference{Namespace: e.platform, Name: "orders"}, "")
	suite.WaitUserReady(t, e.tenant, "probe")
	admin := identity{name: "admin", nats: suite.NatsClient(t), kube: controlPlane.KubeClient()}
	other := controlPlane.NewNamespace(t)

	userBase := fmt.Sprintf(`"accountRef":{"namespace":%q,"name":"orders"}`, e.platform)
	cases := []struct {
		field    string
		who      identity
		resource string
		ns, name string // the existing object the update goes to
		base     string // fields the created object needs besides spec
		spec     string // the spec fragment with the bad value
	}{
		{"ttl", e.alice, "natsusers", e.tenant, "probe", userBase, `"permissions":{"resp":{"ttl":"banana"}}`},
		{"validFor", e.alice, "natsusers", e.tenant, "probe", userBase, `"validFor":"1d"`},
		{"expiration", e.alice, "natsusers", e.tenant, "probe", userBase, `"expiration":"2030-01-01t00:00:00z"`},
		{"maxMsgs", e.alice, "natsusers", e.tenant, "probe", userBase, `"permissions":{"resp":{"maxMsgs":2147483648}}`},
		{"ttl", e.bob, "natsaccounts", e.platform, "orders", `"operatorRef":{"name":"main"}`, `"defaultPermissions":{"resp":{"ttl":"-1s"}}`},
		{"responseThreshold", e.bob, "natsaccounts", e.platform, "orders", `"operatorRef":{"name":"main"}`,
			`"exports":[{"subject":"svc.probe","type":"service","responseThreshold":"banana"}]`},
		{"accountTokenPosition", e.bob, "natsaccounts", e.platform, "orders", `"operatorRef":{"name":"main"}`,
			`"exports":[{"subject":"svc.*","type":"service","accountTokenPosition":4294967296}]`},
		{"maxUserLifetime", e.bob, "natsaccounts", e.platform, "orders", `"operatorRef":{"name":"main"}`, `"maxUserLifetime":"30d"`},
		{"expiration", e.bob, "natsaccounts", e.platform, "orders", `"operatorRef":{"name":"main"}`, `"expiration":"2030-01-01 00:00:00Z"`},
		{"ttl", e.bob, "natsaccounts", e.platform, "orders", `"operatorRef":{"name":"main"}`,
			`"signingKeys":[{"name":"scoped","scope":{"template":{"permissions":{"resp":{"ttl":"5 s"}}}}}]`},
		{"interval", admin, "natsoperators", e.platform, "main", `"resolver":{"type":"full"}`, `"resolver":{"interval":"banana"}`},
		{"timeout", admin, "natsoperators", e.platform, "main", `"resolver":{"type":"full"}`, `"resolver":{"timeout":"-1s"}`},
		{"ttl", admin, "natsoperators", e.platform, "main", `"resolver":{"type":"cache"}`, `"resolver":{"type":"cache","ttl":"1h30"}`},
	}
	for i, tc := range cases {
		t.Run(tc.resource+"/"+tc.spec, func(t *testing.T) {
			kind := map[string]string{"natsusers": "NatsUser", "natsaccounts": "NatsAccount", "natsoperators": "NatsOperator"}[tc.resource]
			body := fmt.Sprintf(`{"apiVersion":%q,"kind":%q,"metadata":{"generateName":"bad-"},"spec":{%s,%s}}`,
				natsv1alpha1.SchemeGroupVersion.String(), kind, tc.base, tc.spec)
			rc := tc.who.nats.NatsauthV1alpha1().RESTClient()
			created := rc.Post().Namespace(tc.ns).Resource(tc.resource).Body([]byte(body)).Do(e.ctx).Error()
			updated := rc.Patch(types.MergePatchType).Namespace(tc.ns).Resource(tc.resource).Name(tc.name).
				Body([]byte(`{"spec":{` + tc.spec + `}}`)).Do(e.ctx).Error()
			for what, err := range map[string]error{"create": created, "update": updated} {
				if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), tc.field) {
					t.Errorf("%s %s as %s: got %v, want Invalid naming %s", what, tc.resource, tc.who.name, err, tc.field)
				}
			}
			name := fmt.Sprintf("fresh-%d", i)
			u := newUser(other, name, natsv1alpha1.NatsAccountReference{Namespace: e.platform, Name: "orders"})
			if _, err := admin.nats.NatsauthV1alpha1().NatsUsers(other).Create(e.ctx, u, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			suite.WaitUserReady(t, other, name)
		})
	}
}
