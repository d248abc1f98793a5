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

package controllerutil_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	kubefake "k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/controllerutil"
	"github.com/natsauth/nats-auth-operator/controllers/internal/testfixtures"
	natsfake "github.com/natsauth/nats-auth-operator/generated/clientset/versioned/fake"
	natsinformers "github.com/natsauth/nats-auth-operator/generated/informers/externalversions"
	"github.com/natsauth/nats-auth-operator/internal/controllerhelpers"
)

// providedLog records what a ProvidedSecrets tells its handler.
type providedLog struct {
	mu        sync.Mutex
	changed   map[controllerutil.Holder]int
	forgotten []string
}

func (l *providedLog) handler() controllerutil.ProvidedHandler {
	return controllerutil.ProvidedHandler{
		Changed: func(hs []controllerutil.Holder) {
			l.mu.Lock()
			defer l.mu.Unlock()
			for _, h := range hs {
				l.changed[h]++
			}
		},
		Forget: func(obj any) {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.forgotten = append(l.forgotten, obj.(*corev1.Secret).Name)
		},
	}
}

func (l *providedLog) seen(h controllerutil.Holder) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.changed[h]
}

func (l *providedLog) forgot() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.forgotten...)
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 10*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
		return cond(), nil
	})
	if err != nil {
		t.Fatalf("waiting until %s: %v", what, err)
	}
}

// TestProvidedSecrets: a Secret is cached from the first object that names it to the last;
// its holders hear of its sync and of its changes, and it is forgotten when nobody names it.
// A Secret nobody names is a Requeue, never a GET.
func TestProvidedSecrets(t *testing.T) {
	kube := kubefake.NewClientset(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "nats", Name: "nsc"},
		Data: map[string][]byte{"account.nk": []byte("x")}})
	nats := natsfake.NewSimpleClientset()
	factory := natsinformers.NewSharedInformerFactory(nats, 0)
	v1 := factory.Natsauth().V1alpha1()
	p, err := controllerutil.NewProvidedSecrets(kube, v1.NatsOperators(), v1.NatsAccounts())
	if err != nil {
		t.Fatal(err)
	}
	log := &providedLog{changed: map[controllerutil.Holder]int{}}
	p.AddHandler(log.handler())
	ctx, cancel := context.WithCancel(context.Background())
	defer func() {
		cancel()
		factory.Shutdown()
	}()
	factory.Start(ctx.Done())
	p.Start(ctx)
	if _, err := p.Get("nats", "nsc"); !isRequeue(err) {
		t.Fatalf("Get of a Secret nobody names: %v, want a Requeue", err)
	}

	accounts := nats.NatsauthV1alpha1().NatsAccounts("nats")
	for _, name := range []string{"a", "b"} {
		acc := testfixtures.Account("nats", name, "main")
		acc.Spec.KeysSecretRef = &natsv1alpha1.KeysSecretReference{Name: "nsc"}
		if _, err := accounts.Create(ctx, acc, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	a := controllerutil.Holder{Kind: controllerutil.HolderAccount, Namespace: "nats", Name: "a"}
	eventually(t, "the Secret is cached and its holder told", func() bool {
		s, err := p.Get("nats", "nsc")
		return err == nil && string(s.Data["account.nk"]) == "x" && log.seen(a) > 0 && p.HasSynced()
	})

	before := log.seen(a)
	if _, err := kube.CoreV1().Secrets("nats").Update(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "nats", Name: "nsc"},
		Data: map[string][]byte{"account.nk": []byte("y")}}, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the change reaches the cache and the holder", func() bool {
		s, err := p.Get("nats", "nsc")
		return err == nil && string(s.Data["account.nk"]) == "y" && log.seen(a) > before
	})

	if err := accounts.Delete(ctx, "a", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "b still holds it after a is gone", func() bool { return len(v1.NatsAccounts().Informer().GetStore().List()) == 1 })
	if _, err := p.Get("nats", "nsc"); err != nil || len(log.forgot()) != 0 {
		t.Fatalf("with one holder left: Get %v, forgotten %v", err, log.forgot())
	}
	if err := accounts.Delete(ctx, "b", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the Secret is forgotten with its last holder", func() bool {
		_, err := p.Get("nats", "nsc")
		return isRequeue(err) && len(log.forgot()) == 1
	})
	for _, a := range kube.Actions() {
		if a.GetVerb() == "get" {
			t.Fatalf("ProvidedSecrets made a GET: %v", a)
		}
	}
}

func isRequeue(err error) bool {
	_, ok := controllerhelpers.AsRequeue(err)
	return ok
}

// TestProvidedSecretsSyncedWithoutSecretCache: a Secret whose list keeps failing (RBAC denies
// its namespace) holds back only its holders, which get a Requeue: HasSynced, which the
// controllers and readiness wait on, covers the holders' informers alone.
func TestProvidedSecretsSyncedWithoutSecretCache(t *testing.T) {
	kube := kubefake.NewClientset()
	var lists atomic.Int32
	kube.PrependReactor("list", "secrets", func(clienttesting.Action) (bool, runtime.Object, error) {
		lists.Add(1)
		return true, nil, apierrors.NewForbidden(corev1.Resource("secrets"), "", errors.New("denied"))
	})
	acc := testfixtures.Account("denied", "a", "main")
	acc.Spec.KeysSecretRef = &natsv1alpha1.KeysSecretReference{Name: "nsc"}
	nats := natsfake.NewSimpleClientset(acc)
	factory := natsinformers.NewSharedInformerFactory(nats, 0)
	v1 := factory.Natsauth().V1alpha1()
	p, err := controllerutil.NewProvidedSecrets(kube, v1.NatsOperators(), v1.NatsAccounts())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer func() {
		cancel()
		factory.Shutdown()
	}()
	factory.Start(ctx.Done())
	p.Start(ctx)
	eventually(t, "HasSynced with the Secret's list failing", func() bool { return p.HasSynced() && lists.Load() > 0 })
	if _, err := p.Get("denied", "nsc"); !isRequeue(err) {
		t.Fatalf("Get of a Secret whose cache never synced: %v, want a Requeue", err)
	}
}
