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

package main

import (
	"context"
	"errors"
)

// natsWorkload is the --workload name of the NATS latency measurements.
const natsWorkload = "NATS"

// runNATS measures the resolver path on a 3-server cluster and returns a Markdown section with
// the figures and their targets.
func runNATS(ctx context.Context, opts options) (string, error) {
	return "", errors.New("not implemented yet")
}
