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

// Labels and annotations this project puts on the objects it writes. The managed-by label is what
// the Secret informers select on, so the controller caches only its own Secrets however many the
// cluster holds.
const (
	LabelManagedBy      = "app.kubernetes.io/managed-by"
	ManagedByValue      = "nats-auth-operator"
	LabelOperator       = "natsauth.io/operator"
	LabelAccount        = "natsauth.io/account"
	LabelUser           = "natsauth.io/user"
	LabelSecretType     = "natsauth.io/secret-type"
	LabelSystemAccount  = "natsauth.io/system-account"
	AnnotationChecksum  = "natsauth.io/config-checksum"
	SecretTypeKeys      = "keys"
	SecretTypeCreds     = "creds"
	SecretTypeServerCfg = "server-config"
)

// ManagedSelector is the label selector of every Secret the controllers cache.
const ManagedSelector = LabelManagedBy + "=" + ManagedByValue
