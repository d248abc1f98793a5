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
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/controllerutil"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
)

// credsSecretsByUser maps "namespace/name" to the creds Secrets whose controller reference names
// a NatsUser of that name, so a gone user's Secrets are found without listing its namespace.
// Secrets named after their user, nearly all of them, are left out and found by name
// (credsSecretsOf), as in usersByCredsSecret.
const credsSecretsByUser = "credsSecretsByUser"

// credsOwnerIndex is the index function of credsSecretsByUser.
func credsOwnerIndex(obj any) ([]string, error) {
	s, ok := obj.(*corev1.Secret)
	if !ok || s.Labels[naming.LabelSecretType] != naming.SecretTypeCreds {
		return nil, nil
	}
	if ref := userRef(s); ref != nil && ref.Name != s.Name {
		return []string{naming.Key(s.Namespace, ref.Name)}, nil
	}
	return nil, nil
}

// credsSecretsOf are the creds Secrets whose controller reference names the NatsUser key.
func (c *Controller) credsSecretsOf(key cache.ObjectName) ([]*corev1.Secret, error) {
	objs, err := c.secretIndexer.ByIndex(credsSecretsByUser, naming.Key(key.Namespace, key.Name))
	if err != nil {
		return nil, err
	}
	var out []*corev1.Secret
	for _, obj := range objs {
		if s, ok := obj.(*corev1.Secret); ok {
			out = append(out, s)
		}
	}
	if s, err := c.secrets.Secrets(key.Namespace).Get(key.Name); err == nil && s.Labels[naming.LabelSecretType] == naming.SecretTypeCreds {
		if ref := userRef(s); ref != nil && ref.Name == key.Name {
			out = append(out, s)
		}
	}
	return out, nil
}

// userRef is a Secret's controller reference when it names a NatsUser.
func userRef(s *corev1.Secret) *metav1.OwnerReference {
	ref := metav1.GetControllerOf(s)
	if ref == nil || ref.Kind != "NatsUser" || ref.APIVersion != natsv1alpha1.SchemeGroupVersion.String() {
		return nil
	}
	return ref
}

// releaseOrphans releases the creds Secrets of the gone NatsUser key whose account key no
// NatsAccount holds: no account can revoke that key, so nothing would ever remove the
// finalizer. Secrets of a known account key are the account controller's to release once
// revoked.
func (c *Controller) releaseOrphans(ctx context.Context, key cache.ObjectName) error {
	secrets, err := c.credsSecretsOf(key)
	if err != nil {
		return err
	}
	for _, s := range secrets {
		if !slices.Contains(s.Finalizers, naming.SecretFinalizer) || c.accountKnown(s.Labels[naming.LabelAccountKey]) {
			continue
		}
		if err := controllerutil.ReleaseCredsSecret(ctx, c.kubeClient, s); err != nil {
			return err
		}
		klog.FromContext(ctx).V(2).Info("Released creds Secret of a gone user whose account key no NatsAccount holds",
			"secret", s.Name, "accountKey", s.Labels[naming.LabelAccountKey])
	}
	return nil
}

// accountKnown reports whether a NatsAccount has the public key pub.
func (c *Controller) accountKnown(pub string) bool {
	if pub == "" {
		return false
	}
	objs, err := c.accountIndexer.ByIndex(naming.AccountsByPublicKey, pub)
	return err != nil || len(objs) > 0
}

// orphanOwners are the gone NatsUsers whose creds Secrets record a key of the account key pub:
// once no NatsAccount holds that key, their syncs release the Secrets (releaseOrphans).
func (c *Controller) orphanOwners(pub string) []cache.ObjectName {
	if pub == "" {
		return nil
	}
	objs, _ := c.secretIndexer.ByIndex(naming.CredsSecretsByAccountKey, pub)
	var keys []cache.ObjectName
	for _, obj := range objs {
		s, ok := obj.(*corev1.Secret)
		if !ok {
			continue
		}
		if ref := userRef(s); ref != nil {
			if _, live := c.controllingUser(s); !live {
				keys = append(keys, cache.ObjectName{Namespace: s.Namespace, Name: ref.Name})
			}
		}
	}
	return keys
}
