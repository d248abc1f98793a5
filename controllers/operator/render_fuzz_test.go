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

package operator

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nkeys"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/natsjwt"
	"github.com/natsauth/nats-auth-operator/test/testbed"
)

// confValue is one `key: value` of a rendered auth.conf, with quoted values unquoted.
type confValue struct {
	block, key, value string
	quoted            bool
}

// parseAuthConf reads the subset of the nats-server configuration language that renderAuthConf
// writes, with nats-server's rules for double-quoted strings (conf/lex.go: the only escapes
// are \xHH, \t, \n, \r, \" and \\; anything else ends the parse), and fails on anything else: a
// line that is not a comment, `key: value`, `key {` or `}`, an unterminated string, text after
// a closing quote, or unbalanced blocks. TestRenderAuthConfRealServer checks the same outputs
// with the real nats-server.
func parseAuthConf(text string) ([]confValue, error) {
	var out []confValue
	block := ""
	for n, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "#"):
			continue
		case trimmed == "}":
			if block == "" {
				return nil, fmt.Errorf("line %d: } outside a block", n+1)
			}
			block = ""
			continue
		case strings.HasSuffix(trimmed, " {") && !strings.ContainsAny(strings.TrimSuffix(trimmed, " {"), " \t:\"{}"):
			if block != "" {
				return nil, fmt.Errorf("line %d: nested block", n+1)
			}
			block = strings.TrimSuffix(trimmed, " {")
			continue
		}
		key, raw, ok := strings.Cut(trimmed, ": ")
		if !ok || key == "" || strings.ContainsAny(key, " \t\"{}#") {
			return nil, fmt.Errorf("line %d: not key: value: %q", n+1, line)
		}
		v := confValue{block: block, key: key, value: raw}
		if strings.HasPrefix(raw, `"`) {
			s, rest, err := unquoteConf(raw[1:])
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n+1, err)
			}
			if rest != "" {
				return nil, fmt.Errorf("line %d: %q after the closing quote", n+1, rest)
			}
			v.value, v.quoted = s, true
		} else if raw == "" || strings.ContainsAny(raw, " \t\"{}#") {
			return nil, fmt.Errorf("line %d: bad bare value %q", n+1, raw)
		}
		out = append(out, v)
	}
	if block != "" {
		return nil, fmt.Errorf("block %s is not closed", block)
	}
	return out, nil
}

// unquoteConf decodes the inside of a double-quoted string up to its closing quote and returns
// the text after it.
func unquoteConf(s string) (string, string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return b.String(), s[i+1:], nil
		case '\n':
			return "", "", errors.New("raw newline in a quoted string")
		case '\\':
			if i+1 >= len(s) {
				return "", "", errors.New("escape at the end of the line")
			}
			i++
			switch s[i] {
			case 't':
				b.WriteByte('\t')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case '"', '\\':
				b.WriteByte(s[i])
			case 'x':
				if i+2 >= len(s) {
					return "", "", errors.New("short \\x escape")
				}
				h, err := hex.DecodeString(s[i+1 : i+3])
				if err != nil {
					return "", "", fmt.Errorf("bad \\x escape %q", s[i+1:i+3])
				}
				b.Write(h)
				i += 2
			default:
				return "", "", fmt.Errorf("invalid escape character %q (nats-server allows \\xXX, \\t, \\n, \\r, \\\", \\\\)", s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", "", errors.New("unterminated quoted string")
}

// fuzzResolverTypes are the resolver types a fuzzed byte selects.
var fuzzResolverTypes = []natsv1alpha1.ResolverType{"", natsv1alpha1.ResolverFull, natsv1alpha1.ResolverCache, natsv1alpha1.ResolverMemory}

// fuzzAccountPubs are valid account public keys for the preload: the renderer writes them as
// bare keys, and they only ever come from status.publicKey, which the controller generates.
var fuzzAccountPubs = func() []string {
	out := make([]string, 3)
	for i := range out {
		kp, err := nkeys.CreateAccount()
		if err != nil {
			panic(err)
		}
		out[i], _ = kp.PublicKey()
	}
	return out
}()

// fuzzConfig builds a serverConfig from fuzzed values.
func fuzzConfig(operatorJWT, systemJWT, dir string, typ uint8, allowDelete, hardDelete bool,
	interval, timeout, ttl, limit int64, preloadJWT string) serverConfig {
	optDuration := func(ns int64) *metav1.Duration {
		if ns == 0 {
			return nil
		}
		return &metav1.Duration{Duration: time.Duration(ns)}
	}
	c := serverConfig{
		operatorJWT: operatorJWT, systemPub: fuzzAccountPubs[0], systemJWT: systemJWT,
		operatorName: "main", operatorSpace: "nats",
		resolver: natsv1alpha1.ResolverSpec{
			Type: fuzzResolverTypes[int(typ)%len(fuzzResolverTypes)], Dir: dir,
			AllowDelete: allowDelete, HardDelete: hardDelete,
			Interval: optDuration(interval), Timeout: optDuration(timeout), TTL: optDuration(ttl),
		},
	}
	if limit != 0 {
		c.resolver.Limit = ptr.To(limit)
	}
	if preloadJWT != "" {
		c.preload = map[string]string{fuzzAccountPubs[1]: preloadJWT, fuzzAccountPubs[0]: systemJWT}
	}
	return c
}

// FuzzRenderAuthConf: whatever the NatsOperator's resolver settings and whatever the JWTs look
// like, auth.conf parses with nats-server's quoting rules and every value reads back exactly
// as given, so no spec.resolver.dir can break the servers' configuration or inject settings.
func FuzzRenderAuthConf(f *testing.F) {
	f.Add("eyJop", "eyJsys", "/data/resolver", uint8(0), false, false, int64(0), int64(0), int64(0), int64(0), "")
	f.Add("eyJop", "eyJsys", "/jwt", uint8(1), true, true, int64(2*time.Minute), int64(1900*time.Millisecond), int64(0), int64(10), "eyJa")
	f.Add("eyJop", "eyJsys", "", uint8(2), false, false, int64(0), int64(time.Second), int64(time.Hour), int64(1000), "")
	f.Add("eyJop", "eyJsys", "", uint8(3), false, false, int64(0), int64(0), int64(0), int64(0), "eyJa")
	f.Add(`a"b`, "c\\d", "/data/\"x\"\n  allow_delete: true", uint8(1), false, false, int64(-1), int64(0), int64(0), int64(-5), "\x00")
	f.Add("x", "y", "/data/r\u00e9solver\u00a0\u200b", uint8(0), false, false, int64(0), int64(0), int64(0), int64(0), "")
	f.Add("x", "y", "/data/\a\b\f\v\x7f\xff", uint8(2), false, false, int64(0), int64(0), int64(0), int64(0), "")
	f.Fuzz(func(t *testing.T, operatorJWT, systemJWT, dir string, typ uint8, allowDelete, hardDelete bool,
		interval, timeout, ttl, limit int64, preloadJWT string) {
		c := fuzzConfig(operatorJWT, systemJWT, dir, typ, allowDelete, hardDelete, interval, timeout, ttl, limit, preloadJWT)
		text := renderAuthConf(c)
		values, err := parseAuthConf(text)
		if err != nil {
			t.Fatalf("rendered auth.conf does not parse: %v\n%s", err, text)
		}
		got := map[string]string{}
		for _, v := range values {
			k := v.key
			if v.block != "" {
				k = v.block + "." + k
			}
			if _, dup := got[k]; dup {
				t.Fatalf("%s is set twice:\n%s", k, text)
			}
			got[k] = v.value
		}
		want := map[string]string{"operator": operatorJWT, "system_account": c.systemPub,
			"resolver_preload." + c.systemPub: systemJWT}
		if preloadJWT != "" {
			want["resolver_preload."+fuzzAccountPubs[1]] = preloadJWT
		}
		if c.resolver.Type == natsv1alpha1.ResolverMemory {
			want["resolver"] = "MEMORY"
		} else {
			want["resolver.dir"] = cmpOr(dir, defaultResolverDir)
		}
		for k, v := range want {
			if got[k] != v {
				t.Fatalf("%s reads back as %q, want %q:\n%s", k, got[k], v, text)
			}
		}
		if text != renderAuthConf(c) {
			t.Fatal("rendering is not deterministic")
		}
	})
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// TestRenderAuthConfRealServer runs `nats-server -t` (check the configuration and exit) on
// auth.conf renderings with hostile resolver directories, as a nats-server that includes the
// Secret would read them, so the fuzz target's parser cannot drift from the real one. The
// JWTs are real, because nats-server decodes the operator JWT while checking.
func TestRenderAuthConfRealServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts nats-server; the unit tier (-short) starts no process")
	}
	bin, err := testbed.BinPath(testbed.NatsServerBinary)
	if err != nil {
		t.Skipf("nats-server is not installed (make test-deps): %v", err)
	}
	opKey, err := natsjwt.NewKey(natsjwt.KindOperator)
	if err != nil {
		t.Fatal(err)
	}
	opPub, _ := opKey.PublicKey()
	sysKey, err := natsjwt.NewKey(natsjwt.KindAccount)
	if err != nil {
		t.Fatal(err)
	}
	sysPub, _ := sysKey.PublicKey()
	signingKey, err := natsjwt.NewKey(natsjwt.KindOperator)
	if err != nil {
		t.Fatal(err)
	}
	signingPub, _ := signingKey.PublicKey()
	oc, err := natsjwt.OperatorClaims(opPub, natsjwt.OperatorSpec{Name: "main", SigningKeys: []string{signingPub}, SystemAccount: sysPub})
	if err != nil {
		t.Fatal(err)
	}
	opJWT, _, err := natsjwt.Sign(oc, opKey)
	if err != nil {
		t.Fatal(err)
	}
	ac, err := natsjwt.AccountClaims(sysPub, natsjwt.AccountSpec{Name: "main-system"})
	if err != nil {
		t.Fatal(err)
	}
	sysJWT, _, err := natsjwt.Sign(ac, signingKey)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	for name, dir := range map[string]string{
		"plain":               filepath.Join(tmp, "plain"),
		"quotes and newline":  filepath.Join(tmp, "a\"b\n  allow_delete: true"),
		"backslashes":         filepath.Join(tmp, `c:\jwt\`),
		"unprintable unicode": filepath.Join(tmp, "r\u00e9solver\u00a0\u200b"),
		"control characters":  filepath.Join(tmp, "\a\b\f\v\x7f\t"),
		"dollar":              filepath.Join(tmp, "$HOME"),
	} {
		t.Run(name, func(t *testing.T) {
			c := serverConfig{operatorJWT: opJWT, systemPub: sysPub, systemJWT: sysJWT, operatorName: "main", operatorSpace: "nats",
				resolver: natsv1alpha1.ResolverSpec{Type: natsv1alpha1.ResolverFull, Dir: dir, AllowDelete: true,
					Interval: &metav1.Duration{Duration: time.Minute}, Timeout: &metav1.Duration{Duration: time.Second}}}
			auth := renderAuthConf(c)
			path := filepath.Join(t.TempDir(), "nats.conf")
			conf := "listen: 127.0.0.1:-1\ninclude ./auth.conf\n"
			if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(filepath.Dir(path), naming.AuthConf), []byte(auth), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(bin, "-t", "-c", path).CombinedOutput()
			if err != nil {
				t.Fatalf("nats-server refuses the rendered auth.conf: %v\n%s\n%s", err, out, auth)
			}
			if _, err := parseAuthConf(auth); err != nil {
				t.Errorf("nats-server accepts what parseAuthConf refuses: %v", err)
			}
		})
	}
}
