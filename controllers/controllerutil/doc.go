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

// Package controllerutil holds what the three controllers of the controller binary share and the
// resolver must not link: their dependencies, the generate-once key Secrets (KeyStore creates
// seeds) and the metrics of what they sign. Names and labels are in controllers/naming; the
// kind-agnostic machinery (queue, runner, error kinds, handlers) is internal/controllerhelpers.
package controllerutil
