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

package resolver

import (
	"errors"
	"testing"

	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// TestTrustedDeleteRequest: only a request signed by an operator signing key that deletes
// exactly the account is ever sent; anything else in status.deleteRequest could delete other
// accounts.
func TestTrustedDeleteRequest(t *testing.T) {
	signer, err := natsjwt.NewKey(natsjwt.KindOperator)
	if err != nil {
		t.Fatal(err)
	}
	signerPub, err := signer.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	acc, other := testKey(t, natsjwt.KindAccount), testKey(t, natsjwt.KindAccount)
	request := func(accounts ...string) string {
		token, err := natsjwt.DeleteRequest(signer, accounts)
		if err != nil {
			t.Fatal(err)
		}
		return token
	}
	cases := []struct {
		name        string
		token       string
		signingKeys []string
		want        error
	}{
		{"the account, trusted signer", request(acc), []string{signerPub}, nil},
		{"untrusted signer", request(acc), []string{testKey(t, natsjwt.KindOperator)}, ErrUntrustedIssuer},
		{"another account", request(other), []string{signerPub}, ErrInvalidDeleteRequest},
		{"more accounts", request(acc, other), []string{signerPub}, ErrInvalidDeleteRequest},
		{"not a JWT", "garbage", []string{signerPub}, ErrInvalidDeleteRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := trustedDeleteRequest(tc.token, acc, tc.signingKeys)
			if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Errorf("trustedDeleteRequest = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestDeletedStatus: the Deleted condition names the servers that did not acknowledge.
func TestDeletedStatus(t *testing.T) {
	full := deletedStatus(pushReport{expected: 3, acked: 3})
	if full.reason != ReasonDeletedFromServers || full.message != "deleted from 3 of 3 servers" {
		t.Errorf("complete delete = %+v", full)
	}
	partial := deletedStatus(pushReport{expected: 3, acked: 2, missing: []string{"nats-2"}})
	if partial.reason != ReasonPartiallyDeleted || partial.message != "2 of 3 servers; missing: nats-2" {
		t.Errorf("partial delete = %+v", partial)
	}
	if none := deletedStatus(pushReport{expected: 3, missing: []string{"a", "b", "c"}}); none.reason != ReasonDeleteFailed {
		t.Errorf("failed delete = %+v", none)
	}
}
