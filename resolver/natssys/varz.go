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
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"slices"

	"github.com/nats-io/nats.go"
)

// SubjectServerVarz is answered by every server with its VARZ, which lists the operator JWTs
// the server was started with (trusted_operators_jwt): the only way to see which operator
// JWT a running server trusts, as nats-server cannot reload it.
const SubjectServerVarz = "$SYS.REQ.SERVER.PING.VARZ"

const kindVarz = "varz"

// ServerOperators is one server's trusted operator JWTs.
type ServerOperators struct {
	Server       ServerInfo
	OperatorJWTs []string
}

// varzData is the part of a VARZ reply's "data" that is read.
type varzData struct {
	TrustedOperatorsJWT []string `json:"trusted_operators_jwt"`
}

// ParseVarzOperators parses one server's answer to SubjectServerVarz.
func ParseVarzOperators(body []byte) (ServerOperators, error) {
	env, err := decodeEnvelope(kindVarz, body)
	out := ServerOperators{Server: env.server()}
	if err != nil {
		return out, err
	}
	if env.Error != nil {
		return out, env.replyError()
	}
	if !env.hasData() {
		return out, &MalformedReplyError{Kind: kindVarz, Reason: "no data from " + out.Server.Name}
	}
	var d varzData
	if err := json.Unmarshal(env.Data, &d); err != nil {
		return out, &MalformedReplyError{Kind: kindVarz, Reason: "data from " + out.Server.Name + " is not a VARZ object", Err: err}
	}
	out.OperatorJWTs = d.TrustedOperatorsJWT
	return out, nil
}

// TrustedOperators asks every server for its VARZ and returns the operator JWTs each trusts,
// sorted by server name then ID; collection ends as for Servers. Unparsable replies are left
// out and reported in the error, which matches ErrMalformedReply.
func (c *Client) TrustedOperators(ctx context.Context) ([]ServerOperators, error) {
	var out []ServerOperators
	var errs []error
	seen := map[string]bool{}
	_, err := c.gather(ctx, request{subject: SubjectServerVarz}, func(msg *nats.Msg) {
		so, perr := ParseVarzOperators(msg.Data)
		if perr != nil {
			errs = append(errs, perr)
			return
		}
		if !seen[so.Server.ID] {
			seen[so.Server.ID] = true
			out = append(out, so)
		}
	})
	slices.SortFunc(out, func(a, b ServerOperators) int {
		return cmp.Or(cmp.Compare(a.Server.Name, b.Server.Name), cmp.Compare(a.Server.ID, b.Server.ID))
	})
	if err != nil {
		errs = append(errs, err)
	}
	return out, errors.Join(errs...)
}
