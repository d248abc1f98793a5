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
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/flowcontrol"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/controllers/naming"
	natsclientset "github.com/natsauth/nats-auth-operator/generated/clientset/versioned"
)

// floorFieldManager names the floor's writes.
const floorFieldManager = "nats-auth-bench-floor"

// planStep is one kind of write the controller made, with how many it made in total.
type planStep struct {
	Key   reqKey
	Total int
}

// plan is what the floor replays: the controller's writes, by kind, in the order a sync makes
// them (Secret, status; a NatsUser finalizer patch only for users of earlier versions).
type plan struct {
	Users int
	Steps []planStep
}

// planFromDelta turns the controller's measured writes into the floor's plan.
func planFromDelta(delta counts, users int) plan {
	p := plan{Users: users}
	// A refused write (a conflict) cost the controller a request like any other: the floor
	// replays it as one more write of the same kind.
	merged := counts{}
	for k, v := range delta {
		if isBenchResource(k) {
			k.Code = ""
			merged[k] += v
		}
	}
	for _, k := range merged.keys() {
		p.Steps = append(p.Steps, planStep{Key: k, Total: int(merged[k] + 0.5)})
	}
	sort.SliceStable(p.Steps, func(i, j int) bool { return phase(p.Steps[i].Key) < phase(p.Steps[j].Key) })
	return p
}

// phase orders the writes of one user like the controller's sync: metadata of the NatsUser,
// Secret create, Secret updates, status, deletes.
func phase(k reqKey) int {
	switch {
	case k.Verb == "DELETE":
		return 5
	case k.Resource == "natsusers" && k.Subresource == "":
		return 0
	case k.Resource == "secrets" && k.Verb == "POST":
		return 1
	case k.Resource == "secrets":
		return 2
	default:
		return 3
	}
}

// count returns how many writes of step user i makes: the total spread as evenly as it goes.
func (s planStep) count(i, users int) int {
	n := s.Total / users
	if i < s.Total%users {
		n++
	}
	return n
}

func (p plan) String() string {
	if len(p.Steps) == 0 {
		return "nothing"
	}
	var parts []string
	for _, s := range p.Steps {
		parts = append(parts, fmt.Sprintf("%s x%.2f", s.Key, float64(s.Total)/float64(p.Users)))
	}
	return strings.Join(parts, ", ")
}

// floorResult is what the raw floor measured.
type floorResult struct {
	Duration time.Duration
	Writes   int
	Errors   int
	// CreatesIncluded: the floor's timed span includes creating its NatsUsers.
	CreatesIncluded bool
	// APITime is the apiserver's time per write in the floor's span (latencies.String).
	APITime string
	// Creates are the NatsUser creates in the span (r.users with CreatesIncluded, else 0), and
	// ControlPlaneCPU what etcd and kube-apiserver used in it.
	Creates         int
	ControlPlaneCPU controlPlaneCPU
}

// runFloor replays the plan with plain client-go at the controller's QPS, burst and worker
// count, against objects of the same kinds and sizes as the controller's (copied from the
// converged users and their Secrets) in floorNS, timed from the first write to the last.
func (r *run) runFloor(ctx context.Context, p plan, users []natsv1alpha1.NatsUser, secrets []corev1.Secret) (floorResult, error) {
	res := floorResult{CreatesIncluded: !r.opts.Precreate}
	if len(users) == 0 {
		return res, errors.New("no converged users to copy")
	}
	sort.Slice(users, func(i, j int) bool { return users[i].Name < users[j].Name })
	secretOf := make(map[string]*corev1.Secret, len(secrets))
	for i := range secrets {
		secretOf[secrets[i].Name] = &secrets[i]
	}
	// The floor's NatsUsers are the targets of the replayed writes, handed to the workers as
	// each exists. Creating them is timed with the floor, concurrently with the replay, just as
	// the benchmark's creates run within the timed convergence and compete with the controller's
	// writes; so the ratio measures the controller, not the create traffic. With --precreate,
	// whose convergence excludes the creates, they are made first and not timed.
	objs := make([]*natsv1alpha1.NatsUser, r.users)
	created := make(chan int, r.users)
	create := func() error {
		defer close(created)
		_, err := createNatsUsers(ctx, r.nats, floorNS, r.users, r.accounts, func(i int, u *natsv1alpha1.NatsUser) {
			objs[i] = u
			created <- i
		})
		return err
	}
	if !res.CreatesIncluded {
		if err := create(); err != nil {
			return res, err
		}
	}

	// One token bucket for both clientsets, like the controller's (cmd/internal/kube).
	workers, qps, burst := r.opts.tuning()
	cfg := r.cp.Config()
	cfg.QPS, cfg.Burst = float32(qps), burst
	cfg.RateLimiter = flowcontrol.NewTokenBucketRateLimiter(cfg.QPS, cfg.Burst)
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return res, err
	}
	nats, err := natsclientset.NewForConfig(cfg)
	if err != nil {
		return res, err
	}
	f := &floor{kube: kube, nats: nats}
	var (
		writes   atomic.Int64
		failures atomic.Int64
		firstErr error
		errOnce  sync.Once
		wg       sync.WaitGroup
	)
	r.logf("raw floor: %d users, %d workers, QPS %d burst %d: %s per user", r.users, workers, qps, burst, p)
	latBefore, err := r.scrape.latency(ctx)
	if err != nil {
		return res, err
	}
	began, cpBefore := time.Now(), r.controlPlaneCPU()
	var createErr error
	if res.CreatesIncluded {
		res.Creates = r.users
		wg.Go(func() { createErr = create() })
	}
	for range workers {
		wg.Go(func() {
			for i := range created {
				if ctx.Err() != nil {
					return
				}
				tmpl := &users[i%len(users)]
				name := tmpl.Spec.SecretName
				if name == "" {
					name = tmpl.Name
				}
				n, errs := f.replayUser(ctx, p, i, objs[i], tmpl, secretOf[name])
				writes.Add(int64(n))
				if len(errs) > 0 {
					failures.Add(int64(len(errs)))
					errOnce.Do(func() { firstErr = errs[0] })
				}
			}
		})
	}
	wg.Wait()
	res.Duration, res.Writes, res.Errors = time.Since(began), int(writes.Load()), int(failures.Load())
	res.ControlPlaneCPU = r.controlPlaneCPU().sub(cpBefore)
	if latAfter, err := r.scrape.latency(ctx); err == nil {
		res.APITime = latAfter.since(latBefore).String()
	}
	if firstErr != nil {
		r.logf("raw floor: first error: %v", firstErr)
	}
	if createErr != nil {
		return res, createErr
	}
	return res, ctx.Err()
}

// floor holds the floor's clients (at the controller's QPS).
type floor struct {
	kube kubernetes.Interface
	nats natsclientset.Interface
}

// replayUser makes user i's share of every step, in order, and returns the writes it made.
func (f *floor) replayUser(ctx context.Context, p plan, i int, obj *natsv1alpha1.NatsUser, tmpl *natsv1alpha1.NatsUser, tmplSecret *corev1.Secret) (int, []error) {
	var (
		n      int
		errs   []error
		secret *corev1.Secret
	)
	users := f.nats.NatsauthV1alpha1().NatsUsers(obj.Namespace)
	secrets := f.kube.CoreV1().Secrets(obj.Namespace)
	for _, s := range p.Steps {
		for j := range s.count(i, p.Users) {
			var err error
			switch k := s.Key; {
			case k.Resource == "natsusers" && k.Subresource == "" && k.Verb == "PATCH":
				// The legacy NatsUser finalizer (only users of earlier versions are patched), so
				// the floor's patch has the same size.
				patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{
					"finalizers": []string{naming.UserFinalizer}, "resourceVersion": obj.ResourceVersion}})
				var u *natsv1alpha1.NatsUser
				if u, err = users.Patch(ctx, obj.Name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: floorFieldManager}); err == nil {
					obj = u
				}
			case k.Resource == "natsusers" && k.Subresource == "" && k.Verb == "PUT":
				upd := obj.DeepCopy()
				upd.Finalizers = []string{naming.UserFinalizer}
				metav1.SetMetaDataAnnotation(&upd.ObjectMeta, "bench.natsauth.io/write", fmt.Sprint(j))
				var u *natsv1alpha1.NatsUser
				if u, err = users.Update(ctx, upd, metav1.UpdateOptions{FieldManager: floorFieldManager}); err == nil {
					obj = u
				}
			case k.Resource == "natsusers" && k.Subresource == "status" && k.Verb == "PUT":
				upd := obj.DeepCopy()
				upd.Status = *tmpl.Status.DeepCopy()
				upd.Status.ObservedGeneration = obj.Generation
				if j > 0 { // a later update must differ to be a real write
					upd.Status.Conditions = append(upd.Status.Conditions[:0:0], upd.Status.Conditions...)
					for c := range upd.Status.Conditions {
						upd.Status.Conditions[c].Message += "."
					}
				}
				var u *natsv1alpha1.NatsUser
				if u, err = users.UpdateStatus(ctx, upd, metav1.UpdateOptions{FieldManager: floorFieldManager}); err == nil {
					obj = u
				}
			case k.Resource == "natsusers" && k.Subresource == "status" && k.Verb == "PATCH":
				patch, _ := json.Marshal(map[string]any{"status": tmpl.Status})
				var u *natsv1alpha1.NatsUser
				if u, err = users.Patch(ctx, obj.Name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: floorFieldManager}, "status"); err == nil {
					obj = u
				}
			case k.Resource == "secrets" && k.Subresource == "" && k.Verb == "POST":
				if tmplSecret == nil {
					err = fmt.Errorf("no Secret to copy for %s", tmpl.Name)
					break
				}
				c := &corev1.Secret{
					ObjectMeta: metav1.ObjectMeta{Name: obj.Name, Namespace: obj.Namespace,
						Labels: tmplSecret.Labels, Annotations: tmplSecret.Annotations},
					// No revoke-key finalizer: the floor's copies record no key, and the
					// account controller ignores creds Secrets without it.
					Type: tmplSecret.Type, Data: tmplSecret.Data,
				}
				if j > 0 {
					c.Name = fmt.Sprintf("%s-%d", obj.Name, j)
				}
				secret, err = secrets.Create(ctx, c, metav1.CreateOptions{FieldManager: floorFieldManager})
			case k.Resource == "secrets" && k.Subresource == "" && k.Verb == "PUT" && secret != nil:
				upd := secret.DeepCopy()
				metav1.SetMetaDataAnnotation(&upd.ObjectMeta, "bench.natsauth.io/write", fmt.Sprint(j))
				secret, err = secrets.Update(ctx, upd, metav1.UpdateOptions{FieldManager: floorFieldManager})
			case k.Resource == "secrets" && k.Subresource == "" && k.Verb == "PATCH" && secret != nil:
				patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{
					"annotations": map[string]string{"bench.natsauth.io/patch": fmt.Sprint(j)}}})
				secret, err = secrets.Patch(ctx, secret.Name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: floorFieldManager})
			case k.Resource == "secrets" && k.Verb == "DELETE" && secret != nil:
				err = secrets.Delete(ctx, secret.Name, metav1.DeleteOptions{})
				secret = nil
			default:
				err = fmt.Errorf("the floor cannot replay %s for %s", k, obj.Name)
			}
			if err != nil {
				errs = append(errs, err)
				continue
			}
			n++
		}
	}
	return n, errs
}
