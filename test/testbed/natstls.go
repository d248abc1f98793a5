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
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TLSServerDNSName is the DNS name the server certificates of a TestCA carry next to 127.0.0.1,
// for tests of a server name override.
const TLSServerDNSName = "nats.testbed.invalid"

// TestCA is a private CA made at test time, whose certificates and keys are PEM files in Dir.
type TestCA struct {
	Dir string
	// CAFile is the CA certificate, as a cert-manager Secret's ca.crt holds it.
	CAFile string
	cert   *x509.Certificate
	key    *ecdsa.PrivateKey
	serial int64
}

// TLSPair is the paths of a certificate and its key.
type TLSPair struct {
	CertFile string
	KeyFile  string
}

// NewTestCA makes a self-signed CA named name (ECDSA P-256, valid for a day) in a temp dir.
func NewTestCA(t testing.TB, name string) *TestCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	ca := &TestCA{Dir: t.TempDir(), cert: cert, key: key, serial: 1}
	ca.CAFile = filepath.Join(ca.Dir, "ca.crt")
	writePEM(t, ca.CAFile, "CERTIFICATE", der)
	return ca
}

// ServerCert issues a server certificate for 127.0.0.1 and TLSServerDNSName.
func (ca *TestCA) ServerCert(t testing.TB, name string) TLSPair {
	t.Helper()
	return ca.issue(t, name, &x509.Certificate{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{TLSServerDNSName}})
}

// ClientCert issues a client certificate with common name name.
func (ca *TestCA) ClientCert(t testing.TB, name string) TLSPair {
	t.Helper()
	return ca.issue(t, name, &x509.Certificate{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
}

// issue signs tmpl, completed with name and validity, and writes <name>.crt and <name>.key.
func (ca *TestCA) issue(t testing.TB, name string, tmpl *x509.Certificate) TLSPair {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ca.serial++
	tmpl.SerialNumber = big.NewInt(ca.serial)
	tmpl.Subject = pkix.Name{CommonName: name}
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	p := TLSPair{CertFile: filepath.Join(ca.Dir, name+".crt"), KeyFile: filepath.Join(ca.Dir, name+".key")}
	writePEM(t, p.CertFile, "CERTIFICATE", der)
	writePEM(t, p.KeyFile, "PRIVATE KEY", keyDER)
	return p
}

// writePEM writes one PEM block to path.
func writePEM(t testing.TB, path, blockType string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// NatsTLSConfig is the nats-server config block that requires TLS on the client port and verifies
// every client's certificate against caFile; it goes into NatsOptions.ExtraConfig. Routes and the
// monitoring port stay plain.
func NatsTLSConfig(server TLSPair, caFile string) string {
	return fmt.Sprintf("tls {\n  cert_file: %s\n  key_file: %s\n  ca_file: %s\n  verify: true\n  timeout: 2\n}\n",
		strconv.Quote(server.CertFile), strconv.Quote(server.KeyFile), strconv.Quote(caFile))
}
