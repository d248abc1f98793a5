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

package natssys

import (
	"errors"
	"slices"
	"testing"
)

// TestParseVarzOperators reads the trusted operator JWTs of a VARZ reply, in the shape
// nats-server 2.15.2 sends (server info, then the Varz in data), and refuses replies without
// a server identity or data.
func TestParseVarzOperators(t *testing.T) {
	got, err := ParseVarzOperators([]byte(`{"server":{"name":"n1","id":"NID"},"data":{"server_id":"NID","trusted_operators_jwt":["eyJ.a.b"],"trusted_operators_claim":[{}]}}`))
	if err != nil || got.Server.Name != "n1" || !slices.Equal(got.OperatorJWTs, []string{"eyJ.a.b"}) {
		t.Fatalf("got %+v, %v", got, err)
	}
	for _, body := range []string{`{"data":{}}`, `{"server":{"name":"n1","id":"NID"}}`, `{"server":{"name":"n1","id":"NID"},"data":[1]}`, ``} {
		if _, err := ParseVarzOperators([]byte(body)); !errors.Is(err, ErrMalformedReply) {
			t.Errorf("%q: %v, want ErrMalformedReply", body, err)
		}
	}
}
