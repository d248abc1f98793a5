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
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// NatsTLS is the TLS of the NATS connection. Any field set, or a tls:// URL, turns TLS on.
type NatsTLS struct {
	// CAFile is a PEM bundle of the CAs that verify the servers; empty means the system roots.
	CAFile string
	// CertFile and KeyFile are the client certificate and its key for mutual TLS.
	CertFile string
	KeyFile  string
	// ServerName is checked against the servers' certificates instead of each URL's host.
	ServerName string
}

// addFlags registers the TLS flags on fs.
func (t *NatsTLS) addFlags(fs *flag.FlagSet) {
	const on = " Any --nats-tls-* flag or a tls:// URL turns TLS on."
	fs.StringVar(&t.CAFile, "nats-tls-ca", t.CAFile, "PEM file of the CAs that verify the NATS servers' certificates (default: the system roots), such as the ca.crt of a cert-manager Secret."+on)
	fs.StringVar(&t.CertFile, "nats-tls-cert", t.CertFile, "PEM client certificate for mutual TLS (needs --nats-tls-key), such as tls.crt of a kubernetes.io/tls Secret."+on)
	fs.StringVar(&t.KeyFile, "nats-tls-key", t.KeyFile, "PEM private key of --nats-tls-cert, such as tls.key of a kubernetes.io/tls Secret."+on)
	fs.StringVar(&t.ServerName, "nats-tls-server-name", t.ServerName, "Name the NATS servers' certificates must carry, instead of the host of the URL connected to."+on)
}

// Enabled reports whether the connection to urls (comma-separated) uses TLS.
func (t NatsTLS) Enabled(urls string) bool {
	if t != (NatsTLS{}) {
		return true
	}
	for _, u := range strings.Split(urls, ",") {
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(u)), "tls://") {
			return true
		}
	}
	return false
}

// validate loads the files once, so that a wrong path, a cert without its key or a key that does
// not match stops the binary at startup rather than failing every connect in the background.
// Errors name files and flags only, never their content.
func (t NatsTLS) validate() error {
	var errs []error
	if (t.CertFile == "") != (t.KeyFile == "") {
		errs = append(errs, errors.New("--nats-tls-cert and --nats-tls-key go together: mutual TLS needs the certificate and its key"))
	} else if t.CertFile != "" {
		if _, err := t.loadCert(); err != nil {
			errs = append(errs, err)
		}
	}
	if t.CAFile != "" {
		if _, err := t.loadCA(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// loadCA reads the CA bundle.
func (t NatsTLS) loadCA() (*x509.CertPool, error) {
	data, err := os.ReadFile(t.CAFile)
	if err != nil {
		return nil, fmt.Errorf("--nats-tls-ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("--nats-tls-ca %s holds no PEM certificate", t.CAFile)
	}
	return pool, nil
}

// loadCert reads the client certificate and key. crypto/tls's errors say what is wrong (no PEM
// data, a mismatched key) without quoting the input.
func (t NatsTLS) loadCert() (tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("--nats-tls-cert %s with --nats-tls-key %s: %w", t.CertFile, t.KeyFile, err)
	}
	return cert, nil
}

// natsOptions returns the nats.go options for TLS, none when it is off. The callbacks read the
// files on every connect and reconnect, so a certificate renewed in place (cert-manager updates
// the Secret, the kubelet the mounted files) is used from the next connection on.
func (t NatsTLS) natsOptions(urls string) []nats.Option {
	if !t.Enabled(urls) {
		return nil
	}
	opts := []nats.Option{nats.Secure(&tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName})}
	var certCB nats.TLSCertHandler
	var caCB nats.RootCAsHandler
	if t.CertFile != "" {
		certCB = t.loadCert
	}
	if t.CAFile != "" {
		caCB = t.loadCA
	}
	if certCB != nil || caCB != nil {
		opts = append(opts, nats.ClientTLSConfig(certCB, caCB))
	}
	return opts
}

// logValues describes the TLS settings for the startup log: paths, names and the client
// certificate's public subject and expiry.
func (t NatsTLS) logValues() []any {
	kv := []any{"ca", t.CAFile, "cert", t.CertFile, "serverName", t.ServerName}
	if t.CertFile == "" {
		return kv
	}
	if cert, err := t.loadCert(); err == nil && cert.Leaf != nil {
		kv = append(kv, "certSubject", cert.Leaf.Subject.String(), "certNotAfter", cert.Leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	return kv
}
