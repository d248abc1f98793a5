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

package user

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/controllerutil"
)

// updateStatus writes status when it differs from what user (the object read at the start of
// the sync, with the finalizer patch's resourceVersion) carries. Equal status means no write, so
// a resync of a converged user does not produce an update event that syncs it again.
func (c *Controller) updateStatus(ctx context.Context, user *natsv1alpha1.NatsUser, status *natsv1alpha1.NatsUserStatus) error {
	if equality.Semantic.DeepEqual(&user.Status, status) {
		return nil
	}
	updated := user.DeepCopy()
	updated.Status = *status
	written, err := c.natsClient.NatsauthV1alpha1().NatsUsers(user.Namespace).UpdateStatus(ctx, updated,
		metav1.UpdateOptions{FieldManager: controllerutil.FieldManager})
	if err != nil {
		return fmt.Errorf("update status: %w", err)
	}
	c.superseded.Record(cache.MetaObjectToName(user), user.ResourceVersion)
	user.ResourceVersion = written.ResourceVersion
	return nil
}
