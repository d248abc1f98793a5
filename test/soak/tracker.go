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

package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nkeys"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	natsinformers "github.com/natsauth/nats-auth-operator/generated/informers/externalversions"
	"github.com/natsauth/nats-auth-operator/natsjwt"
)

// tracker watches every object and Secret the controller writes for the whole run, so that a
// public key that changes even for a moment, or a key Secret that disappears, is caught; and it
// keeps every user creds it saw, so that old creds can be tried at the end. It holds secrets in
// memory only; nothing it keeps is ever printed.
type tracker struct {
	st *stats

	mu           sync.Mutex
	identities   map[string]string             // identity -> public key, e.g. "NatsAccount soak-nats/acc-0"
	keySecrets   map[string]bool               // key Secrets seen (namespace/name)
	seeds        map[string]bool               // every seed seen, for the scans of logs, events and status
	creds        map[string]*credsObs          // by user JWT
	incarnations map[string]map[types.UID]bool // NatsAccount name -> the UIDs it had
	expected     map[string]bool               // key Secrets a fault deletes and restores itself
	repaired     map[string]string             // user JWT -> the JWT a repair replaced it with
}

// credsObs is one version of a user's creds Secret.
type credsObs struct {
	owner types.UID
	user  string // namespace/name of the NatsUser
	jwt   string
	creds []byte
	seen  time.Time
}

func (s *soak) startTracker(ctx context.Context) error {
	t := &tracker{st: s.stats, identities: map[string]string{}, keySecrets: map[string]bool{},
		seeds: map[string]bool{}, creds: map[string]*credsObs{}, incarnations: map[string]map[types.UID]bool{},
		expected: map[string]bool{}, repaired: map[string]string{}}
	s.tracker = t
	stop := make(chan struct{})
	s.onStop(func() { close(stop) })

	nf := natsinformers.NewSharedInformerFactory(s.natsauth, 0)
	handler := func(f func(obj any)) cache.ResourceEventHandlerFuncs {
		return cache.ResourceEventHandlerFuncs{AddFunc: f, UpdateFunc: func(_, obj any) { f(obj) }}
	}
	_, _ = nf.Natsauth().V1alpha1().NatsOperators().Informer().AddEventHandler(handler(func(obj any) {
		if o, ok := obj.(*natsv1alpha1.NatsOperator); ok {
			t.identity("NatsOperator "+o.Namespace+"/"+o.Name, o.Status.PublicKey, "status.publicKey")
		}
	}))
	_, _ = nf.Natsauth().V1alpha1().NatsAccounts().Informer().AddEventHandler(handler(func(obj any) {
		if a, ok := obj.(*natsv1alpha1.NatsAccount); ok {
			// Account keys outlive the object (Retain): a re-created account of the same name
			// must adopt the same identity, so the identity is the name, not the UID.
			t.identity("NatsAccount "+a.Namespace+"/"+a.Name, a.Status.PublicKey, "status.publicKey")
			t.mu.Lock()
			if t.incarnations[a.Name] == nil {
				t.incarnations[a.Name] = map[types.UID]bool{}
			}
			t.incarnations[a.Name][a.UID] = true
			t.mu.Unlock()
		}
	}))
	_, _ = nf.Natsauth().V1alpha1().NatsUsers().Informer().AddEventHandler(handler(func(obj any) {
		if u, ok := obj.(*natsv1alpha1.NatsUser); ok {
			t.identity(userIdentity(u.UID, u.Namespace, u.Name), u.Status.PublicKey, "status.publicKey")
		}
	}))

	kf := informers.NewSharedInformerFactoryWithOptions(s.kube, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.LabelSelector = naming.ManagedSelector
	}))
	_, _ = kf.Core().V1().Secrets().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    t.secret,
		UpdateFunc: func(_, obj any) { t.secret(obj) },
		DeleteFunc: t.secretDeleted,
	})
	nf.Start(stop)
	kf.Start(stop)
	syncCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for typ, ok := range nf.WaitForCacheSync(syncCtx.Done()) {
		if !ok {
			return fmt.Errorf("tracker: %v not synced", typ)
		}
	}
	for typ, ok := range kf.WaitForCacheSync(syncCtx.Done()) {
		if !ok {
			return fmt.Errorf("tracker: %v not synced", typ)
		}
	}
	return nil
}

func userIdentity(uid types.UID, ns, name string) string {
	return fmt.Sprintf("NatsUser %s/%s (uid %s)", ns, name, uid)
}

// identity records that id has public key pub (from where); any other key later is a violation.
func (t *tracker) identity(id, pub, where string) {
	if pub == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.st.check("public keys never change", 1)
	old, ok := t.identities[id]
	if !ok {
		t.identities[id] = pub
		return
	}
	if old != pub {
		t.st.violation("public keys never change", "%s was %s, now %s (seen in %s)", id, old, pub, where)
	}
}

// secret records the keys a Secret holds.
func (t *tracker) secret(obj any) {
	sec, ok := obj.(*corev1.Secret)
	if !ok {
		return
	}
	switch sec.Labels[naming.LabelSecretType] {
	case naming.SecretTypeKeys:
		t.keySecret(sec)
	case naming.SecretTypeCreds:
		t.credsSecret(sec)
	}
}

// keySecret tracks the operator and account key Secrets: every seed's public key is an identity.
func (t *tracker) keySecret(sec *corev1.Secret) {
	t.mu.Lock()
	t.keySecrets[sec.Namespace+"/"+sec.Name] = true
	t.mu.Unlock()
	for k, v := range sec.Data {
		if !strings.HasSuffix(k, ".nk") {
			continue
		}
		pub := t.seedPublic(v)
		if pub == "" {
			t.st.violation("key Secrets hold valid seeds", "Secret %s/%s key %s is not a seed", sec.Namespace, sec.Name, k)
			continue
		}
		t.identity(keyIdentity(sec, k), pub, "Secret "+sec.Namespace+"/"+sec.Name)
	}
}

// keyIdentity names what the seed under data key k of key Secret sec is the identity of.
func keyIdentity(sec *corev1.Secret, k string) string {
	if acc, ok := naming.AccountOfKeysSecret(sec.Name); ok && k == naming.AccountIdentitySeed {
		return "NatsAccount " + sec.Namespace + "/" + acc
	}
	if op, ok := naming.OperatorOfKeysSecret(sec.Name); ok && k == naming.OperatorIdentitySeed {
		return "NatsOperator " + sec.Namespace + "/" + op
	}
	return fmt.Sprintf("Secret %s/%s %s", sec.Namespace, sec.Name, k)
}

// credsSecret tracks a user's key and keeps the creds for the checks of old credentials.
func (t *tracker) credsSecret(sec *corev1.Secret) {
	ref := metav1.GetControllerOf(sec)
	if ref == nil || ref.Kind != "NatsUser" {
		return
	}
	if pub := t.seedPublic(sec.Data[naming.UserSeed]); pub != "" {
		t.identity(userIdentity(ref.UID, sec.Namespace, ref.Name), pub, "Secret "+sec.Namespace+"/"+sec.Name)
	}
	creds := sec.Data[naming.UserCreds]
	token, _, err := natsjwt.ParseCreds(creds)
	if err != nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.creds[token]; !ok {
		t.creds[token] = &credsObs{owner: ref.UID, user: sec.Namespace + "/" + ref.Name, jwt: token,
			creds: append([]byte(nil), creds...), seen: time.Now()}
	}
}

// secretDeleted flags a deleted key Secret: keys outlive their objects unless the object opts in
// with keyDeletionPolicy: Delete, which the soak never does.
func (t *tracker) secretDeleted(obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	sec, ok := obj.(*corev1.Secret)
	if !ok || sec.Labels[naming.LabelSecretType] != naming.SecretTypeKeys {
		return
	}
	t.mu.Lock()
	planned := t.expected[sec.Namespace+"/"+sec.Name]
	delete(t.expected, sec.Namespace+"/"+sec.Name)
	t.mu.Unlock()
	if planned {
		return
	}
	t.st.violation("no key Secret is lost", "Secret %s/%s was deleted", sec.Namespace, sec.Name)
}

// expectDeletion tells the tracker that a fault deletes key Secret key (namespace/name) and
// restores it; the invariant that it still exists at the end holds as for every other.
func (t *tracker) expectDeletion(key string) {
	t.mu.Lock()
	t.expected[key] = true
	t.mu.Unlock()
}

// repairedAs records that the controller replaced a tampered-with creds Secret's JWT old with
// next, for the same key and claims. The old JWT grants what next grants and is not revoked: it
// counts as current while next does.
func (t *tracker) repairedAs(old, next string) {
	t.mu.Lock()
	t.repaired[old] = next
	t.mu.Unlock()
}

// successor returns the JWT that repairs replaced token with in the end (token itself if none).
func (t *tracker) successor(token string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	for seen := 0; seen <= len(t.repaired); seen++ {
		next, ok := t.repaired[token]
		if !ok {
			break
		}
		token = next
	}
	return token
}

// seedPublic returns the public key of a seed and remembers the seed for the scans; "" when b is
// not a seed.
func (t *tracker) seedPublic(b []byte) string {
	kp, err := nkeys.FromSeed(b)
	if err != nil {
		return ""
	}
	pub, err := kp.PublicKey()
	if err != nil {
		return ""
	}
	t.mu.Lock()
	t.seeds[string(b)] = true
	t.mu.Unlock()
	return pub
}

// snapshot returns copies of what the checks need.
func (t *tracker) snapshot() (seeds []string, creds []*credsObs, keySecrets []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for s := range t.seeds {
		seeds = append(seeds, s)
	}
	for _, c := range t.creds {
		creds = append(creds, c)
	}
	for k := range t.keySecrets {
		keySecrets = append(keySecrets, k)
	}
	return seeds, creds, keySecrets
}
