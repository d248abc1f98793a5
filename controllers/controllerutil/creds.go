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

package controllerutil

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
)

// ReleaseCredsSecret removes naming.SecretFinalizer from a creds Secret whose key needs no
// revoking any more, then deletes it unless it is being deleted already (UID precondition: only
// the Secret that was looked at). s is the cached object and is not modified. The finalizer goes
// first because its patch carries s's resourceVersion, which the delete would move.
func ReleaseCredsSecret(ctx context.Context, client kubernetes.Interface, s *corev1.Secret) error {
	err := controllerhelpers.RemoveFinalizer(ctx, s, naming.SecretFinalizer, FieldManager, SecretPatcher(client, s.Namespace))
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("release creds Secret %s/%s: %w", s.Namespace, s.Name, err)
	}
	if s.DeletionTimestamp != nil {
		return nil
	}
	err = client.CoreV1().Secrets(s.Namespace).Delete(ctx, s.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &s.UID}})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete creds Secret %s/%s: %w", s.Namespace, s.Name, err)
	}
	return nil
}

// SecretPatcher is the finalizer patch function for Secrets of one namespace.
func SecretPatcher(client kubernetes.Interface, namespace string) controllerhelpers.PatchFunc {
	return func(ctx context.Context, name string, pt types.PatchType, data []byte, opts metav1.PatchOptions, sub ...string) error {
		_, err := client.CoreV1().Secrets(namespace).Patch(ctx, name, pt, data, opts, sub...)
		return err
	}
}
