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
	"k8s.io/client-go/util/retry"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// TestUserRestartKeepsKey: the controller crashes after writing the creds Secret and before
// writing the status (simulated by stopping it and wiping the status). The restarted controller
// adopts the key and the JWT in the Secret: same public key, no new JWT, no Secret write.
func TestUserRestartKeepsKey(t *testing.T) {
	stop := suite.StartControllers(t)
	e := newUserEnv(t)
	ns := controlPlane.NewNamespace(t)
	acc := e.prepareAccount(ns, "orders", natsv1alpha1.NatsAccountSpec{}, accountSetup{})
	e.createUser(newUser(ns, "survivor", acc.ref(), func(u *natsv1alpha1.NatsUser) {
		u.Spec.Permissions = &natsv1alpha1.Permissions{Pub: &natsv1alpha1.PublishPermission{Allow: []natsv1alpha1.Subject{"orders.>"}}}
	}))
	before := e.waitReady(ns, "survivor")
	secretBefore := e.mustSecret(ns, "survivor")
	stop()

	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		u, err := e.getUser(ns, "survivor")
		if err != nil {
			return err
		}
		u.Status = natsv1alpha1.NatsUserStatus{}
		_, err = e.nats.NatsauthV1alpha1().NatsUsers(ns).UpdateStatus(e.ctx, u, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatalf("wipe status: %v", err)
	}

	suite.StartControllers(t)
	after := e.waitReady(ns, "survivor")
	if after.Status.PublicKey != before.Status.PublicKey {
		t.Errorf("a restart made a second key: %s -> %s", before.Status.PublicKey, after.Status.PublicKey)
	}
	if !after.Status.IssuedAt.Equal(before.Status.IssuedAt) || after.Status.ClaimsHash != before.Status.ClaimsHash ||
		after.Status.RevokedBefore != nil {
		t.Errorf("status not recovered from the Secret: before %+v, after %+v", before.Status, after.Status)
	}
	if s := e.mustSecret(ns, "survivor"); s.ResourceVersion != secretBefore.ResourceVersion {
		t.Errorf("the restart rewrote the Secret")
	}
}
