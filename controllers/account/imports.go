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

package account

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// resolvedImport is what the controller found out about one spec import: the exporter's public
// key and, for a token-required export, the activation token.
type resolvedImport struct {
	Account string
	Token   string
}

// resolveImports resolves every spec import, in spec order. Imports by public key are taken as
// they are; imports by accountRef get the exporter's public key and, when its export requires a
// token, an activation token (reused from the current JWT while still valid). The exporter must
// be another account of the same operator: minting uses its private key, and servers know only
// the accounts of their own operator. All unresolved imports are reported together. minted
// counts the activation tokens signed.
func (c *Controller) resolveImports(ctx context.Context, acc *natsv1alpha1.NatsAccount, current *jwt.AccountClaims) (_ []resolvedImport, minted int, _ error) {
	out := make([]resolvedImport, len(acc.Spec.Imports))
	var problems []string
	for i, imp := range acc.Spec.Imports {
		ref, byRef := naming.ImportedAccount(acc, imp)
		if !byRef {
			if acc.Status.PublicKey != "" && imp.AccountPublicKey == acc.Status.PublicKey {
				problems = append(problems, fmt.Sprintf("spec.imports[%d]: %s is this account's own public key; an account cannot import its own exports", i, imp.AccountPublicKey))
				continue
			}
			out[i] = resolvedImport{Account: imp.AccountPublicKey}
			continue
		}
		if ref.Namespace == acc.Namespace && ref.Name == acc.Name {
			problems = append(problems, fmt.Sprintf("spec.imports[%d]: NatsAccount %s is this account; an account cannot import its own exports", i, ref))
			continue
		}
		exporter, err := c.accountLister.NatsAccounts(ref.Namespace).Get(ref.Name)
		if apierrors.IsNotFound(err) {
			problems = append(problems, fmt.Sprintf("spec.imports[%d]: NatsAccount %s does not exist", i, ref))
			continue
		}
		if err != nil {
			return nil, minted, err
		}
		if exporter.Status.PublicKey == "" {
			problems = append(problems, fmt.Sprintf("spec.imports[%d]: NatsAccount %s has no public key yet", i, ref))
			continue
		}
		if exporter.Namespace != acc.Namespace || exporter.Spec.OperatorRef != acc.Spec.OperatorRef {
			// The servers of one operator know no account of another: the import would never
			// resolve there.
			problems = append(problems, fmt.Sprintf("spec.imports[%d]: NatsAccount %s belongs to NatsOperator %s/%s, not to %s/%s like this account; "+
				"servers trust the accounts of one operator only", i, ref, exporter.Namespace, exporter.Spec.OperatorRef.Name, acc.Namespace, acc.Spec.OperatorRef.Name))
			continue
		}
		export, problem := matchExport(acc, exporter, imp)
		if problem != "" {
			problems = append(problems, fmt.Sprintf("spec.imports[%d]: %s", i, problem))
			continue
		}
		out[i] = resolvedImport{Account: exporter.Status.PublicKey}
		if !export.TokenRequired {
			continue
		}
		token, fresh, err := c.activation(ctx, acc, exporter, imp, current)
		if err != nil {
			return nil, minted, err
		}
		if fresh {
			minted++
		}
		out[i].Token = token
	}
	if len(problems) > 0 {
		return nil, minted, controllerhelpers.Failed(ReasonImportNotResolved, "%s", strings.Join(problems, "; "))
	}
	return out, minted, nil
}

// matchExport finds the exporter's export that covers the import: same type, the import subject
// contained in the export subject and, for an export with accountTokenPosition, this account's
// public key at that token. problem explains a miss in terms the user can act on.
func matchExport(acc, exporter *natsv1alpha1.NatsAccount, imp natsv1alpha1.Import) (_ *natsv1alpha1.Export, problem string) {
	subject := jwt.Subject(imp.Subject)
	var otherType []string
	for i := range exporter.Spec.Exports {
		e := &exporter.Spec.Exports[i]
		if !subject.IsContainedIn(jwt.Subject(e.Subject)) {
			continue
		}
		if e.Type != imp.Type {
			otherType = append(otherType, fmt.Sprintf("%q", e.Subject))
			continue
		}
		if pos := e.AccountTokenPosition; pos != nil {
			tokens := strings.Split(string(imp.Subject), ".")
			if int(*pos) > len(tokens) || tokens[*pos-1] != acc.Status.PublicKey {
				return nil, fmt.Sprintf("the %s export %q of NatsAccount %s/%s requires this account's public key %s as token %d of the subject",
					e.Type, e.Subject, exporter.Namespace, exporter.Name, acc.Status.PublicKey, *pos)
			}
		}
		return e, ""
	}
	if len(otherType) > 0 {
		return nil, fmt.Sprintf("NatsAccount %s/%s exports %s as a %s, not a %s",
			exporter.Namespace, exporter.Name, strings.Join(otherType, ", "), otherTypeOf(imp.Type), imp.Type)
	}
	return nil, fmt.Sprintf("NatsAccount %s/%s has no %s export covering %q", exporter.Namespace, exporter.Name, imp.Type, imp.Subject)
}

func otherTypeOf(t natsv1alpha1.ExportType) natsv1alpha1.ExportType {
	if t == natsv1alpha1.ExportStream {
		return natsv1alpha1.ExportService
	}
	return natsv1alpha1.ExportStream
}

// activation returns the activation token for importing imp from exporter, signed by the
// exporter's default signing key with issuer_account set to the exporter. A token in the current
// JWT that is still valid for the same importer, subject, kind and signer is reused, so a resync
// does not change the claims. fresh is true when a token was signed.
func (c *Controller) activation(ctx context.Context, acc, exporter *natsv1alpha1.NatsAccount, imp natsv1alpha1.Import,
	current *jwt.AccountClaims) (token string, fresh bool, _ error) {
	signer, err := c.exporterSigner(exporter)
	if err != nil {
		return "", false, err
	}
	defer signer.Wipe()
	signerPub, err := signer.PublicKey()
	if err != nil {
		return "", false, fmt.Errorf("exporter signing key: %w", err)
	}
	want := activationKey{
		importer: acc.Status.PublicKey, exporter: exporter.Status.PublicKey, signer: signerPub,
		subject: string(imp.Subject), kind: string(imp.Type),
	}
	if token := reusableActivation(current, want, c.deps.Clock.Now()); token != "" {
		return token, false, nil
	}
	claims, err := natsjwt.ActivationClaims(want.importer, want.subject, want.kind, want.exporter, time.Time{})
	if errors.Is(err, natsjwt.ErrInvalidSpec) {
		return "", false, controllerhelpers.Failed(ReasonInvalidSpec, "activation for import of %q: %v", imp.Subject, err)
	}
	if err != nil {
		return "", false, fmt.Errorf("build activation claims: %w", err)
	}
	token, _, err = natsjwt.Sign(claims, signer)
	if err != nil {
		return "", false, fmt.Errorf("sign activation: %w", err)
	}
	return token, true, nil
}

// exporterSigner reads the exporter's default signing key from its key Secret in the cache. The
// key must be the one the exporter's status advertises, or importers would get tokens its JWT
// does not trust.
func (c *Controller) exporterSigner(exporter *natsv1alpha1.NatsAccount) (nkeys.KeyPair, error) {
	name := naming.AccountKeysSecret(exporter.Name)
	ref := exporter.Namespace + "/" + exporter.Name
	secret, err := c.secretLister.Secrets(exporter.Namespace).Get(name)
	if exporter.Spec.KeysSecretRef != nil {
		// Adopted keys: the user's Secret is not in the label-filtered cache.
		secret, err = c.deps.Provided.Get(exporter.Namespace, exporter.Spec.KeysSecretRef.Name)
	}
	if apierrors.IsNotFound(err) {
		return nil, controllerhelpers.WaitingFor(ReasonImportNotResolved, "waiting for the key Secret of NatsAccount %s", ref)
	}
	if err != nil {
		return nil, err
	}
	// The current generation signs, so tokens are re-minted when the default key rotates.
	seed, ok := secret.Data[naming.AccountSigningSeedAt(naming.DefaultSigningKey, defaultGeneration(exporter))]
	if !ok {
		return nil, controllerhelpers.WaitingFor(ReasonImportNotResolved, "waiting for the default signing key of NatsAccount %s", ref)
	}
	kp, err := natsjwt.ParseSeed(seed, natsjwt.KindAccount)
	if err != nil {
		return nil, controllerhelpers.Failed(ReasonImportNotResolved, "the key Secret of NatsAccount %s is invalid: %v", ref, err)
	}
	pub, err := kp.PublicKey()
	if err != nil || !advertises(exporter, pub) {
		kp.Wipe()
		return nil, controllerhelpers.WaitingFor(ReasonImportNotResolved, "waiting for NatsAccount %s to report its default signing key", ref)
	}
	return kp, nil
}

// defaultGeneration is the generation of acc's default signing key in its status.
func defaultGeneration(acc *natsv1alpha1.NatsAccount) int32 {
	for _, sk := range acc.Status.SigningKeys {
		if sk.Name == naming.DefaultSigningKey {
			return sk.Generation
		}
	}
	return 0
}

func advertises(acc *natsv1alpha1.NatsAccount, pub string) bool {
	for _, sk := range acc.Status.SigningKeys {
		if sk.Name == naming.DefaultSigningKey {
			return sk.PublicKey == pub
		}
	}
	return false
}

// activationKey is what an activation token must say to be reused.
type activationKey struct {
	importer, exporter, signer, subject, kind string
}

// reusableActivation returns the token of the current JWT's matching import when it still
// verifies and says exactly want, and has not expired at now.
func reusableActivation(current *jwt.AccountClaims, want activationKey, now time.Time) string {
	if current == nil {
		return ""
	}
	for _, im := range current.Imports {
		if im.Token == "" || im.Account != want.exporter || string(im.Subject) != want.subject || im.Type.String() != want.kind {
			continue
		}
		ac, err := jwt.DecodeActivationClaims(im.Token)
		if err != nil {
			continue
		}
		if ac.Subject == want.importer && string(ac.ImportSubject) == want.subject && ac.ImportType.String() == want.kind &&
			ac.Issuer == want.signer && ac.IssuerAccount == want.exporter && (ac.Expires == 0 || ac.Expires > now.Unix()) {
			return im.Token
		}
	}
	return ""
}
