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
	"strconv"
	"strings"
)

// latencies are the apiserver's own time for the writes to the benchmark's resources, from
// apiserver_request_duration_seconds: seconds and requests per series. The apiserver measures
// from receiving a request to writing its response, so its time per request says whether a
// client's writes are expensive to serve (payload, admission, etcd) or merely queued behind
// others. Comparing the controller's with the floor's, which sends the same objects, tells the
// controller's cost from the apiserver's on this machine.
type latencies struct {
	Seconds, Requests counts
}

// latency reads the sums and counts of apiserver_request_duration_seconds for mutating verbs
// on natsusers and secrets.
func (s *scraper) latency(ctx context.Context) (latencies, error) {
	var out latencies
	err := s.scrape(ctx, func(r io.Reader) (err error) {
		out, err = parseLatencies(r)
		return err
	})
	return out, err
}

func parseLatencies(r io.Reader) (latencies, error) {
	const name = "apiserver_request_duration_seconds_"
	out := latencies{Seconds: counts{}, Requests: counts{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
	for sc.Scan() {
		line := sc.Text()
		var into counts
		switch {
		case strings.HasPrefix(line, name+"sum{"):
			into = out.Seconds
		case strings.HasPrefix(line, name+"count{"):
			into = out.Requests
		default:
			continue
		}
		start, end := strings.Index(line, "{"), strings.LastIndex(line, "}")
		fields := strings.Fields(line[end+1:])
		if end < start || len(fields) == 0 {
			continue
		}
		labels := parseLabels(line[start+1 : end])
		verb := strings.ToUpper(labels["verb"])
		if !mutatingVerbs[verb] || !benchResources[labels["resource"]] {
			continue
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return out, fmt.Errorf("%q: %w", line, err)
		}
		into[reqKey{Resource: labels["resource"], Subresource: labels["subresource"], Verb: verb}] += v
	}
	return out, sc.Err()
}

// since is what happened between before and l.
func (l latencies) since(before latencies) latencies {
	return latencies{Seconds: l.Seconds.sub0(before.Seconds), Requests: l.Requests.sub(before.Requests)}
}

// sub0 is sub for sums of seconds, which may grow by less than one.
func (c counts) sub0(before counts) counts {
	out := counts{}
	for k, v := range c {
		if d := v - before[k]; d > 0 {
			out[k] = d
		}
	}
	return out
}

// String gives the mean milliseconds per write, overall and per series:
// "9.1 ms (POST natsusers 8.0 ms x1000, POST secrets 11.2 ms x1000, ...)".
func (l latencies) String() string {
	var sec, n float64
	var parts []string
	for _, k := range l.Requests.keys() {
		c := l.Requests[k]
		sec, n = sec+l.Seconds[k], n+c
		parts = append(parts, fmt.Sprintf("%s %.1f ms x%.0f", k, 1000*l.Seconds[k]/c, c))
	}
	if n == 0 {
		return "none"
	}
	return fmt.Sprintf("%.1f ms (%s)", 1000*sec/n, strings.Join(parts, ", "))
}
