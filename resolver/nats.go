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
	"context"

	"github.com/nats-io/nats.go"

	"github.com/natsauth/nats-auth-operator/resolver/natssys"
)

// NATS is the part of the $SYS client the controller uses; an interface so that tests of the
// controller can replace the servers.
type NATS interface {
	// Servers pings every server ($SYS.REQ.SERVER.PING).
	Servers(ctx context.Context) ([]natssys.ServerInfo, error)
	// Update pushes an account JWT and collects expected replies ($SYS.REQ.CLAIMS.UPDATE).
	Update(ctx context.Context, accountJWT string, expected int) (natssys.Result, error)
	// Delete sends an operator-signed delete request and collects expected replies
	// ($SYS.REQ.CLAIMS.DELETE).
	Delete(ctx context.Context, deleteRequestJWT string, expected int) (natssys.Result, error)
	// List asks every server for the accounts it stores ($SYS.REQ.CLAIMS.LIST).
	List(ctx context.Context, expected int) ([]natssys.ListReply, error)
	// ServeLookups answers servers' account lookups until ctx ends.
	ServeLookups(ctx context.Context, lookup func(accountPub string) (string, bool)) error
	// Connected reports whether the connection is up; while it is down a push cannot arrive.
	Connected() bool
}

// natsConn is NATS over one connection.
type natsConn struct {
	*natssys.Client
	nc *nats.Conn
}

// NewNATS returns the NATS of the binary: a natssys client on nc, which must be a connection of
// a system-account user. The caller owns nc and its reconnect policy.
func NewNATS(nc *nats.Conn) NATS {
	return natsConn{Client: natssys.New(nc), nc: nc}
}

// Connected implements NATS.
func (n natsConn) Connected() bool { return n.nc.IsConnected() }

// MaxPayload is the largest message the connected server takes (its max_payload), which an
// account JWT push must fit.
func (n natsConn) MaxPayload() int64 { return n.nc.MaxPayload() }
