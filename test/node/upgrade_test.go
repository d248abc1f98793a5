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

package node

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/natsauth/nats-auth-operator/controllers/naming"
	natsclientset "github.com/natsauth/nats-auth-operator/generated/clientset/versioned"
)

// prevRelease is what hack/install-node-deps.sh leaves in bin/prev-release: the image archive,
// the manifests and the image tag of the release the upgrade starts from.
type prevRelease struct {
	image, manifests, version, commit string
}

func loadPrevRelease(t *testing.T) prevRelease {
	t.Helper()
	dir, err := binFile("prev-release")
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	return prevRelease{image: filepath.Join(dir, "image.tar"), manifests: filepath.Join(dir, "manifests"), version: read("version"), commit: read("commit")}
}

// keyState is what an upgrade must not change: the public keys in every object's status and a
// digest of the data of every key and creds Secret (seeds and JWTs, so never printed).
type keyState struct {
	keys    map[string]string // "NatsUser apps/api" -> its public keys
	data    map[string]string // "Secret nats/main-operator-keys" -> sha256 of its data
	version map[string]string // the Secrets' resourceVersions
}

// snapshotKeys records keyState for namespaces nats and apps.
func snapshotKeys(t *testing.T, c *Cluster) keyState {
	t.Helper()
	s := keyState{keys: map[string]string{}, data: map[string]string{}, version: map[string]string{}}
	nc, err := natsclientset.NewForConfig(c.CP.Config())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ops, err := nc.NatsauthV1alpha1().NatsOperators("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range ops.Items {
		s.keys["NatsOperator "+o.Namespace+"/"+o.Name] = o.Status.PublicKey + " " + strings.Join(o.Status.SigningKeys, ",") + " sys " + o.Status.SystemAccount
	}
	accs, err := nc.NatsauthV1alpha1().NatsAccounts("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range accs.Items {
		k := a.Status.PublicKey
		for _, sk := range a.Status.SigningKeys {
			k += " " + sk.Name + "=" + sk.PublicKey
		}
		s.keys["NatsAccount "+a.Namespace+"/"+a.Name] = k
	}
	users, err := nc.NatsauthV1alpha1().NatsUsers("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users.Items {
		s.keys["NatsUser "+u.Namespace+"/"+u.Name] = u.Status.PublicKey + " of " + u.Status.AccountPublicKey
	}
	for _, ns := range []string{"nats", "apps"} {
		secrets, err := c.Client.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{LabelSelector: naming.LabelSecretType + " in (" + naming.SecretTypeKeys + "," + naming.SecretTypeCreds + ")"})
		if err != nil {
			t.Fatal(err)
		}
		for i := range secrets.Items {
			sec := &secrets.Items[i]
			s.data["Secret "+ns+"/"+sec.Name] = dataDigest(sec)
			s.version["Secret "+ns+"/"+sec.Name] = sec.ResourceVersion
		}
	}
	return s
}

func dataDigest(s *corev1.Secret) string {
	var keys []string
	for k := range s.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%s=%x;", k, sha256.Sum256(s.Data[k]))
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// compareKeys fails on any public key or Secret data that differs between before and after, or
// any object that appeared or went; it returns the Secrets whose metadata alone was written.
func compareKeys(t *testing.T, before, after keyState) []string {
	t.Helper()
	diff := func(what string, a, b map[string]string) {
		for k, v := range a {
			if b[k] != v {
				t.Errorf("%s of %s changed across the upgrade: %q -> %q", what, k, v, b[k])
			}
		}
		for k := range b {
			if _, ok := a[k]; !ok {
				t.Errorf("%s appeared during the upgrade", k)
			}
		}
	}
	diff("the public keys", before.keys, after.keys)
	// The digests are of seeds: compared, never printed.
	for k, v := range before.data {
		if after.data[k] != v {
			t.Errorf("the data of %s changed across the upgrade (or it went)", k)
		}
	}
	var touched []string
	for k, v := range before.version {
		if after.version[k] != v {
			touched = append(touched, strings.TrimPrefix(k, "Secret "))
		}
	}
	sort.Strings(touched)
	return touched
}

// rollingUpgrade applies this tree's manifests/default and examples/resolver with the new image
// tag over the previous release, waits for both rollouts and for the new controller to have
// synced every user, and proves that no key changed and that the connection held open across it
// still works. It returns the new controller Pod's name.
func rollingUpgrade(t *testing.T, c *Cluster, version string, ips []string) string {
	checksum := `jsonpath={.metadata.annotations.natsauth\.io/config-checksum}`
	sumBefore := kubectl(t, c, 30*time.Second, "get", "-n", "nats", "secret/main-server-config", "-o", checksum)
	before := snapshotKeys(t, c)
	t.Logf("before: %d objects with keys, %d key and creds Secrets", len(before.keys), len(before.data))
	pod := controllerReadyWithLease(t, c, repoPath(t, "manifests"), version)
	applyResolver(t, c, repoPath(t, "manifests"), version, ips)
	waitUsersSyncedByNewController(t, c)
	kubectl(t, c, 2*time.Minute, "wait", "--for=condition=Ready", "--timeout=110s", "-n", "nats", "nop/main", "nacc/orders", "nacc/billing", "nu/orders-jetstream-admin")
	kubectl(t, c, 2*time.Minute, "wait", "--for=condition=Ready", "--timeout=110s", "-n", "apps", "nu/api", "nu/worker")
	touched := compareKeys(t, before, snapshotKeys(t, c))
	t.Logf("after the upgrade every public key and every key and creds Secret's data are unchanged; Secrets whose metadata only was written: %v", touched)
	if t.Failed() {
		t.FailNow()
	}
	// A changed auth.conf would ask users to roll their servers (README); only reported.
	sumAfter := kubectl(t, c, 30*time.Second, "get", "-n", "nats", "secret/main-server-config", "-o", checksum)
	t.Logf("server config checksum before %q, after %q (equal: %v)", sumBefore, sumAfter, sumBefore == sumAfter)
	expectPub(t, c, "apps", "pub-after-upgrade", ips, natsURL, "orders.api.after-upgrade", "api", corev1.PodSucceeded)
	logs := waitLog(t, c, "apps", "sub-api", `Received on "orders.api.after-upgrade"`)
	if strings.Contains(logs, "Disconnected") {
		t.Fatalf("the connection held across the upgrade was interrupted:\n%s", logs)
	}
	t.Log("Pod apps/sub-api's connection, opened before the upgrade, still receives")
	return pod
}

// waitUsersSyncedByNewController waits until every creds Secret carries the revoke-key
// finalizer, which only the new controller writes (the previous release predates it): each
// user has been synced by the new controller.
func waitUsersSyncedByNewController(t *testing.T, c *Cluster) {
	t.Helper()
	eventually(t, 2*time.Minute, "every creds Secret synced by the new controller", func() (bool, string) {
		var missing []string
		for _, ns := range []string{"nats", "apps"} {
			secrets, err := c.Client.CoreV1().Secrets(ns).List(context.Background(), metav1.ListOptions{LabelSelector: naming.LabelSecretType + "=" + naming.SecretTypeCreds})
			if err != nil {
				return false, err.Error()
			}
			for _, s := range secrets.Items {
				if !hasString(s.Finalizers, naming.SecretFinalizer) {
					missing = append(missing, ns+"/"+s.Name)
				}
			}
		}
		return len(missing) == 0, fmt.Sprintf("without %s: %v", naming.SecretFinalizer, missing)
	})
}

func hasString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
