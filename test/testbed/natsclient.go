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

package testbed

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// ConnectCreds connects to url as the user of a standard creds file, without reconnecting, so a
// test sees the server closing the connection.
func ConnectCreds(url string, creds []byte, opts ...nats.Option) (*nats.Conn, error) {
	token, kp, err := natsjwt.ParseCreds(creds)
	if err != nil {
		return nil, err
	}
	opts = append([]nats.Option{
		nats.UserJWT(func() (string, error) { return token, nil },
			func(nonce []byte) ([]byte, error) { return kp.Sign(nonce) }),
		nats.Timeout(5 * time.Second), nats.NoReconnect(),
	}, opts...)
	return nats.Connect(url, opts...)
}

// ClaimUpdateReply is one server's answer to $SYS.REQ.CLAIMS.UPDATE.
type ClaimUpdateReply struct {
	Data *struct {
		Account string `json:"account"`
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"data"`
	Error *struct {
		Account     string `json:"account"`
		Code        int    `json:"code"`
		Description string `json:"description"`
	} `json:"error"`
}

// PushAccount sends accountJWT to $SYS.REQ.CLAIMS.UPDATE as the system user sys and collects
// want replies (one per full or cache server) within timeout. It fails on any error reply.
func PushAccount(sys *nats.Conn, accountJWT string, want int, timeout time.Duration) error {
	inbox := nats.NewInbox()
	sub, err := sys.SubscribeSync(inbox)
	if err != nil {
		return err
	}
	defer func() { _ = sub.Unsubscribe() }()
	if err := sys.PublishRequest("$SYS.REQ.CLAIMS.UPDATE", inbox, []byte(accountJWT)); err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	for got := 0; got < want; got++ {
		msg, err := sub.NextMsg(time.Until(deadline))
		if err != nil {
			return fmt.Errorf("%d of %d servers answered: %w", got, want, err)
		}
		var r ClaimUpdateReply
		if err := json.Unmarshal(msg.Data, &r); err != nil {
			return fmt.Errorf("reply %q: %w", msg.Data, err)
		}
		if r.Error != nil {
			return fmt.Errorf("server refused the JWT: %d %s", r.Error.Code, r.Error.Description)
		}
	}
	return nil
}
