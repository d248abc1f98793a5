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
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/nats-io/jwt/v2"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/natsjwt"
	"github.com/natsauth/nats-auth-operator/resolver/natssys"
)

// The ServersRolled condition of a NatsOperator, owned by the resolver: whether every
// nats-server runs the operator JWT in status.jwt. nats-server cannot reload an operator JWT,
// so after every change of it the servers must be restarted; an operator signing-key rotation
// waits for this before it re-signs the accounts.
const (
	ConditionServersRolled = "ServersRolled"
	// ReasonRolled: every expected server runs the current operator JWT.
	ReasonRolled = "Rolled"
	// ReasonRollPending: some servers still run another operator JWT, or did not answer.
	ReasonRollPending = "RollPending"
	// RolledFieldManager owns the ServersRolled condition and status.serversClaimsHash.
	RolledFieldManager = "nats-auth-resolver-rolled"
)

// operatorProbe reads the operator JWTs the servers run; natssys.Client implements it. A NATS
// without it (the unit tests' fake) gets no ServersRolled checks.
type operatorProbe interface {
	TrustedOperators(ctx context.Context) ([]natssys.ServerOperators, error)
}

// The binary's NATS always has the probe.
var _ operatorProbe = natsConn{}

// runRolledCheck checks, every server TTL, whether the servers run the current operator JWT,
// while the status does not say so yet. Once it does, nothing is asked of the servers.
func (c *Controller) runRolledCheck(ctx context.Context) {
	probe, ok := c.nats.(operatorProbe)
	if !ok {
		return
	}
	wait.UntilWithContext(ctx, func(ctx context.Context) {
		if err := c.checkRolled(ctx, probe); err != nil {
			klog.FromContext(ctx).V(2).Info("Checking which operator JWT the servers run failed", "err", err)
		}
	}, c.servers.ttl)
}

// checkRolled asks every server for its operator JWT and records the outcome.
func (c *Controller) checkRolled(ctx context.Context, probe operatorProbe) error {
	op, err := c.operators.NatsOperators(c.operator.Namespace).Get(c.operator.Name)
	if err != nil || op.Status.JWT == "" || op.Status.ClaimsHash == "" || !c.nats.Connected() {
		return nil // the operator's next status brings the JWT; a reconnect makes the next check
	}
	if cond := meta.FindStatusCondition(op.Status.Conditions, ConditionServersRolled); cond != nil &&
		cond.Status == metav1.ConditionTrue && op.Status.ServersClaimsHash == op.Status.ClaimsHash {
		return nil
	}
	view, _, err := c.servers.get(ctx)
	if err != nil {
		return err
	}
	pctx, cancel := context.WithTimeout(ctx, c.pushTimeout)
	defer cancel()
	replies, err := probe.TrustedOperators(pctx)
	if len(replies) == 0 {
		return noAnswer(err)
	}
	hash, cond := rolledStatus(op, view.expected, replies)
	return c.applyRolled(ctx, op, hash, cond)
}

// noAnswer is the error of a probe no server answered; err, the probe's own, may be nil.
func noAnswer(err error) error {
	if err == nil {
		return fmt.Errorf("no server answered %s", natssys.SubjectServerVarz)
	}
	return fmt.Errorf("no server answered %s: %w", natssys.SubjectServerVarz, err)
}

// rolledStatus computes serversClaimsHash (unchanged unless every expected server answered with
// the same operator JWT claims) and the ServersRolled condition.
func rolledStatus(op *natsv1alpha1.NatsOperator, expected []string, replies []natssys.ServerOperators) (string, metav1.Condition) {
	hashes := map[string]string{} // server name -> claims hash of its operator JWT
	for _, r := range replies {
		hashes[r.Server.Name] = operatorHash(r.OperatorJWTs)
	}
	names := slices.Clone(expected)
	for name := range hashes {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	var behind []string
	agreed := ""
	for i, name := range names {
		h := hashes[name]
		if h != op.Status.ClaimsHash {
			behind = append(behind, name)
		}
		if i == 0 || h == agreed {
			agreed = h
		} else {
			agreed = "-"
		}
	}
	hash := op.Status.ServersClaimsHash
	if agreed != "" && agreed != "-" {
		hash = agreed
	}
	cond := metav1.Condition{Type: ConditionServersRolled, Status: metav1.ConditionTrue, Reason: ReasonRolled,
		ObservedGeneration: op.Generation,
		Message:            fmt.Sprintf("all %d nats-servers run the current operator JWT", len(names))}
	if len(behind) > 0 {
		cond.Status, cond.Reason = metav1.ConditionFalse, ReasonRollPending
		cond.Message = fmt.Sprintf("%d of %d nats-servers run the current operator JWT; restart %s with Secret %s",
			len(names)-len(behind), len(names), strings.Join(behind, ", "), op.Status.ServerConfigSecret)
	}
	return hash, cond
}

// operatorHash is the claims hash of the one operator JWT a server trusts, "" for none or
// several (this operator's servers trust exactly one).
func operatorHash(tokens []string) string {
	if len(tokens) != 1 {
		return ""
	}
	claims, err := jwt.DecodeOperatorClaims(tokens[0])
	if err != nil {
		return ""
	}
	h, err := natsjwt.Hash(claims)
	if err != nil {
		return ""
	}
	return h
}

type operatorStatusApply struct {
	APIVersion string             `json:"apiVersion"`
	Kind       string             `json:"kind"`
	Metadata   applyMeta          `json:"metadata"`
	Status     operatorStatusPart `json:"status"`
}

type operatorStatusPart struct {
	Conditions        []metav1.Condition `json:"conditions"`
	ServersClaimsHash string             `json:"serversClaimsHash,omitempty"`
}

// applyRolled writes the condition and hash with server-side apply when they changed.
func (c *Controller) applyRolled(ctx context.Context, op *natsv1alpha1.NatsOperator, hash string, cond metav1.Condition) error {
	cond, changed := nextCondition(op.Status.Conditions, cond, c.clock.Now())
	if !changed && op.Status.ServersClaimsHash == hash {
		return nil
	}
	body, err := json.Marshal(operatorStatusApply{
		APIVersion: natsv1alpha1.SchemeGroupVersion.String(), Kind: "NatsOperator",
		Metadata: applyMeta{Name: op.Name, Namespace: op.Namespace, UID: op.UID},
		Status:   operatorStatusPart{Conditions: []metav1.Condition{cond}, ServersClaimsHash: hash},
	})
	if err != nil {
		return fmt.Errorf("encode %s status: %w", ConditionServersRolled, err)
	}
	_, err = c.client.NatsauthV1alpha1().NatsOperators(op.Namespace).Patch(ctx, op.Name, types.ApplyPatchType, body,
		metav1.PatchOptions{FieldManager: RolledFieldManager, Force: ptr.To(true)}, "status")
	if err != nil {
		return fmt.Errorf("apply %s status: %w", ConditionServersRolled, err)
	}
	klog.FromContext(ctx).V(2).Info("Recorded which operator JWT the servers run", "serversClaimsHash", hash, "reason", cond.Reason, "message", cond.Message)
	return nil
}
