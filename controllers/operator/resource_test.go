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
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
)

func TestRenderAuthConf(t *testing.T) {
	base := serverConfig{operatorJWT: "eyJop", systemPub: "ASYS", systemJWT: "eyJsys", operatorName: "main", operatorSpace: "nats",
		preload: map[string]string{"AB": "eyJb", "AA": "eyJa", "ASYS": "eyJsys"}}
	cases := []struct {
		name     string
		resolver natsv1alpha1.ResolverSpec
		want     []string
		not      []string
	}{
		{"full defaults", natsv1alpha1.ResolverSpec{}, []string{"type: full\n", "dir: \"/data/resolver\"\n", "allow_delete: false\n"},
			[]string{"hard_delete", "interval", "ttl", "limit", "MEMORY"}},
		{"full with every option", natsv1alpha1.ResolverSpec{Type: natsv1alpha1.ResolverFull, Dir: "/jwt", AllowDelete: true, HardDelete: true,
			Interval: &metav1.Duration{Duration: 2 * time.Minute}, Timeout: &metav1.Duration{Duration: 1900 * time.Millisecond}, Limit: ptr.To[int64](10)},
			[]string{"dir: \"/jwt\"\n", "allow_delete: true\n", "hard_delete: true\n", "interval: \"2m0s\"\n", "timeout: \"1.9s\"\n", "limit: 10\n"}, nil},
		{"cache", natsv1alpha1.ResolverSpec{Type: natsv1alpha1.ResolverCache, TTL: &metav1.Duration{Duration: time.Hour}},
			[]string{"type: cache\n", "ttl: \"1h0m0s\"\n"}, []string{"allow_delete", "interval"}},
		{"memory", natsv1alpha1.ResolverSpec{Type: natsv1alpha1.ResolverMemory}, []string{"resolver: MEMORY\n"}, []string{"dir:", "type:"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			c.resolver = tc.resolver
			got := renderAuthConf(c)
			for _, w := range append(tc.want, "operator: \"eyJop\"\n", "system_account: \"ASYS\"\n", "  ASYS: \"eyJsys\"\n") {
				if !strings.Contains(got, w) {
					t.Errorf("missing %q in:\n%s", w, got)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(got, n) {
					t.Errorf("unexpected %q in:\n%s", n, got)
				}
			}
			// The system account is preloaded once; other accounts follow sorted, so the
			// rendering (and its checksum) is deterministic.
			if strings.Count(got, "ASYS: ") != 1 || strings.Index(got, "AA: ") > strings.Index(got, "AB: ") {
				t.Errorf("preloads not unique and sorted:\n%s", got)
			}
			if got != renderAuthConf(c) {
				t.Error("rendering is not deterministic")
			}
		})
	}
}
