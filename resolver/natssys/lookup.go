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
	"context"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"
)

// lookupAccountToken is the index of <account> in
// $SYS.REQ.ACCOUNT.<account>.CLAIMS.LOOKUP.
const lookupAccountToken = 3

// ServeLookups answers the lookups that full and cache servers publish when
// a client needs an account they do not have. For each request it takes the
// account from the subject, checks that it is a well-formed account public
// key, calls lookup, and replies with the raw JWT when lookup reports ok.
// Otherwise it stays silent: a server counts empty replies as "not found"
// from a peer, and an empty reply from us could end its wait before a full
// server that has the account answers. A server that hears nothing waits its
// resolver timeout and rejects the client.
//
// Answers are reliable where only cache servers (which never answer
// lookups) could reply. Full servers that lack the account reply empty, and
// once every peer has, the asking server concludes "not found" even if our
// answer is still on its way: measured with three full servers, 16/20 and
// 37/40 connects of a responder-only account succeeded. So push accounts to
// full servers (Update) and treat lookups as the path for cache servers.
//
// lookup is called from one goroutine, one request at a time, so it should
// be fast (a lister read, not an API call). Every replica of the resolver
// may serve lookups at once: there is no queue group because a server takes
// the first non-empty reply and ignores the rest.
//
// ServeLookups blocks. It returns nil when ctx ends, after unsubscribing,
// and an error if the subscription fails or the connection is closed. The
// subscription survives reconnects, since nats.go re-subscribes.
func (c *Client) ServeLookups(ctx context.Context, lookup func(accountPub string) (jwt string, ok bool)) error {
	if lookup == nil {
		return errors.New("natssys: ServeLookups needs a lookup function")
	}
	sub, err := c.nc.SubscribeSync(SubjectLookupWildcard)
	if err != nil {
		return fmt.Errorf("%s: subscribe: %w", SubjectLookupWildcard, err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	for {
		msg, err := sub.NextMsgWithContext(ctx)
		switch {
		case err == nil:
			answerLookup(msg, lookup)
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, nats.ErrSlowConsumer):
			// Dropped requests time out on their servers; keep serving.
		default:
			return fmt.Errorf("%s: %w", SubjectLookupWildcard, err)
		}
	}
}

// answerLookup replies to one lookup request when lookup knows the account.
func answerLookup(msg *nats.Msg, lookup func(string) (string, bool)) {
	// Stored's lookups ask what the servers hold; an answer of ours would pass for a server's.
	if msg.Reply == "" || isStoredLookup(msg.Reply) {
		return
	}
	account, ok := lookupAccount(msg.Subject)
	if !ok {
		return
	}
	token, ok := lookup(account)
	if !ok || token == "" {
		return
	}
	// A failed respond means the connection is down; the server's own
	// timeout handles the lost reply and ServeLookups sees the closure.
	_ = msg.Respond([]byte(token))
}

// lookupAccount returns the account of a lookup subject, if the subject has
// the expected shape and the token is a valid account public key. Checking
// here keeps arbitrary subject text away from the lookup callback.
func lookupAccount(subject string) (string, bool) {
	tokens := strings.Split(subject, ".")
	if len(tokens) != 6 || tokens[4] != "CLAIMS" || tokens[5] != "LOOKUP" {
		return "", false
	}
	account := tokens[lookupAccountToken]
	return account, IsAccountPublicKey(account)
}

// accountPrefix is the first byte of a decoded account public key (nkeys'
// PrefixByteAccount, 0 << 3), which base32-encodes as the leading "A".
const accountPrefix = 0

// accountKeyLen is the length of an encoded public key: base32 of one prefix
// byte, 32 key bytes and a two-byte CRC.
const accountKeyLen = 56

// IsAccountPublicKey reports whether s is a well-formed nkeys account public
// key: 56 base32 characters decoding to the account prefix, 32 key bytes and
// a matching CRC-16. It is nkeys.IsValidPublicAccountKey without importing
// nkeys, and without its check for weak Ed25519 keys, which a
// lookup does not need.
func IsAccountPublicKey(s string) bool {
	if len(s) != accountKeyLen || s[0] != 'A' {
		return false
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	if err != nil || len(raw) != 35 || raw[0] != accountPrefix {
		return false
	}
	return crc16(raw[:33]) == binary.LittleEndian.Uint16(raw[33:])
}

// crc16 is CRC-16/XMODEM (polynomial 0x1021, initial value 0), the checksum
// nkeys appends to every encoded key.
func crc16(data []byte) uint16 {
	var crc uint16
	for _, b := range data {
		crc ^= uint16(b) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}
