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

// Package user reconciles NatsUser objects: it keeps one user key per NatsUser, signs the user
// JWT with a signing key of the account, and writes user.creds, user.jwt and user.nk into a
// Secret the NatsUser controls. See controllers/DESIGN.md for how it cooperates with the other
// controllers.
package user

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/jwt/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/controllerutil"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	natsclientset "github.com/natsauth/nats-auth-operator/generated/clientset/versioned"
	natslisters "github.com/natsauth/nats-auth-operator/generated/listers/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
)

// ControllerName names the queue, the logger and the metrics of this controller.
const ControllerName = "user-controller"

// maxSyncDuration bounds one sync: the controller waits by requeueing, never by blocking.
const maxSyncDuration = 30 * time.Second

// Controller reconciles NatsUsers.
type Controller struct {
	kubeClient kubernetes.Interface
	natsClient natsclientset.Interface

	users          natslisters.NatsUserLister
	userIndexer    cache.Indexer // usersByAccount and usersByCredsSecret lookups from events
	accounts       natslisters.NatsAccountLister
	accountIndexer cache.Indexer // accountsByPublicKey
	operators      natslisters.NatsOperatorLister
	secrets        corelisters.SecretLister
	secretIndexer  cache.Indexer                   // credsSecretsByUser
	provided       *controllerutil.ProvidedSecrets // adopted accounts' key Secrets

	recorder record.EventRecorder
	metrics  *controllerutil.IssueMetrics // optional
	clock    clock.PassiveClock

	runner *controllerhelpers.Runner

	// In-memory state next to the informers' caches (controllers/DESIGN.md, "Controller
	// state"). Each entry goes with its object's delete notification (eventHandlers).
	//
	// superseded skips syncs of user versions this controller already replaced (informer lag).
	superseded controllerhelpers.Superseded
	// accountClaimsMemo holds each account's decoded JWT, per version, for the re-issue and the
	// legacy finalizer's checks (accountClaims).
	accountClaimsMemo controllerhelpers.Memo[*jwt.AccountClaims]
	// memo keeps what each Secret version's seeds and JWT decoded to.
	memo secretMemo
	// createConflicts marks the user versions whose Secret create met an existing Secret; their
	// next cache miss is confirmed with a GET (mustConfirmMiss).
	createConflicts controllerhelpers.Memo[struct{}]
}

// NewController registers the event handlers (and the usersByCredsSecret and credsSecretsByUser
// indexes) on the shared informers in deps. It must be called before the informers start.
func NewController(deps controllerutil.Deps) (*Controller, error) {
	if err := deps.Validate(); err != nil {
		return nil, err
	}
	userInformer := deps.Users.Informer()
	if _, exists := userInformer.GetIndexer().GetIndexers()[usersByCredsSecret]; !exists {
		if err := userInformer.AddIndexers(cache.Indexers{usersByCredsSecret: credsSecretIndex}); err != nil {
			return nil, fmt.Errorf("add %s index: %w", usersByCredsSecret, err)
		}
	}
	secretInformer := deps.Secrets.Informer()
	if _, exists := secretInformer.GetIndexer().GetIndexers()[credsSecretsByUser]; !exists {
		if err := secretInformer.AddIndexers(cache.Indexers{credsSecretsByUser: credsOwnerIndex}); err != nil {
			return nil, fmt.Errorf("add %s index: %w", credsSecretsByUser, err)
		}
	}
	c := &Controller{
		kubeClient: deps.KubeClient, natsClient: deps.NatsClient,
		users: deps.Users.Lister(), userIndexer: userInformer.GetIndexer(),
		accounts: deps.Accounts.Lister(), accountIndexer: deps.Accounts.Informer().GetIndexer(),
		operators: deps.Operators.Lister(),
		secrets:   deps.Secrets.Lister(), secretIndexer: secretInformer.GetIndexer(),
		provided: deps.Provided,
		recorder: deps.Recorder, metrics: deps.IssueMetrics, clock: deps.Clock,
	}
	queue := controllerhelpers.NewQueue(ControllerName)
	c.runner = &controllerhelpers.Runner{
		Name: ControllerName, Queue: queue, Sync: c.sync, MaxSyncDuration: maxSyncDuration,
		Observer: controllerhelpers.MetricsObserver(deps.Metrics),
	}
	for _, r := range c.eventHandlers(deps, queue) {
		reg, err := r.informer.AddEventHandler(r.handler)
		if err != nil {
			return nil, fmt.Errorf("add %s event handler: %w", ControllerName, err)
		}
		// The registrations' HasSynced, not the informers': the handlers must have seen the
		// initial list before a sync may conclude that a referenced object does not exist.
		c.runner.CachesToSync = append(c.runner.CachesToSync, reg.HasSynced)
	}
	// An adopted account's key Secret re-queues its users, as our own key Secrets do
	// (usersOfSecret), and its versions leave the memo with it.
	deps.Provided.AddHandler(controllerutil.EnqueueHolders(queue, c.usersOfProvidedHolder, c.memo.Forget))
	c.runner.CachesToSync = append(c.runner.CachesToSync, deps.Provided.HasSynced)
	return c, nil
}

// registration is an event handler and the informer it is registered on.
type registration struct {
	informer cache.SharedIndexInformer
	handler  cache.ResourceEventHandlerFuncs
}

// eventHandlers are the controller's handlers: they queue the users an event matters to, and a
// delete notification first drops the controller's state of the deleted object.
func (c *Controller) eventHandlers(deps controllerutil.Deps, queue workqueue.TypedInterface[cache.ObjectName]) []registration {
	return []registration{
		{deps.Users.Informer(), controllerhelpers.OnDelete(controllerhelpers.EnqueueHandler(queue), c.superseded.Forget, c.createConflicts.Forget)},
		{deps.Accounts.Informer(), controllerhelpers.OnDelete(c.accountHandler(queue), c.accountClaimsMemo.Forget)},
		{deps.Secrets.Informer(), controllerhelpers.OnDelete(controllerhelpers.MapHandler(queue, c.usersOfSecret), c.memo.Forget)},
	}
}

// Run processes the queue with workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) error { return c.runner.Run(ctx, workers) }

// usersOfAccount re-queues every user of a changed account: its identity, signing keys, allowed
// namespaces and the revocations that release a deleted user's finalizer all live there.
func (c *Controller) usersOfAccount(obj any) []cache.ObjectName {
	key, ok := controllerhelpers.ObjectName(obj)
	if !ok {
		return nil
	}
	return controllerhelpers.KeysFromIndex(c.userIndexer, naming.UsersByAccount, naming.Key(key.Namespace, key.Name))
}

// accountHandler queues the users of an added, changed or deleted account. An update that
// changes only what the account controller signs (the JWT: new revocations, activations) matters
// to the users being deleted, which wait for their revocation, and to nobody else: re-queueing
// ten thousand users of an account for every revocation batch would cost ten thousand syncs.
func (c *Controller) accountHandler(q workqueue.TypedInterface[cache.ObjectName]) cache.ResourceEventHandlerFuncs {
	all := func(obj any) {
		for _, k := range c.usersOfAccount(obj) {
			q.Add(k)
		}
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc: all,
		DeleteFunc: func(obj any) {
			if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tomb.Obj
			}
			if acc, ok := obj.(*natsv1alpha1.NatsAccount); ok {
				for _, k := range c.orphanOwners(acc.Status.PublicKey) {
					q.Add(k)
				}
			}
			all(obj)
		},
		UpdateFunc: func(oldObj, newObj any) {
			oldAcc, ok1 := oldObj.(*natsv1alpha1.NatsAccount)
			newAcc, ok2 := newObj.(*natsv1alpha1.NatsAccount)
			switch {
			case !ok1 || !ok2:
				all(newObj)
			case oldAcc.ResourceVersion == newAcc.ResourceVersion:
			case mattersToEveryUser(oldAcc, newAcc):
				all(newObj)
			default:
				for _, k := range c.usersOfAccount(newObj) {
					if u, err := c.users.NatsUsers(k.Namespace).Get(k.Name); err == nil && u.DeletionTimestamp != nil {
						q.Add(k)
					}
				}
			}
		},
	}
}

// mattersToEveryUser reports whether an account update can change any user's credentials or
// condition: anything in the spec, labels, deletion, or the account's identity and signing keys
// in its status.
func mattersToEveryUser(oldAcc, newAcc *natsv1alpha1.NatsAccount) bool {
	return oldAcc.Generation != newAcc.Generation ||
		!equality.Semantic.DeepEqual(oldAcc.Labels, newAcc.Labels) ||
		(oldAcc.DeletionTimestamp == nil) != (newAcc.DeletionTimestamp == nil) ||
		oldAcc.Status.PublicKey != newAcc.Status.PublicKey ||
		oldAcc.Status.OperatorPublicKey != newAcc.Status.OperatorPublicKey ||
		!equality.Semantic.DeepEqual(oldAcc.Status.SigningKeys, newAcc.Status.SigningKeys)
}

// usersOfProvidedHolder maps the holder of a changed provided Secret to the users it signs for:
// those of an adopted account. An operator's Secrets matter to its accounts, not to users.
func (c *Controller) usersOfProvidedHolder(h controllerutil.Holder) []cache.ObjectName {
	if h.Kind != controllerutil.HolderAccount {
		return nil
	}
	return controllerhelpers.KeysFromIndex(c.userIndexer, naming.UsersByAccount, naming.Key(h.Namespace, h.Name))
}

// usersOfSecret re-queues the users a changed Secret matters to: the NatsUser controlling a creds
// Secret, the users waiting for that Secret name, and the users of an account whose key Secret
// changed. The informer only sees Secrets labelled managed-by, so nothing else arrives here.
func (c *Controller) usersOfSecret(obj any) []cache.ObjectName {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	secret, ok := obj.(*corev1.Secret)
	if !ok {
		return nil
	}
	switch secret.Labels[naming.LabelSecretType] {
	case naming.SecretTypeCreds:
		keys := c.usersWantingSecret(secret.Namespace, secret.Name)
		if owner, ok := c.controllingUser(secret); ok {
			keys = append(keys, owner)
		} else if ref := userRef(secret); ref != nil && slices.Contains(secret.Finalizers, naming.SecretFinalizer) {
			// The sync of a gone user releases its Secrets when no account can (releaseOrphans).
			keys = append(keys, cache.ObjectName{Namespace: secret.Namespace, Name: ref.Name})
		}
		return keys
	case naming.SecretTypeKeys:
		if account := secret.Labels[naming.LabelAccount]; account != "" {
			return controllerhelpers.KeysFromIndex(c.userIndexer, naming.UsersByAccount, naming.Key(secret.Namespace, account))
		}
	}
	return nil
}

// controllingUser resolves the NatsUser controller reference of a Secret. The UID must match the
// NatsUser in the cache: a Secret left over from an earlier NatsUser of the same name belongs
// to nobody.
func (c *Controller) controllingUser(secret *corev1.Secret) (cache.ObjectName, bool) {
	ref := userRef(secret)
	if ref == nil {
		return cache.ObjectName{}, false
	}
	user, err := c.users.NatsUsers(secret.Namespace).Get(ref.Name)
	if err != nil || user.UID != ref.UID {
		return cache.ObjectName{}, false
	}
	return cache.ObjectName{Namespace: user.Namespace, Name: user.Name}, true
}
