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

// Package controllerhelpers holds the machinery both binaries' controllers share: the named
// rate-limited queue and worker loop, error kinds, event-handler helpers, finalizer patches, the
// event buffer, the cache-lag guard and the error → Ready condition protocol (NotReady, Finish). It knows no kind: it imports
// nothing of apis/, natsjwt/, controllers/ or resolver/ (hack/verify-imports.sh checks it), so the
// resolver uses it without linking the controllers and their seed-generating KeyStore.
package controllerhelpers
