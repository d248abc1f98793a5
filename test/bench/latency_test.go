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
	"strings"
	"testing"
)

func TestParseLatencies(t *testing.T) {
	const before = `# HELP apiserver_request_duration_seconds x
apiserver_request_duration_seconds_bucket{component="apiserver",resource="secrets",subresource="",verb="POST",le="0.005"} 1
apiserver_request_duration_seconds_sum{component="apiserver",dry_run="",group="",resource="secrets",scope="resource",subresource="",verb="POST",version="v1"} 0.5
apiserver_request_duration_seconds_count{component="apiserver",dry_run="",group="",resource="secrets",scope="resource",subresource="",verb="POST",version="v1"} 50
apiserver_request_duration_seconds_sum{component="apiserver",resource="secrets",subresource="",verb="GET"} 9
apiserver_request_duration_seconds_count{component="apiserver",resource="secrets",subresource="",verb="GET"} 9
apiserver_request_duration_seconds_sum{component="apiserver",resource="leases",subresource="",verb="PUT"} 9
apiserver_request_duration_seconds_count{component="apiserver",resource="leases",subresource="",verb="PUT"} 9
`
	after := strings.NewReplacer("} 0.5", "} 2.5", "} 50", "} 150").Replace(before) +
		`apiserver_request_duration_seconds_sum{component="apiserver",group="natsauth.io",resource="natsusers",subresource="status",verb="PUT"} 1
apiserver_request_duration_seconds_count{component="apiserver",group="natsauth.io",resource="natsusers",subresource="status",verb="PUT"} 100
`
	b, err := parseLatencies(strings.NewReader(before))
	if err != nil {
		t.Fatal(err)
	}
	a, err := parseLatencies(strings.NewReader(after))
	if err != nil {
		t.Fatal(err)
	}
	got := a.since(b).String()
	want := "15.0 ms (PUT natsusers/status 10.0 ms x100, POST secrets 20.0 ms x100)"
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if s := (latencies{}).String(); s != "none" {
		t.Fatalf("empty: %q", s)
	}
}
