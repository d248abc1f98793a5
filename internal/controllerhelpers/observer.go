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

package controllerhelpers

import (
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/natsauth/nats-auth-operator/internal/metrics"
)

// MetricsObserver returns a SyncObserver that records syncs in m, or nil when m is nil.
func MetricsObserver(m *metrics.Metrics) SyncObserver {
	if m == nil {
		return nil
	}
	return metrics.Observer{M: m, Classify: ClassifyResult}
}

// ClassifyResult names a sync outcome for the syncs_total metric.
func ClassifyResult(err error) string {
	switch {
	case err == nil:
		return "success"
	case IsTerminal(err):
		return "terminal"
	case apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err):
		return "requeue"
	}
	if _, ok := AsRequeue(err); ok {
		return "requeue"
	}
	return "error"
}
