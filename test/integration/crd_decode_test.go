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

package integration

import (
	"context"
	"encoding/json"
	"maps"
	"reflect"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/test/testbed/suite"
)

// decodeRisk is a Go field type whose JSON decoder can refuse a value the schema's type admits.
// One stored object that the typed client cannot decode fails the informer's list of the whole
// kind, so every tenant's objects stop being reconciled (issue: "one bad object stops the whole
// controller"). The schema must therefore refuse exactly what these decoders refuse.
type decodeRisk string

const (
	riskDuration decodeRisk = "duration" // metav1.Duration: time.ParseDuration
	riskTime     decodeRisk = "time"     // metav1.Time: time.Parse(time.RFC3339)
	riskInt32    decodeRisk = "int32"    // Go's json refuses out-of-range and fractional numbers
	riskInt64    decodeRisk = "int64"
)

// hostileValues are raw JSON values that are well-typed for the schema (a string for a duration,
// a number for an integer) but that a strict decoder may refuse.
var hostileValues = map[decodeRisk][]string{
	riskDuration: {`"banana"`, `"1d"`, `"1w"`, `"1h30"`, `" 5s"`, `"5s "`, `"5 s"`, `"5S"`, `"1e3s"`, `"."`,
		`".s"`, `"s"`, `"-1s"`, `"+5s"`, `"-0"`, `""`, `"P1D"`, `"PT5S"`, `"1µs"`, `"9999999999999999999s"`,
		`"2562048h"`, `"9223372037s"`, `5`},
	riskTime: {`"banana"`, `"2027-01-01t00:00:00z"`, `"2027-01-01T00:00:00z"`, `"2027-01-01t00:00:00Z"`,
		`"2027-01-01T00:00Z"`, `"2027-01-01"`, `"2027-01-01T24:00:00Z"`, `"2027-01-01 00:00:00Z"`,
		`"2027-02-30T00:00:00Z"`, `"2027-01-01T00:00:60Z"`, `"2027-01-01T00:00:00+2400"`,
		`"2027-01-01T00:00:00+24:00"`, `"2027-01-01T00:00:00+0100"`, `"2027-01-01T00:00:00,5Z"`,
		`"2027-13-01T00:00:00Z"`, `"0001-01-01T00:00:00Z"`, `"10000-01-01T00:00:00Z"`, `"+2027-01-01T00:00:00Z"`,
		`""`, `1700000000`},
	riskInt32: {`2147483648`, `-2147483649`, `4294967296`, `1e10`, `1.5`, `2147483647.5`, `"5"`},
	riskInt64: {`9223372036854775808`, `-9223372036854775809`, `18446744073709551616`, `1e19`, `-1e19`,
		`1e300`, `9.3e18`, `1.5`, `"5"`},
}

// validValues are admitted for every field of their kind (they satisfy each field's minimum), so
// a refused baseline means the probe object, not the value, is wrong.
var validValues = map[decodeRisk]string{
	riskDuration: `"2h"`, riskTime: `"2030-01-01T00:00:00Z"`, riskInt32: `1`, riskInt64: `1`,
}

// riskyField is one spec field of a decodeRisk type, as a JSON path: "[]" is the first item of
// a list, "{}" an entry of a map (keyed "R1", a name every map of the API accepts).
type riskyField struct {
	path []string
	risk decodeRisk
}

func (f riskyField) String() string { return strings.Join(f.path, ".") }

var (
	durationType = reflect.TypeFor[metav1.Duration]()
	timeType     = reflect.TypeFor[metav1.Time]()
)

// riskyFields lists every field under t whose Go type can fail to decode, so a new field of such
// a type is covered without anyone remembering to add it here.
func riskyFields(t reflect.Type, path []string) []riskyField {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == durationType:
		return []riskyField{{path: path, risk: riskDuration}}
	case t == timeType:
		return []riskyField{{path: path, risk: riskTime}}
	}
	switch t.Kind() {
	case reflect.Int32:
		return []riskyField{{path: path, risk: riskInt32}}
	case reflect.Int64:
		return []riskyField{{path: path, risk: riskInt64}}
	case reflect.Slice:
		return riskyFields(t.Elem(), append(path, "[]"))
	case reflect.Map:
		return riskyFields(t.Elem(), append(path, "{}"))
	case reflect.Struct:
		var out []riskyField
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			sub := append(append([]string(nil), path...), name)
			if name == "" { // inline
				sub = path
			}
			out = append(out, riskyFields(f.Type, sub)...)
		}
		return out
	}
	return nil
}

// decodeProbeContext holds the sibling fields a probe object needs so that only the value under
// test decides admission: required fields of list items, and CEL rules tying fields together.
var decodeProbeContext = map[string]map[string]any{
	"spec.exports.[]":              {"subject": "svc.probe", "type": "service"},
	"spec.mappings.[]":             {"from": "probe.in"},
	"spec.mappings.[].to.[]":       {"subject": "probe.out"},
	"spec.signingKeys.[]":          {"name": "probe"},
	"spec.signingKeys.[].scope":    {"template": map[string]any{}},
	"spec.signingKeys.[].rotation": {"generation": 1},
	"spec.signingKeyRotation":      {"generation": 1},
}

// decodeProbeLeafContext adds siblings that only one leaf needs, keyed by the leaf's path.
var decodeProbeLeafContext = map[string]map[string]any{
	"spec.resolver.ttl": {"type": "cache"}, // ttl is only valid with the cache resolver
}

type decodeProbeKind struct {
	kind     string
	resource string
	spec     reflect.Type
	base     map[string]any
	get      func(ctx context.Context, ns, name string) error
}

// TestSchemaDecodesWhatItAdmits is the generic guard: for every spec field of every kind whose Go
// type can fail to decode, each hostile value is either refused at admission or decodes with the
// typed client the informers use. An admitted value that does not decode would stop the
// controller for every tenant.
func TestSchemaDecodesWhatItAdmits(t *testing.T) {
	ns := controlPlane.NewNamespace(t)
	ctx := suite.Context(t)
	client := suite.NatsClient(t).NatsauthV1alpha1()
	raw := client.RESTClient()
	kinds := []decodeProbeKind{
		{"NatsUser", "natsusers", reflect.TypeFor[natsv1alpha1.NatsUserSpec](), map[string]any{"accountRef": map[string]any{"name": "a"}},
			func(ctx context.Context, ns, name string) error {
				_, err := client.NatsUsers(ns).Get(ctx, name, metav1.GetOptions{})
				return err
			}},
		{"NatsAccount", "natsaccounts", reflect.TypeFor[natsv1alpha1.NatsAccountSpec](), map[string]any{"operatorRef": map[string]any{"name": "o"}},
			func(ctx context.Context, ns, name string) error {
				_, err := client.NatsAccounts(ns).Get(ctx, name, metav1.GetOptions{})
				return err
			}},
		{"NatsOperator", "natsoperators", reflect.TypeFor[natsv1alpha1.NatsOperatorSpec](), map[string]any{},
			func(ctx context.Context, ns, name string) error {
				_, err := client.NatsOperators(ns).Get(ctx, name, metav1.GetOptions{})
				return err
			}},
	}
	probed := 0
	for _, k := range kinds {
		fields := riskyFields(k.spec, []string{"spec"})
		if len(fields) == 0 {
			t.Fatalf("%s: found no fields to probe; the reflection walk is broken", k.kind)
		}
		for _, f := range fields {
			t.Run(k.kind+"/"+f.String(), func(t *testing.T) {
				probe := func(value string) (admitted bool) {
					name, err := createRaw(ctx, raw, k, ns, decodeProbeObject(k, f, value))
					if err != nil {
						if !apierrors.IsInvalid(err) && !apierrors.IsBadRequest(err) {
							t.Errorf("%s = %s: refused with %v, want a validation error", f, value, err)
						}
						return false
					}
					defer deleteRaw(ctx, raw, k, ns, name)
					if err := k.get(ctx, ns, name); err != nil {
						t.Errorf("%s = %s was admitted but the typed client cannot decode it: %v", f, value, err)
					}
					return true
				}
				if !probe(validValues[f.risk]) {
					t.Fatalf("the probe object with the valid value %s is refused: add the sibling fields it needs to decodeProbeContext", validValues[f.risk])
				}
				for _, value := range hostileValues[f.risk] {
					probe(value)
					probed++
				}
			})
		}
	}
	t.Logf("probed %d hostile values", probed)
}

// decodeProbeObject builds an object of kind k holding raw at f's path and nothing else beyond
// the kind's base and what the decodeProbe contexts require.
func decodeProbeObject(k decodeProbeKind, f riskyField, raw string) map[string]any {
	spec := probeNode(f.path, 1, raw).(map[string]any)
	for key, v := range k.base {
		spec[key] = v
	}
	return map[string]any{
		"apiVersion": natsv1alpha1.SchemeGroupVersion.String(), "kind": k.kind,
		"metadata": map[string]any{"generateName": "probe-"}, "spec": spec,
	}
}

// probeNode returns the JSON value at path[:depth] that leads to raw at the end of path.
func probeNode(path []string, depth int, raw string) any {
	if depth == len(path) {
		return json.RawMessage(raw)
	}
	switch path[depth] {
	case "[]":
		return []any{probeNode(path, depth+1, raw)}
	case "{}":
		return map[string]any{"R1": probeNode(path, depth+1, raw)}
	}
	obj := map[string]any{}
	maps.Copy(obj, decodeProbeContext[strings.Join(path[:depth], ".")])
	if depth == len(path)-1 {
		maps.Copy(obj, decodeProbeLeafContext[strings.Join(path, ".")])
	}
	obj[path[depth]] = probeNode(path, depth+1, raw)
	return obj
}

// createRaw posts obj as raw JSON, so numbers beyond int64 reach the apiserver unchanged, and
// returns the generated name.
func createRaw(ctx context.Context, c rest.Interface, k decodeProbeKind, ns string, obj map[string]any) (string, error) {
	body, err := json.Marshal(obj)
	if err != nil {
		return "", err
	}
	out, err := c.Post().Namespace(ns).Resource(k.resource).
		Body(body).DoRaw(ctx)
	if err != nil {
		return "", err
	}
	var meta struct {
		Metadata struct{ Name string } `json:"metadata"`
	}
	if err := json.Unmarshal(out, &meta); err != nil {
		return "", err
	}
	return meta.Metadata.Name, nil
}

// deleteRaw deletes without decoding the object, which may be undecodable.
func deleteRaw(ctx context.Context, c rest.Interface, k decodeProbeKind, ns, name string) {
	_ = c.Delete().Namespace(ns).Resource(k.resource).Name(name).Do(ctx).Error()
}
