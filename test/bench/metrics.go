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
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"

	"k8s.io/client-go/rest"
)

// reqKey is one series of apiserver_request_total, reduced to what the benchmark counts.
type reqKey struct {
	Resource    string // e.g. "natsusers", "secrets"
	Subresource string // "" or "status", "finalizers", ...
	Verb        string // upper case as the apiserver reports it: POST, PUT, PATCH, DELETE, APPLY
	// Code is the response code when it was not a success (409 for a conflict), else "". A
	// refused write still cost the client a request, so it counts like the others.
	Code string
}

func (k reqKey) String() string {
	r := k.Resource
	if k.Subresource != "" {
		r += "/" + k.Subresource
	}
	if k.Code != "" {
		r += " [" + k.Code + "]"
	}
	return k.Verb + " " + r
}

// counts are mutating request counters by series.
type counts map[reqKey]float64

// mutatingVerbs are the verbs of apiserver_request_total that write. The apiserver reports
// create as POST, update as PUT, server-side apply as APPLY; the lower-case names are accepted
// too in case a version reports them that way.
var mutatingVerbs = map[string]bool{
	"POST": true, "PUT": true, "PATCH": true, "DELETE": true, "APPLY": true,
	"CREATE": true, "UPDATE": true, "DELETECOLLECTION": true,
}

// benchResources are the resources whose writes count against the "writes per user" target.
var benchResources = map[string]bool{"natsusers": true, "secrets": true}

// scraper reads the apiserver's /metrics with the admin config's transport.
type scraper struct {
	client *http.Client
	url    string
}

func newScraper(cfg *rest.Config) (*scraper, error) {
	c, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	return &scraper{client: c, url: strings.TrimSuffix(cfg.Host, "/") + "/metrics"}, nil
}

// mutating returns every mutating series of apiserver_request_total, summed over codes, scopes
// and the other labels.
func (s *scraper) mutating(ctx context.Context) (counts, error) {
	var out counts
	err := s.scrape(ctx, func(r io.Reader) (err error) {
		out, err = parseRequestTotals(r)
		return err
	})
	return out, err
}

// scrape GETs the apiserver's /metrics and hands the body to parse.
func (s *scraper) scrape(ctx context.Context, parse func(io.Reader) error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("GET %s: %s: %s", s.url, resp.Status, b)
	}
	return parse(resp.Body)
}

// parseRequestTotals reads apiserver_request_total from the Prometheus text format. It is a
// small parser on purpose: the series are plain, and the module graph stays as it is.
func parseRequestTotals(r io.Reader) (counts, error) {
	const name = "apiserver_request_total{"
	out := counts{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		end := strings.LastIndex(line, "}")
		if end < 0 {
			continue
		}
		labels := parseLabels(line[len(name):end])
		fields := strings.Fields(line[end+1:])
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return nil, fmt.Errorf("apiserver_request_total: %q: %w", line, err)
		}
		verb := strings.ToUpper(labels["verb"])
		if !mutatingVerbs[verb] {
			continue
		}
		k := reqKey{Resource: labels["resource"], Subresource: labels["subresource"], Verb: verb}
		if c := labels["code"]; !strings.HasPrefix(c, "2") {
			k.Code = c
		}
		out[k] += v
	}
	return out, sc.Err()
}

// parseLabels splits `a="x",b="y"`; values never contain quotes in these series, but escapes
// are honoured anyway.
func parseLabels(s string) map[string]string {
	out := map[string]string{}
	for len(s) > 0 {
		eq := strings.Index(s, "=\"")
		if eq < 0 {
			break
		}
		key := strings.TrimLeft(s[:eq], ", ")
		s = s[eq+2:]
		var b strings.Builder
		i := 0
		for ; i < len(s); i++ {
			if s[i] == '\\' && i+1 < len(s) {
				i++
				b.WriteByte(s[i])
				continue
			}
			if s[i] == '"' {
				break
			}
			b.WriteByte(s[i])
		}
		out[key] = b.String()
		if i >= len(s) {
			break
		}
		s = s[i+1:]
	}
	return out
}

// sub returns c - before, dropping series that did not change.
func (c counts) sub(before counts) counts {
	out := counts{}
	for k, v := range c {
		if d := v - before[k]; d > 0.5 {
			out[k] = d
		}
	}
	return out
}

// total sums the series that match.
func (c counts) total(match func(reqKey) bool) float64 {
	var n float64
	for k, v := range c {
		if match(k) {
			n += v
		}
	}
	return n
}

func isBenchResource(k reqKey) bool { return benchResources[k.Resource] }

func isOther(k reqKey) bool { return !benchResources[k.Resource] }

// keys returns the series sorted by resource, subresource and verb, for stable output.
func (c counts) keys() []reqKey {
	ks := make([]reqKey, 0, len(c))
	for k := range c {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool {
		a, b := ks[i], ks[j]
		if a.Resource != b.Resource {
			return a.Resource < b.Resource
		}
		if a.Subresource != b.Subresource {
			return a.Subresource < b.Subresource
		}
		if a.Verb != b.Verb {
			return a.Verb < b.Verb
		}
		return a.Code < b.Code
	})
	return ks
}

// format lists the series as "POST secrets=1000, PATCH natsusers=1000".
func (c counts) format(match func(reqKey) bool) string {
	var parts []string
	for _, k := range c.keys() {
		if match(k) {
			parts = append(parts, fmt.Sprintf("%s=%.0f", k, c[k]))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// procStats are a process's peak resident memory and CPU time so far.
type procStats struct {
	PeakRSSBytes int64
	CPUSeconds   float64
}

// clockTicks is USER_HZ, which Linux fixes at 100 for /proc/<pid>/stat on every architecture
// Go supports.
const clockTicks = 100

// readProcStats reads VmHWM from /proc/<pid>/status and utime+stime from /proc/<pid>/stat.
func readProcStats(pid int) (procStats, error) {
	var st procStats
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return st, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest) // "123456 kB"
			if len(f) >= 1 {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				if err != nil {
					return st, fmt.Errorf("VmHWM %q: %w", line, err)
				}
				st.PeakRSSBytes = kb * 1024
			}
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return st, err
	}
	// The command name (field 2) may hold spaces and parentheses: fields after the last ')'.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return st, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return st, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	stt, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return st, fmt.Errorf("/proc/%d/stat: utime/stime: %v %v", pid, err1, err2)
	}
	st.CPUSeconds = float64(ut+stt) / clockTicks
	return st, nil
}

// controlPlaneCPU is the CPU time etcd and kube-apiserver have used so far: with the requests of
// an interval it tells whether a write costs the control plane more as the store grows.
type controlPlaneCPU struct{ Etcd, APIServer float64 }

func (r *run) controlPlaneCPU() controlPlaneCPU {
	etcd, api := r.cp.Pids()
	var c controlPlaneCPU
	if st, err := readProcStats(etcd); err == nil {
		c.Etcd = st.CPUSeconds
	}
	if st, err := readProcStats(api); err == nil {
		c.APIServer = st.CPUSeconds
	}
	return c
}

func (c controlPlaneCPU) sub(before controlPlaneCPU) controlPlaneCPU {
	return controlPlaneCPU{Etcd: c.Etcd - before.Etcd, APIServer: c.APIServer - before.APIServer}
}

// perRequest formats the CPU per request in milliseconds, e.g. "etcd 1.2 + apiserver 3.4 ms".
func (c controlPlaneCPU) perRequest(requests float64) string {
	if requests <= 0 {
		return ""
	}
	return fmt.Sprintf("etcd %.2f + kube-apiserver %.2f ms", c.Etcd*1000/requests, c.APIServer*1000/requests)
}
