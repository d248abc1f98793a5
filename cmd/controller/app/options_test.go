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

package app

import (
	"flag"
	"testing"
)

func TestAccountMaxJWTSizeFlag(t *testing.T) {
	parse := func(args ...string) *Options {
		o := NewOptions()
		fs := flag.NewFlagSet("controller", flag.ContinueOnError)
		o.AddFlags(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return o
	}
	if o := parse(); o.AccountMaxJWTSize != 0 || o.Validate() != nil {
		t.Fatalf("default: %d, %v", o.AccountMaxJWTSize, o.Validate())
	}
	if o := parse("--account-max-jwt-size=4096"); o.AccountMaxJWTSize != 4096 || o.Validate() != nil {
		t.Fatalf("4096: %d, %v", o.AccountMaxJWTSize, o.Validate())
	}
	if o := parse("--account-max-jwt-size=-1"); o.Validate() == nil {
		t.Fatal("a negative size must be refused")
	}
}
