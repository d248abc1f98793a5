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

package operator

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/controllerutil"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// operatorSpec maps the NatsOperator onto natsjwt's operator description.
func operatorSpec(op *natsv1alpha1.NatsOperator, signing natsjwtKey, systemPub string) natsjwt.OperatorSpec {
	signingPub, _ := signing.PublicKey()
	tags := make([]string, len(op.Spec.Tags))
	for i, t := range op.Spec.Tags {
		tags[i] = string(t)
	}
	return natsjwt.OperatorSpec{
		Name:                  op.Name,
		SigningKeys:           signingKeys(op, signingPub),
		SystemAccount:         systemPub,
		StrictSigningKeyUsage: op.Spec.StrictSigningKeyUsage,
		ServiceURLs:           op.Spec.ServiceURLs,
		AccountServerURL:      op.Spec.AccountServerURL,
		Tags:                  tags,
	}
}

// ensureSystemObjects creates or restores the system account and the resolver user. Objects of
// those names that the operator does not control are never taken over.
func (c *Controller) ensureSystemObjects(ctx context.Context, op *natsv1alpha1.NatsOperator) error {
	accounts := c.deps.NatsClient.NatsauthV1alpha1().NatsAccounts(op.Namespace)
	wantAcc := desiredSystemAccount(op)
	acc, err := c.accounts.NatsAccounts(op.Namespace).Get(wantAcc.Name)
	switch {
	case apierrors.IsNotFound(err):
		if _, err := accounts.Create(ctx, wantAcc, metav1.CreateOptions{FieldManager: controllerutil.FieldManager}); err != nil {
			return fmt.Errorf("create system account: %w", err)
		}
	case err != nil:
		return err
	case !metav1.IsControlledBy(acc, op):
		return conflict("NatsAccount", wantAcc.Name)
	case !equality.Semantic.DeepEqual(acc.Spec, wantAcc.Spec) || !hasLabels(acc.Labels, wantAcc.Labels):
		upd := acc.DeepCopy()
		upd.Spec = wantAcc.Spec
		upd.Labels = mergeLabels(upd.Labels, wantAcc.Labels)
		if _, err := accounts.Update(ctx, upd, metav1.UpdateOptions{FieldManager: controllerutil.FieldManager}); err != nil {
			return fmt.Errorf("restore system account: %w", err)
		}
	}

	users := c.deps.NatsClient.NatsauthV1alpha1().NatsUsers(op.Namespace)
	wantUser := desiredResolverUser(op)
	user, err := c.users.NatsUsers(op.Namespace).Get(wantUser.Name)
	switch {
	case apierrors.IsNotFound(err):
		if _, err := users.Create(ctx, wantUser, metav1.CreateOptions{FieldManager: controllerutil.FieldManager}); err != nil {
			return fmt.Errorf("create resolver user: %w", err)
		}
	case err != nil:
		return err
	case !metav1.IsControlledBy(user, op):
		return conflict("NatsUser", wantUser.Name)
	case !equality.Semantic.DeepEqual(user.Spec, wantUser.Spec) || !hasLabels(user.Labels, wantUser.Labels):
		upd := user.DeepCopy()
		upd.Spec = wantUser.Spec
		upd.Labels = mergeLabels(upd.Labels, wantUser.Labels)
		if _, err := users.Update(ctx, upd, metav1.UpdateOptions{FieldManager: controllerutil.FieldManager}); err != nil {
			return fmt.Errorf("restore resolver user: %w", err)
		}
	}
	return nil
}

func conflict(kind, name string) error {
	return controllerhelpers.Failed(ReasonSystemObjectConflict, "%s %s exists and is not controlled by this NatsOperator; rename or remove it", kind, name)
}

// accountJWTs returns the issued JWTs of the operator's accounts (memory resolver preloads).
func (c *Controller) accountJWTs(op *natsv1alpha1.NatsOperator) map[string]string {
	objs, _ := c.accountIndexer.ByIndex(naming.AccountsByOperator, naming.Key(op.Namespace, op.Name))
	out := make(map[string]string, len(objs))
	for _, o := range objs {
		if a, ok := o.(*natsv1alpha1.NatsAccount); ok && a.Status.PublicKey != "" && a.Status.JWT != "" && a.DeletionTimestamp == nil {
			out[a.Status.PublicKey] = a.Status.JWT
		}
	}
	return out
}

// ensureServerConfig writes the server-config Secret when it differs from the desired one.
func (c *Controller) ensureServerConfig(ctx context.Context, op *natsv1alpha1.NatsOperator, cfg serverConfig) error {
	want := desiredServerConfigSecret(op, cfg)
	secrets := c.deps.KubeClient.CoreV1().Secrets(op.Namespace)
	have, err := c.secrets.Secrets(op.Namespace).Get(want.Name)
	if apierrors.IsNotFound(err) {
		// Not in our label-filtered cache: it may still exist without our labels.
		have, err = secrets.Get(ctx, want.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			_, err = secrets.Create(ctx, want, metav1.CreateOptions{FieldManager: controllerutil.FieldManager})
			return err
		}
	}
	if err != nil {
		return err
	}
	if !metav1.IsControlledBy(have, op) {
		return controllerhelpers.Failed(ReasonSecretConflict, "Secret %s exists and is not controlled by this NatsOperator; rename or remove it", want.Name)
	}
	if equality.Semantic.DeepEqual(have.Data, want.Data) && hasLabels(have.Labels, want.Labels) &&
		have.Annotations[naming.AnnotationChecksum] == want.Annotations[naming.AnnotationChecksum] {
		return nil
	}
	upd := have.DeepCopy()
	upd.Data = want.Data
	upd.Labels = mergeLabels(upd.Labels, want.Labels)
	if upd.Annotations == nil {
		upd.Annotations = map[string]string{}
	}
	upd.Annotations[naming.AnnotationChecksum] = want.Annotations[naming.AnnotationChecksum]
	_, err = secrets.Update(ctx, upd, metav1.UpdateOptions{FieldManager: controllerutil.FieldManager})
	return err
}

func hasLabels(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

func mergeLabels(have, want map[string]string) map[string]string {
	out := make(map[string]string, len(have)+len(want))
	for k, v := range have {
		out[k] = v
	}
	for k, v := range want {
		out[k] = v
	}
	return out
}
