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
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Invariants of the final scans.
const (
	invKeySecrets = "no key Secret is lost"
	invNoSecrets  = "no seed, creds file or user JWT in any log, event or status"
	invNoPanics   = "no panics in any log"
)

var (
	seedPattern  = regexp.MustCompile(`S[OAUNCX][A-Z2-7]{56}`)
	jwtPattern   = regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)
	panicPattern = regexp.MustCompile(`(?m)^panic: |goroutine \d+ \[running\]|Observed a panic|^fatal error: `)
	credsMarkers = []string{"BEGIN NATS USER JWT", "BEGIN USER NKEY SEED", "NKEY SEED"}
)

// leaks returns what secret material text holds, described without repeating it.
func leaks(text string, knownSeeds []string) []string {
	var found []string
	for _, m := range seedPattern.FindAllString(text, -1) {
		if _, err := nkeys.FromSeed([]byte(m)); err == nil {
			found = append(found, "a seed of type "+m[1:2])
		}
	}
	for _, seed := range knownSeeds {
		if strings.Contains(text, seed) {
			found = append(found, "a seed the controller generated")
		}
	}
	for _, marker := range credsMarkers {
		if strings.Contains(text, marker) {
			found = append(found, "a creds file ("+marker+")")
		}
	}
	for _, token := range jwtPattern.FindAllString(text, -1) {
		if c, err := jwt.Decode(token); err == nil && c.ClaimType() == jwt.UserClaim {
			found = append(found, "the user JWT of "+c.Claims().Subject)
		}
	}
	return found
}

// finalScans runs the checks that look at the whole run once: key Secrets, logs, events, status.
func (s *soak) finalScans(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	seeds, _, keySecrets := s.tracker.snapshot()
	for _, ref := range keySecrets {
		ns, name, _ := strings.Cut(ref, "/")
		if _, err := s.kube.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{}); err != nil {
			s.stats.violation(invKeySecrets, "Secret %s: %v", ref, err)
		}
		s.stats.check(invKeySecrets, 1)
	}
	s.scanLogs(seeds)
	s.scanAPI(ctx, seeds)
}

// scanLogs reads every process's log: the binaries', the nats-servers', kube-apiserver's and etcd's.
func (s *soak) scanLogs(seeds []string) {
	logs, _ := filepath.Glob(filepath.Join(s.opts.StateDir, "*.log"))
	for _, srv := range s.servers {
		logs = append(logs, srv.LogPath())
	}
	if s.cp != nil {
		logs = append(logs, filepath.Join(s.cp.Dir(), "kube-apiserver.log"), filepath.Join(s.cp.Dir(), "etcd.log"))
	}
	for _, p := range logs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		text := string(b)
		name := filepath.Base(filepath.Dir(p)) + "/" + filepath.Base(p)
		s.stats.check(invNoSecrets, 1)
		for _, l := range uniq(leaks(text, seeds)) {
			s.stats.violation(invNoSecrets, "%s contains %s", name, l)
		}
		s.stats.check(invNoPanics, 1)
		if loc := panicPattern.FindStringIndex(text); loc != nil {
			line := text[loc[0]:]
			if i := strings.IndexByte(line, '\n'); i >= 0 {
				line = line[:i]
			}
			s.stats.violation(invNoPanics, "%s: %q", name, line)
		}
	}
}

// scanAPI reads every event and the status of every NatsOperator, NatsAccount and NatsUser.
func (s *soak) scanAPI(ctx context.Context, seeds []string) {
	var docs []struct {
		what string
		obj  any
	}
	add := func(what string, obj any) {
		docs = append(docs, struct {
			what string
			obj  any
		}{what, obj})
	}
	if events, err := s.kube.CoreV1().Events("").List(ctx, metav1.ListOptions{}); err == nil {
		for i := range events.Items {
			e := &events.Items[i]
			add(fmt.Sprintf("Event %s/%s (%s %s)", e.Namespace, e.Name, e.InvolvedObject.Kind, e.InvolvedObject.Name), e)
		}
	} else {
		s.stats.violation(invNoSecrets, "listing events: %v", err)
	}
	if ops, err := s.natsauth.NatsauthV1alpha1().NatsOperators("").List(ctx, metav1.ListOptions{}); err == nil {
		for _, o := range ops.Items {
			add("status of NatsOperator "+o.Namespace+"/"+o.Name, o.Status)
		}
	}
	if accs, err := s.natsauth.NatsauthV1alpha1().NatsAccounts("").List(ctx, metav1.ListOptions{}); err == nil {
		for _, a := range accs.Items {
			add("status of NatsAccount "+a.Namespace+"/"+a.Name, a.Status)
		}
	}
	if users, err := s.natsauth.NatsauthV1alpha1().NatsUsers("").List(ctx, metav1.ListOptions{}); err == nil {
		for _, u := range users.Items {
			add("status of NatsUser "+u.Namespace+"/"+u.Name, u.Status)
		}
	}
	for _, d := range docs {
		b, err := json.Marshal(d.obj)
		if err != nil {
			continue
		}
		s.stats.check(invNoSecrets, 1)
		for _, l := range uniq(leaks(string(b), seeds)) {
			s.stats.violation(invNoSecrets, "%s contains %s", d.what, l)
		}
	}
}

func uniq(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
