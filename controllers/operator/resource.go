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
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/controllerutil"
)

// Names of the objects an operator owns (controllers/DESIGN.md).
func keySecretName(op *natsv1alpha1.NatsOperator) string     { return op.Name + "-operator-keys" }
func serverConfigName(op *natsv1alpha1.NatsOperator) string  { return op.Name + "-server-config" }
func systemAccountName(op *natsv1alpha1.NatsOperator) string { return op.Name + "-system" }
func resolverUserName(op *natsv1alpha1.NatsOperator) string  { return op.Name + "-resolver" }

// ResolverCredsSecretName is the Secret holding the resolver binary's user.creds.
func ResolverCredsSecretName(operatorName string) string { return operatorName + "-resolver-creds" }

// Data keys of the operator key Secret.
const (
	identityKey = "operator.nk"
	signingKey  = "signing.nk"
)

// defaultResolverDir is the official NATS helm chart's resolver volume.
const defaultResolverDir = "/data/resolver"

func ownerRef(op *natsv1alpha1.NatsOperator) metav1.OwnerReference {
	return *metav1.NewControllerRef(op, natsv1alpha1.SchemeGroupVersion.WithKind("NatsOperator"))
}

func labels(op *natsv1alpha1.NatsOperator, secretType string) map[string]string {
	l := map[string]string{
		controllerutil.LabelManagedBy: controllerutil.ManagedByValue,
		controllerutil.LabelOperator:  op.Name,
	}
	if secretType != "" {
		l[controllerutil.LabelSecretType] = secretType
	}
	return l
}

// desiredSystemAccount is the operator's system account: no JetStream (a JetStream-enabled
// nats-server exits at startup when the system account has JetStream limits), users only from
// the operator's own namespace, and keys that follow the operator's deletion policy.
func desiredSystemAccount(op *natsv1alpha1.NatsOperator) *natsv1alpha1.NatsAccount {
	l := labels(op, "")
	l[controllerutil.LabelSystemAccount] = op.Name
	return &natsv1alpha1.NatsAccount{
		ObjectMeta: metav1.ObjectMeta{
			Name: systemAccountName(op), Namespace: op.Namespace, Labels: l,
			OwnerReferences: []metav1.OwnerReference{ownerRef(op)},
		},
		Spec: natsv1alpha1.NatsAccountSpec{
			OperatorRef:       natsv1alpha1.LocalObjectReference{Name: op.Name},
			Description:       fmt.Sprintf("System account of NatsOperator %s/%s", op.Namespace, op.Name),
			KeyDeletionPolicy: op.Spec.KeyDeletionPolicy,
		},
	}
}

// desiredResolverUser is the least-privilege system-account user of the resolver binary: it may
// push, list and delete account JWTs, count servers, and answer lookups, nothing else.
func desiredResolverUser(op *natsv1alpha1.NatsOperator) *natsv1alpha1.NatsUser {
	subjects := func(s ...string) []natsv1alpha1.Subject {
		out := make([]natsv1alpha1.Subject, len(s))
		for i, v := range s {
			out[i] = natsv1alpha1.Subject(v)
		}
		return out
	}
	return &natsv1alpha1.NatsUser{
		ObjectMeta: metav1.ObjectMeta{
			Name: resolverUserName(op), Namespace: op.Namespace, Labels: labels(op, ""),
			OwnerReferences: []metav1.OwnerReference{ownerRef(op)},
		},
		Spec: natsv1alpha1.NatsUserSpec{
			AccountRef: natsv1alpha1.NatsAccountReference{Name: systemAccountName(op), Namespace: op.Namespace},
			UserPermissionLimits: natsv1alpha1.UserPermissionLimits{Permissions: &natsv1alpha1.Permissions{
				Pub: &natsv1alpha1.PublishPermission{Allow: subjects(
					"$SYS.REQ.CLAIMS.*", "$SYS.REQ.ACCOUNT.*.CLAIMS.*", "$SYS.REQ.SERVER.PING", "$SYS.REQ.SERVER.PING.*")},
				Sub: &natsv1alpha1.SubscribePermission{Allow: []natsv1alpha1.SubscribeSubject{
					"_INBOX.>", "$SYS.REQ.ACCOUNT.*.CLAIMS.LOOKUP"}},
				Resp: &natsv1alpha1.ResponsePermission{MaxMsgs: 1},
			}},
			SecretName: ResolverCredsSecretName(op.Name),
		},
	}
}

// serverConfig is what the server-config Secret carries.
type serverConfig struct {
	operatorJWT   string
	systemPub     string
	systemJWT     string
	preload       map[string]string // account public key -> JWT; memory resolver only
	resolver      natsv1alpha1.ResolverSpec
	operatorName  string
	operatorSpace string
}

// renderAuthConf renders the auth part of a nats-server configuration. It is deterministic, so
// its checksum changes exactly when the servers need a restart or reload.
func renderAuthConf(c serverConfig) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Generated by nats-auth-operator for NatsOperator %s/%s. Do not edit.\n", c.operatorSpace, c.operatorName)
	fmt.Fprintf(&b, "operator: %s\n", confQuote(c.operatorJWT))
	fmt.Fprintf(&b, "system_account: %s\n", confQuote(c.systemPub))
	r := c.resolver
	if r.Type == natsv1alpha1.ResolverMemory {
		b.WriteString("resolver: MEMORY\n")
	} else {
		dir := r.Dir
		if dir == "" {
			dir = defaultResolverDir
		}
		typ := string(r.Type)
		if typ == "" {
			typ = string(natsv1alpha1.ResolverFull)
		}
		b.WriteString("resolver {\n")
		fmt.Fprintf(&b, "  type: %s\n  dir: %s\n", typ, confQuote(dir))
		if typ == string(natsv1alpha1.ResolverFull) {
			fmt.Fprintf(&b, "  allow_delete: %t\n", r.AllowDelete)
			if r.AllowDelete {
				fmt.Fprintf(&b, "  hard_delete: %t\n", r.HardDelete)
			}
			if r.Interval != nil {
				fmt.Fprintf(&b, "  interval: %s\n", confQuote(r.Interval.Duration.String()))
			}
		}
		if r.TTL != nil {
			fmt.Fprintf(&b, "  ttl: %s\n", confQuote(r.TTL.Duration.String()))
		}
		if r.Timeout != nil {
			fmt.Fprintf(&b, "  timeout: %s\n", confQuote(r.Timeout.Duration.String()))
		}
		if r.Limit != nil && *r.Limit > 0 {
			fmt.Fprintf(&b, "  limit: %d\n", *r.Limit)
		}
		b.WriteString("}\n")
	}
	b.WriteString("resolver_preload {\n")
	fmt.Fprintf(&b, "  %s: %s\n", c.systemPub, confQuote(c.systemJWT))
	pubs := make([]string, 0, len(c.preload))
	for pub := range c.preload {
		if pub != c.systemPub {
			pubs = append(pubs, pub)
		}
	}
	sort.Strings(pubs)
	for _, pub := range pubs {
		fmt.Fprintf(&b, "  %s: %s\n", pub, confQuote(c.preload[pub]))
	}
	b.WriteString("}\n")
	return b.String()
}

// confQuote quotes s as a double-quoted string of the nats-server configuration language. Go's
// %q is not that: nats-server accepts only the escapes \xHH, \t, \n, \r, \" and \\, and
// refuses the whole file on \a, \u00a0 and the like, which %q writes for control characters
// and unprintable runes (a spec.resolver.dir with a no-break space made every server refuse
// auth.conf; found by FuzzRenderAuthConf). Printable text is kept as it is; every other byte
// becomes \xHH, which nats-server turns back into that byte.
func confQuote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == utf8.RuneError && size <= 1, !unicode.IsPrint(r):
			for _, c := range []byte(s[i : i+size]) {
				fmt.Fprintf(&b, `\x%02x`, c)
			}
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
	return b.String()
}

// desiredServerConfigSecret is the Secret nats-servers mount. The checksum annotation lets a
// deployment roll its servers when the operator JWT changes, which nats-server cannot reload.
func desiredServerConfigSecret(op *natsv1alpha1.NatsOperator, c serverConfig) *corev1.Secret {
	auth := renderAuthConf(c)
	sum := sha256.Sum256([]byte(auth))
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: serverConfigName(op), Namespace: op.Namespace,
			Labels:          labels(op, controllerutil.SecretTypeServerCfg),
			Annotations:     map[string]string{controllerutil.AnnotationChecksum: hex.EncodeToString(sum[:])},
			OwnerReferences: []metav1.OwnerReference{ownerRef(op)},
		},
		Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{
			"auth.conf":    []byte(auth),
			"operator.jwt": []byte(c.operatorJWT),
			"sys.jwt":      []byte(c.systemJWT),
			"sys.pub":      []byte(c.systemPub),
		},
	}
}
