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
	"bufio"
	"crypto/tls"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/natsauth/nats-auth-operator/test/testbed"
)

func TestNatsTLSFlags(t *testing.T) {
	o := NewOptions()
	fs := flag.NewFlagSet("resolver", flag.ContinueOnError)
	o.AddFlags(fs)
	err := fs.Parse([]string{"--nats-tls-ca=/ca.crt", "--nats-tls-cert=/tls.crt", "--nats-tls-key=/tls.key", "--nats-tls-server-name=nats.example"})
	if err != nil {
		t.Fatal(err)
	}
	want := NatsTLS{CAFile: "/ca.crt", CertFile: "/tls.crt", KeyFile: "/tls.key", ServerName: "nats.example"}
	if o.NatsTLS != want {
		t.Errorf("NatsTLS %+v, want %+v", o.NatsTLS, want)
	}
}

func TestNatsTLSEnabled(t *testing.T) {
	for _, tc := range []struct {
		tls  NatsTLS
		urls string
		want bool
	}{
		{NatsTLS{}, "nats://a:4222", false},
		{NatsTLS{}, "nats://a:4222, TLS://b:4222", true},
		{NatsTLS{CAFile: "ca.crt"}, "nats://a:4222", true},
		{NatsTLS{ServerName: "nats"}, "nats://a:4222", true},
	} {
		if got := tc.tls.Enabled(tc.urls); got != tc.want {
			t.Errorf("%+v.Enabled(%q) = %t, want %t", tc.tls, tc.urls, got, tc.want)
		}
		if got := len(tc.tls.natsOptions(tc.urls)) > 0; got != tc.want {
			t.Errorf("%+v with %q: TLS options %t, want %t", tc.tls, tc.urls, got, tc.want)
		}
	}
}

// TestNatsTLSValidate: every mistake is reported at startup, by flag and file, and no error
// quotes the private key.
func TestNatsTLSValidate(t *testing.T) {
	ca := testbed.NewTestCA(t, "test CA")
	client := ca.ClientCert(t, "resolver")
	other := ca.ClientCert(t, "other")
	notPEM := filepath.Join(t.TempDir(), "empty.crt")
	if err := os.WriteFile(notPEM, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "missing.crt")
	for _, tc := range []struct {
		name string
		tls  NatsTLS
		want string // "" means valid
	}{
		{"CA only", NatsTLS{CAFile: ca.CAFile}, ""},
		{"mutual TLS", NatsTLS{CAFile: ca.CAFile, CertFile: client.CertFile, KeyFile: client.KeyFile, ServerName: "x"}, ""},
		{"cert without key", NatsTLS{CertFile: client.CertFile}, "--nats-tls-cert and --nats-tls-key go together"},
		{"key without cert", NatsTLS{KeyFile: client.KeyFile}, "--nats-tls-cert and --nats-tls-key go together"},
		{"unreadable CA", NatsTLS{CAFile: missing}, "--nats-tls-ca: open " + missing},
		{"CA without PEM", NatsTLS{CAFile: notPEM}, "--nats-tls-ca " + notPEM + " holds no PEM certificate"},
		{"unreadable cert", NatsTLS{CertFile: missing, KeyFile: client.KeyFile}, "--nats-tls-cert " + missing},
		{"another cert's key", NatsTLS{CertFile: client.CertFile, KeyFile: other.KeyFile}, "private key does not match public key"},
		{"switched files", NatsTLS{CertFile: client.KeyFile, KeyFile: client.CertFile}, "--nats-tls-key " + client.CertFile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := NewOptions()
			o.Operator, o.CredsFile, o.NatsTLS = "nats/main", "user.creds", tc.tls
			err := o.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate: %v, want an error with %q", err, tc.want)
			}
			for _, keyFile := range []string{client.KeyFile, other.KeyFile} {
				if quotesKey(t, err.Error(), keyFile) {
					t.Errorf("the error quotes the private key %s: %v", keyFile, err)
				}
			}
		})
	}
}

// quotesKey reports whether s holds any base64 line of the PEM key file.
func quotesKey(t *testing.T, s, keyFile string) bool {
	t.Helper()
	data, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if len(line) > 16 && !strings.HasPrefix(line, "-----") && strings.Contains(s, line[:16]) {
			return true
		}
	}
	return false
}

// TestNatsTLSHandshake connects nats.go with the resolver's TLS options to a TLS server that
// speaks just enough of the NATS protocol and demands a client certificate: the server name
// override and the client certificate are used, a certificate replaced on disk is sent on the
// next reconnect, and a server that offers only TLS 1.1 is refused.
func TestNatsTLSHandshake(t *testing.T) {
	ca := testbed.NewTestCA(t, "test CA")
	client := ca.ClientCert(t, "resolver")
	srv := startFakeTLSServer(t, ca, tls.VersionTLS12)
	opts := NatsTLS{CAFile: ca.CAFile, CertFile: client.CertFile, KeyFile: client.KeyFile, ServerName: testbed.TLSServerDNSName}
	reconnected := make(chan struct{}, 1)
	nc, err := nats.Connect(srv.url, append(opts.natsOptions(srv.url), nats.Timeout(5*time.Second),
		nats.ReconnectWait(50*time.Millisecond), nats.MaxReconnects(-1),
		nats.ReconnectHandler(func(*nats.Conn) {
			select {
			case reconnected <- struct{}{}:
			default:
			}
		}))...)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer nc.Close()
	first := srv.next(t)
	if first.ServerName != testbed.TLSServerDNSName || len(first.PeerCertificates) == 0 || first.PeerCertificates[0].Subject.CommonName != "resolver" {
		t.Fatalf("the server saw name %q and client certificates %d", first.ServerName, len(first.PeerCertificates))
	}

	// Replace the files in place, as the kubelet does when cert-manager renews the Secret.
	renewed := ca.ClientCert(t, "resolver-renewed")
	for src, dst := range map[string]string{renewed.CertFile: client.CertFile, renewed.KeyFile: client.KeyFile} {
		if err := os.Rename(src, dst); err != nil {
			t.Fatal(err)
		}
	}
	srv.dropAll()
	second := srv.next(t)
	if cn := second.PeerCertificates[0].Subject.CommonName; cn != "resolver-renewed" {
		t.Errorf("after the renewal the client sent certificate %q", cn)
	}
	select {
	case <-reconnected:
	case <-time.After(10 * time.Second):
		t.Fatal("no reconnect")
	}

	old := startFakeTLSServer(t, ca, tls.VersionTLS11)
	_, err = nats.Connect(old.url, append(opts.natsOptions(old.url), nats.Timeout(5*time.Second))...)
	if err == nil || !strings.Contains(err.Error(), "protocol version") {
		t.Errorf("a TLS 1.1 server: %v, want a protocol version error", err)
	}
}

// fakeTLSServer accepts NATS clients on loopback: INFO in plain text, then the TLS handshake
// with a required client certificate, then PONG for every PING.
type fakeTLSServer struct {
	url   string
	cfg   *tls.Config
	conns chan *tls.Conn
	seen  chan tls.ConnectionState
}

func startFakeTLSServer(t *testing.T, ca *testbed.TestCA, maxVersion uint16) *fakeTLSServer {
	t.Helper()
	pair := ca.ServerCert(t, fmt.Sprintf("server-%x", maxVersion))
	cert, err := tls.LoadX509KeyPair(pair.CertFile, pair.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := NatsTLS{CAFile: ca.CAFile}.loadCA()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	s := &fakeTLSServer{url: "nats://" + ln.Addr().String(), conns: make(chan *tls.Conn, 16), seen: make(chan tls.ConnectionState, 16),
		cfg: &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert,
			MinVersion: tls.VersionTLS10, MaxVersion: maxVersion}}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.handle(c)
		}
	}()
	return s
}

func (s *fakeTLSServer) handle(c net.Conn) {
	defer func() { _ = c.Close() }()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := fmt.Fprint(c, `INFO {"server_id":"fake","proto":1,"max_payload":1048576,"tls_required":true}`+"\r\n"); err != nil {
		return
	}
	tc := tls.Server(c, s.cfg)
	if err := tc.Handshake(); err != nil {
		return
	}
	s.conns <- tc
	s.seen <- tc.ConnectionState()
	r := bufio.NewReader(tc)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		if strings.HasPrefix(line, "PING") {
			if _, err := tc.Write([]byte("PONG\r\n")); err != nil {
				return
			}
		}
	}
}

// next returns the state of the next completed handshake.
func (s *fakeTLSServer) next(t *testing.T) tls.ConnectionState {
	t.Helper()
	select {
	case st := <-s.seen:
		return st
	case <-time.After(10 * time.Second):
		t.Fatal("no TLS handshake within 10s")
		return tls.ConnectionState{}
	}
}

// dropAll closes every connection handed out so far, so clients reconnect.
func (s *fakeTLSServer) dropAll() {
	for {
		select {
		case c := <-s.conns:
			_ = c.Close()
		default:
			return
		}
	}
}
