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

// Command apidocs writes the API reference (every field of every kind, with its type,
// description and validation) from the generated CRD schemas, so the reference cannot drift from
// what the apiserver enforces. Usage: go run ./hack/apidocs <crd-dir> <output.md>
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"
)

type schema struct {
	Type                 string             `json:"type"`
	Description          string             `json:"description"`
	Properties           map[string]*schema `json:"properties"`
	Items                *schema            `json:"items"`
	AdditionalProperties *schema            `json:"additionalProperties"`
	Required             []string           `json:"required"`
	Enum                 []any              `json:"enum"`
	Default              any                `json:"default"`
	Minimum              *float64           `json:"minimum"`
	Maximum              *float64           `json:"maximum"`
	MaxItems             *int               `json:"maxItems"`
	MaxLength            *int               `json:"maxLength"`
	Pattern              string             `json:"pattern"`
	Format               string             `json:"format"`
	Validations          []struct {
		Message string `json:"message"`
	} `json:"x-kubernetes-validations"`
}

type crd struct {
	Spec struct {
		Names struct {
			Kind       string   `json:"kind"`
			ShortNames []string `json:"shortNames"`
		} `json:"names"`
		Versions []struct {
			Name   string `json:"name"`
			Schema struct {
				OpenAPIV3Schema *schema `json:"openAPIV3Schema"`
			} `json:"schema"`
		} `json:"versions"`
	} `json:"spec"`
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: apidocs <crd-dir> <output.md>")
		os.Exit(2)
	}
	out, err := render(os.Args[1])
	if err == nil {
		err = os.WriteFile(os.Args[2], []byte(out), 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "apidocs:", err)
		os.Exit(1)
	}
}

func render(dir string) (string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return "", err
	}
	sort.Strings(files)
	var b strings.Builder
	b.WriteString("# API reference: natsauth.io/v1alpha1\n\n")
	b.WriteString("Generated from the CRD schemas by `make generate` (hack/apidocs); do not edit. ")
	b.WriteString("`kubectl explain` shows the same descriptions.\n\n")
	order := map[string]int{"NatsOperator": 0, "NatsAccount": 1, "NatsUser": 2}
	var kinds []crd
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		var c crd
		if err := yaml.Unmarshal(raw, &c); err != nil {
			return "", fmt.Errorf("%s: %w", f, err)
		}
		kinds = append(kinds, c)
	}
	sort.Slice(kinds, func(i, j int) bool { return order[kinds[i].Spec.Names.Kind] < order[kinds[j].Spec.Names.Kind] })
	for _, c := range kinds {
		for _, v := range c.Spec.Versions {
			root := v.Schema.OpenAPIV3Schema
			fmt.Fprintf(&b, "## %s (short name %s)\n\n%s\n\n", c.Spec.Names.Kind, strings.Join(c.Spec.Names.ShortNames, ", "), oneLine(root.Description))
			b.WriteString("| field | type | description | validation |\n|---|---|---|---|\n")
			for _, top := range []string{"spec", "status"} {
				if s := root.Properties[top]; s != nil {
					walk(&b, top, s, contains(root.Required, top))
				}
			}
			b.WriteString("\n")
		}
	}
	return b.String(), nil
}

func walk(b *strings.Builder, path string, s *schema, required bool) {
	typ := s.Type
	switch {
	case s.Type == "array" && s.Items != nil:
		typ = "[]" + s.Items.Type
	case s.Type == "object" && s.AdditionalProperties != nil:
		typ = "map[string]" + s.AdditionalProperties.Type
	}
	fmt.Fprintf(b, "| `%s` | %s | %s | %s |\n", path, typ, cell(s.Description), cell(rules(s, required)))
	for _, name := range sortedKeys(s.Properties) {
		walk(b, path+"."+name, s.Properties[name], contains(s.Required, name))
	}
	if s.Items != nil && s.Items.Properties != nil {
		for _, name := range sortedKeys(s.Items.Properties) {
			walk(b, path+"[]."+name, s.Items.Properties[name], contains(s.Items.Required, name))
		}
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties.Properties != nil {
		for _, name := range sortedKeys(s.AdditionalProperties.Properties) {
			walk(b, path+"[key]."+name, s.AdditionalProperties.Properties[name], false)
		}
	}
}

// rules lists what the schema enforces on a field, including the items of a list.
func rules(s *schema, required bool) string {
	var r []string
	if required {
		r = append(r, "required")
	}
	add := func(s *schema, prefix string) {
		if len(s.Enum) > 0 {
			vals := make([]string, len(s.Enum))
			for i, e := range s.Enum {
				vals[i] = fmt.Sprint(e)
			}
			r = append(r, prefix+"one of "+strings.Join(vals, ", "))
		}
		if s.Default != nil {
			r = append(r, fmt.Sprintf("%sdefault %v", prefix, s.Default))
		}
		if s.Minimum != nil {
			r = append(r, fmt.Sprintf("%s>= %s", prefix, strconv.FormatFloat(*s.Minimum, 'f', -1, 64)))
		}
		if s.Maximum != nil {
			r = append(r, fmt.Sprintf("%s<= %s", prefix, strconv.FormatFloat(*s.Maximum, 'f', -1, 64)))
		}
		if s.MaxItems != nil {
			r = append(r, fmt.Sprintf("%sat most %d items", prefix, *s.MaxItems))
		}
		if s.MaxLength != nil {
			r = append(r, fmt.Sprintf("%sat most %d characters", prefix, *s.MaxLength))
		}
		if s.Pattern != "" {
			r = append(r, prefix+"pattern `"+s.Pattern+"`")
		}
		if s.Format != "" {
			r = append(r, prefix+"format "+s.Format)
		}
		for _, v := range s.Validations {
			r = append(r, prefix+v.Message)
		}
	}
	add(s, "")
	if s.Items != nil {
		add(s.Items, "each: ")
	}
	return strings.Join(r, "; ")
}

func cell(s string) string {
	return strings.ReplaceAll(oneLine(s), "|", "\\|")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func sortedKeys(m map[string]*schema) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
