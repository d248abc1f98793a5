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
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/natsjwt"
	"github.com/natsauth/nats-auth-operator/resolver/natssys"
)

// operatorToken signs an operator JWT trusting signing and returns it with its claims hash.
func operatorToken(t *testing.T, identity nkeys.KeyPair, signing ...string) (string, string) {
	t.Helper()
	pub, _ := identity.PublicKey()
	claims := jwt.NewOperatorClaims(pub)
	claims.SigningKeys.Add(signing...)
	token, err := claims.Encode(identity)
	if err != nil {
		t.Fatal(err)
	}
	decoded, err := jwt.DecodeOperatorClaims(token)
	if err != nil {
		t.Fatal(err)
	}
	h, err := natsjwt.Hash(decoded)
	if err != nil {
		t.Fatal(err)
	}
	return token, h
}

// TestRolledStatus: serversClaimsHash moves only when every expected server answered with the
// same operator claims; the condition names the servers still to restart.
func TestRolledStatus(t *testing.T) {
	identity, _ := nkeys.CreateOperator()
	oldTok, oldHash := operatorToken(t, identity, "OA")
	newTok, newHash := operatorToken(t, identity, "OA", "OB")
	op := &natsv1alpha1.NatsOperator{Status: natsv1alpha1.NatsOperatorStatus{ClaimsHash: newHash, ServersClaimsHash: oldHash, ServerConfigSecret: "main-server-config"}}
	reply := func(name, tok string) natssys.ServerOperators {
		return natssys.ServerOperators{Server: natssys.ServerInfo{Name: name, ID: "N" + name}, OperatorJWTs: []string{tok}}
	}
	expected := []string{"n1", "n2", "n3"}

	hash, cond := rolledStatus(op, expected, []natssys.ServerOperators{reply("n1", newTok), reply("n2", oldTok), reply("n3", newTok)})
	if hash != oldHash || cond.Status != metav1.ConditionFalse || cond.Reason != ReasonRollPending || !strings.Contains(cond.Message, "2 of 3") || !strings.Contains(cond.Message, "restart n2 ") {
		t.Errorf("one server behind: hash %s, condition %+v", hash, cond)
	}
	hash, cond = rolledStatus(op, expected, []natssys.ServerOperators{reply("n1", newTok), reply("n3", newTok)})
	if hash != oldHash || cond.Status != metav1.ConditionFalse || !strings.Contains(cond.Message, "restart n2 ") {
		t.Errorf("one server silent: hash %s, condition %+v", hash, cond)
	}
	hash, cond = rolledStatus(op, expected, []natssys.ServerOperators{reply("n1", newTok), reply("n2", newTok), reply("n3", newTok)})
	if hash != newHash || cond.Status != metav1.ConditionTrue || cond.Reason != ReasonRolled {
		t.Errorf("all rolled: hash %s, condition %+v", hash, cond)
	}
}

// TestNoAnswer: a probe no server answered names the subject, with the probe's error when it
// had one and without a %!w(<nil>) when it had none.
func TestNoAnswer(t *testing.T) {
	if got := noAnswer(nil).Error(); strings.Contains(got, "%!") || !strings.Contains(got, natssys.SubjectServerVarz) {
		t.Errorf("noAnswer(nil) = %q", got)
	}
	cause := errors.New("timeout")
	if err := noAnswer(cause); !errors.Is(err, cause) {
		t.Errorf("noAnswer(cause) = %v, does not wrap it", err)
	}
}

// TestNextCondition: the transition time moves only when the status flips, and any change of
// reason, message or generation is a change.
func TestNextCondition(t *testing.T) {
	then, now := time.Unix(1000, 0), time.Unix(2000, 0)
	prev := []metav1.Condition{{Type: ConditionServersRolled, Status: metav1.ConditionFalse, Reason: ReasonRollPending,
		Message: "m", ObservedGeneration: 1, LastTransitionTime: metav1.NewTime(then)}}
	same := metav1.Condition{Type: ConditionServersRolled, Status: metav1.ConditionFalse, Reason: ReasonRollPending, Message: "m", ObservedGeneration: 1}
	if c, changed := nextCondition(prev, same, now); changed || !c.LastTransitionTime.Time.Equal(then) {
		t.Errorf("unchanged: changed %v, transition %v", changed, c.LastTransitionTime)
	}
	msg := same
	msg.Message = "other"
	if c, changed := nextCondition(prev, msg, now); !changed || !c.LastTransitionTime.Time.Equal(then) {
		t.Errorf("new message: changed %v, transition %v", changed, c.LastTransitionTime)
	}
	flipped := same
	flipped.Status, flipped.Reason = metav1.ConditionTrue, ReasonRolled
	if c, changed := nextCondition(prev, flipped, now); !changed || !c.LastTransitionTime.Time.Equal(now) {
		t.Errorf("flipped: changed %v, transition %v", changed, c.LastTransitionTime)
	}
	if c, changed := nextCondition(nil, same, now); !changed || !c.LastTransitionTime.Time.Equal(now) {
		t.Errorf("first: changed %v, transition %v", changed, c.LastTransitionTime)
	}
}
