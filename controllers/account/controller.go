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

// Package account reconciles NatsAccount objects: it keeps the account's key Secret, resolves
// imports (minting activation tokens), collects user revocations and signs the account JWT with
// the operator's signing key. See controllers/DESIGN.md for how it cooperates with the other
// controllers.
package account

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/controllerutil"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	natslisters "github.com/natsauth/nats-auth-operator/generated/listers/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
)

// ControllerName names the queue, the logger and the metrics of this controller.
const ControllerName = "account-controller"

// Controller reconciles NatsAccounts.
type Controller struct {
	deps   controllerutil.Deps
	runner *controllerhelpers.Runner
	queue  workqueue.TypedRateLimitingInterface[cache.ObjectName]

	accountLister  natslisters.NatsAccountLister
	accountIndexer cache.Indexer // AccountsByOperator, AccountsByImportedAccount
	operatorLister natslisters.NatsOperatorLister
	userIndexer    cache.Indexer // UsersByAccount
	secretLister   corelisters.SecretLister
	secretIndexer  cache.Indexer // CredsSecretsByAccountKey
	keys           *controllerutil.KeyStore
	// deleteTimeout is how long a deleted account waits for the resolver to report its
	// deletion from the servers (Config.ServerDeleteTimeout).
	deleteTimeout time.Duration
	// maxJWTSize is the largest account JWT the servers take (Config.MaxJWTSize).
	maxJWTSize int
	// rotationGrace is the grace period of rotations that set none (Config.RotationGracePeriod).
	rotationGrace time.Duration
	// overCap holds, for accounts whose last JWT's iat is already more than maxIssuedLead ahead
	// of the clock, the second (unix) their last JWT was signed in (issueTime); only such
	// accounts have an entry, and only until their lead is back under the cap.
	overCap sync.Map
}

// Config is what the account controller alone is configured with, next to the Deps all three
// controllers share.
type Config struct {
	// ServerDeleteTimeout bounds how long a deleted NatsAccount waits for the resolver to report
	// its deletion from the servers; zero means DefaultServerDeleteTimeout. The binary keeps
	// the default; tests that run it in-process shorten it.
	ServerDeleteTimeout time.Duration
	// MaxJWTSize is the largest account JWT, in bytes, the nats-servers take (their
	// max_payload); the JWTSizeNearLimit condition turns True at three quarters of it. Zero
	// means DefaultMaxJWTSize, which is also the most it can be (jwt/v2 decodes no larger
	// token); tests lower it rather than sign thousands of revocations.
	MaxJWTSize int
	// RotationGracePeriod is how long a rotated-out signing key stays trusted after its last
	// user was re-issued, for rotations whose spec sets no gracePeriod; zero means
	// DefaultRotationGracePeriod. Tests that run the controller in-process shorten it.
	RotationGracePeriod time.Duration
}

// JWTSizeLimit is MaxJWTSize with its default and its cap applied.
func (c Config) JWTSizeLimit() int {
	if c.MaxJWTSize <= 0 || c.MaxJWTSize > DefaultMaxJWTSize {
		return DefaultMaxJWTSize
	}
	return c.MaxJWTSize
}

// NewController registers the event handlers on the shared informers in deps. The account and
// user informers must already carry the indexes of package naming.
func NewController(deps controllerutil.Deps, cfg Config) (*Controller, error) {
	if err := deps.Validate(); err != nil {
		return nil, err
	}
	c := &Controller{
		deps:           deps,
		queue:          controllerhelpers.NewQueue(ControllerName),
		accountLister:  deps.Accounts.Lister(),
		accountIndexer: deps.Accounts.Informer().GetIndexer(),
		operatorLister: deps.Operators.Lister(),
		userIndexer:    deps.Users.Informer().GetIndexer(),
		secretLister:   deps.Secrets.Lister(),
		secretIndexer:  deps.Secrets.Informer().GetIndexer(),
		deleteTimeout:  cfg.ServerDeleteTimeout,
		maxJWTSize:     cfg.JWTSizeLimit(),
		rotationGrace:  cfg.RotationGracePeriod,
	}
	if c.rotationGrace <= 0 {
		c.rotationGrace = DefaultRotationGracePeriod
	}
	if c.deleteTimeout <= 0 {
		c.deleteTimeout = DefaultServerDeleteTimeout
	}
	c.keys = &controllerutil.KeyStore{Client: deps.KubeClient, Lister: c.secretLister, FieldManager: controllerutil.FieldManager}
	c.runner = &controllerhelpers.Runner{
		Name:            ControllerName,
		Queue:           c.queue,
		Sync:            c.sync,
		MaxSyncDuration: 30 * time.Second,
		Observer:        controllerhelpers.MetricsObserver(deps.Metrics),
	}
	registrations := []struct {
		what     string
		informer cache.SharedIndexInformer
		handler  cache.ResourceEventHandler
	}{
		{"NatsAccount", deps.Accounts.Informer(), controllerhelpers.MapHandler(c.queue, c.accountKeys)},
		{"NatsOperator", deps.Operators.Informer(), controllerhelpers.MapHandler(c.queue, c.operatorAccounts)},
		{"NatsUser", deps.Users.Informer(), c.userHandler()},
		{"Secret", deps.Secrets.Informer(), controllerhelpers.MapHandler(c.queue, c.secretAccounts)},
	}
	for _, r := range registrations {
		reg, err := r.informer.AddEventHandler(r.handler)
		if err != nil {
			return nil, fmt.Errorf("adding %s event handler: %w", r.what, err)
		}
		c.runner.CachesToSync = append(c.runner.CachesToSync, reg.HasSynced)
	}
	deps.Provided.AddHandler(controllerutil.EnqueueHolders(c.queue, c.providedHolderAccounts, nil))
	c.runner.CachesToSync = append(c.runner.CachesToSync, deps.Provided.HasSynced)
	return c, nil
}

// Run processes the queue with workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) error { return c.runner.Run(ctx, workers) }

// providedHolderAccounts maps a changed provided Secret's holder to the accounts that read it:
// an adopted account itself (its keys; its importers follow its status), and every account of
// an adopted operator (its signing key).
func (c *Controller) providedHolderAccounts(h controllerutil.Holder) []cache.ObjectName {
	if h.Kind == controllerutil.HolderOperator {
		return controllerhelpers.KeysFromIndex(c.accountIndexer, naming.AccountsByOperator, naming.Key(h.Namespace, h.Name))
	}
	return []cache.ObjectName{{Namespace: h.Namespace, Name: h.Name}}
}

// accountKeys maps a NatsAccount event to the account itself and to the accounts importing from
// it: they copy its public key, and its exports decide their activation tokens.
func (c *Controller) accountKeys(obj any) []cache.ObjectName {
	key, ok := controllerhelpers.ObjectName(obj)
	if !ok {
		return nil
	}
	importers := controllerhelpers.KeysFromIndex(c.accountIndexer, naming.AccountsByImportedAccount, naming.Key(key.Namespace, key.Name))
	return append([]cache.ObjectName{key}, importers...)
}

// operatorAccounts maps a NatsOperator event to the accounts it signs.
func (c *Controller) operatorAccounts(obj any) []cache.ObjectName {
	key, ok := controllerhelpers.ObjectName(obj)
	if !ok {
		return nil
	}
	return controllerhelpers.KeysFromIndex(c.accountIndexer, naming.AccountsByOperator, naming.Key(key.Namespace, key.Name))
}

// secretAccounts maps a Secret event by its labels: an account key Secret to its account, an
// operator key Secret to the operator's accounts, a creds Secret that may no longer be held by a
// live user to the account of its account-key label (whose JWT must revoke it). Server-config
// Secrets change nothing an account JWT says.
func (c *Controller) secretAccounts(obj any) []cache.ObjectName {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	s, ok := obj.(*corev1.Secret)
	// A rotating account waits for its users' re-issued creds Secrets.
	if ok && s.Labels[naming.LabelSecretType] == naming.SecretTypeCreds && s.Labels[naming.LabelAccountKey] != "" &&
		(c.mayBeDead(s) || c.rotating(s.Labels[naming.LabelAccountKey])) {
		return controllerhelpers.KeysFromIndex(c.accountIndexer, naming.AccountsByPublicKey, s.Labels[naming.LabelAccountKey])
	}
	if !ok || s.Labels[naming.LabelSecretType] != naming.SecretTypeKeys {
		return nil
	}
	if name := s.Labels[naming.LabelAccount]; name != "" {
		return []cache.ObjectName{{Namespace: s.Namespace, Name: name}}
	}
	if name := s.Labels[naming.LabelOperator]; name != "" {
		return controllerhelpers.KeysFromIndex(c.accountIndexer, naming.AccountsByOperator, naming.Key(s.Namespace, name))
	}
	return nil
}

// userHandler re-queues a user's account only when the user asks for a revocation: it is being
// deleted, or its status.revokedBefore moved. Every other user change (a new user, a status
// condition) leaves the account JWT as it is, so it is not worth a sync of the account.
func (c *Controller) userHandler() cache.ResourceEventHandler {
	enqueue := func(obj any) {
		if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = tomb.Obj
		}
		if u, ok := obj.(*natsv1alpha1.NatsUser); ok {
			c.queue.Add(naming.UserAccount(u))
		}
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			if u, ok := obj.(*natsv1alpha1.NatsUser); ok && (u.DeletionTimestamp != nil || u.Status.RevokedBefore != nil) {
				enqueue(u)
			}
		},
		UpdateFunc: func(oldObj, newObj any) {
			o, okOld := oldObj.(*natsv1alpha1.NatsUser)
			n, okNew := newObj.(*natsv1alpha1.NatsUser)
			if !okOld || !okNew || o.ResourceVersion == n.ResourceVersion {
				return
			}
			if !o.DeletionTimestamp.Equal(n.DeletionTimestamp) || !o.Status.RevokedBefore.Equal(n.Status.RevokedBefore) {
				enqueue(n)
			}
		},
		DeleteFunc: enqueue,
	}
}
