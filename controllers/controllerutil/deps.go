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
	"errors"

	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/clock"

	natsclientset "github.com/natsauth/nats-auth-operator/generated/clientset/versioned"
	natsinformers "github.com/natsauth/nats-auth-operator/generated/informers/externalversions/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/internal/metrics"
)

// Deps are the clients, shared informers and sinks every controller of the controller binary is
// built from. One struct instead of eight parameters keeps the three constructors and their
// tests in step; the informers are typed, never factories, and nothing in here is a context.
type Deps struct {
	KubeClient kubernetes.Interface
	NatsClient natsclientset.Interface

	Operators natsinformers.NatsOperatorInformer
	Accounts  natsinformers.NatsAccountInformer
	Users     natsinformers.NatsUserInformer
	// Secrets sees only Secrets labelled managed-by=nats-auth-operator (ManagedSelector).
	Secrets coreinformers.SecretInformer
	// Provided caches the user's Secrets that adopted objects name (keysSecretRef, external),
	// which Secrets does not hold.
	Provided *ProvidedSecrets

	Recorder     record.EventRecorder
	Metrics      *metrics.Metrics // optional: sync metrics
	IssueMetrics *IssueMetrics    // optional: signed JWTs and revocations
	Clock        clock.PassiveClock
}

// Validate reports a missing dependency.
func (d Deps) Validate() error {
	if d.KubeClient == nil || d.NatsClient == nil || d.Operators == nil || d.Accounts == nil ||
		d.Users == nil || d.Secrets == nil || d.Provided == nil || d.Recorder == nil || d.Clock == nil {
		return errors.New("controller dependencies are incomplete")
	}
	return nil
}

// FieldManager is the field manager of every write the controller binary makes.
const FieldManager = "nats-auth-controller"
