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

package natsjwt

import (
	"cmp"
	"slices"
	"strings"

	"github.com/nats-io/jwt/v2"
)

// responseTypes are the service response types jwt accepts.
var responseTypes = []string{jwt.ResponseTypeSingleton, jwt.ResponseTypeStream, jwt.ResponseTypeChunked}

// buildExports converts and checks the exports, including the checks that
// span exports (overlaps, the wildcard restriction), and returns them in a
// deterministic order.
func buildExports(is *issues, specs []Export, wildcards bool) jwt.Exports {
	out := make(jwt.Exports, 0, len(specs))
	for i, e := range specs {
		p := index("exports", i)
		out = append(out, buildExport(is, p, e))
		if !wildcards && jwt.Subject(e.Subject).HasWildCards() {
			is.add(field(p, "subject"), "%q has wildcards but limits.wildcards is false", e.Subject)
		}
	}
	checkExportOverlaps(is, specs)
	slices.SortStableFunc(out, func(a, b *jwt.Export) int {
		return cmp.Or(cmp.Compare(a.Subject, b.Subject), cmp.Compare(a.Type, b.Type), cmp.Compare(a.Name, b.Name))
	})
	if len(out) == 0 {
		return nil
	}
	return out
}

// buildExport converts one export, applying jwt's export rules with paths.
func buildExport(is *issues, p string, e Export) *jwt.Export {
	ex := &jwt.Export{
		Name:                 checkText(is, field(p, "name"), e.Name),
		Subject:              jwt.Subject(e.Subject),
		Type:                 exportType(is, field(p, "type"), e.Type),
		TokenReq:             e.TokenRequired,
		Revocations:          buildRevocations(is, field(p, "revocations"), e.Revocations, KindAccount),
		ResponseType:         jwt.ResponseType(e.ResponseType),
		ResponseThreshold:    e.ResponseThreshold,
		AccountTokenPosition: e.AccountTokenPosition,
		Advertise:            e.Advertise,
		Info:                 checkInfo(is, p, e.Description, e.InfoURL),
	}
	checkSubject(is, field(p, "subject"), e.Subject)
	service := ex.Type == jwt.Service
	switch {
	case e.ResponseType != "" && !service:
		is.add(field(p, "responseType"), "is only valid for service exports")
	case e.ResponseType != "" && !slices.Contains(responseTypes, e.ResponseType):
		is.add(field(p, "responseType"), "is %q; must be one of %s", e.ResponseType, strings.Join(responseTypes, ", "))
	}
	switch {
	case e.ResponseThreshold < 0:
		is.add(field(p, "responseThreshold"), "must not be negative")
	case e.ResponseThreshold > 0 && !service:
		is.add(field(p, "responseThreshold"), "is only valid for service exports")
	}
	if pos := e.AccountTokenPosition; pos > 0 {
		tokens := strings.Split(e.Subject, ".")
		if pos > uint(len(tokens)) || tokens[pos-1] != "*" {
			is.add(field(p, "accountTokenPosition"), "token %d of %q must be a '*' wildcard that will hold the importer's account key", pos, e.Subject)
		}
	}
	return ex
}

// checkExportOverlaps mirrors jwt's rule that two exports of the same type
// may not contain one another, but names both exports.
func checkExportOverlaps(is *issues, specs []Export) {
	for i, a := range specs {
		for j := i + 1; j < len(specs); j++ {
			b := specs[j]
			if a.Type != b.Type {
				continue
			}
			sa, sb := jwt.Subject(a.Subject), jwt.Subject(b.Subject)
			if sa.IsContainedIn(sb) || sb.IsContainedIn(sa) {
				is.add(field(index("exports", j), "subject"), "%q overlaps exports[%d] %q; %s exports of one account may not overlap", b.Subject, i, a.Subject, a.Type)
			}
		}
	}
}

// buildImports converts and checks the imports. Each import that passes our
// checks is also run through jwt's Import.Validate, which covers renaming
// rules and activation tokens (issuer, subject, kind) with exact jwt logic.
func buildImports(is *issues, accountPub string, specs []Import) jwt.Imports {
	out := make(jwt.Imports, 0, len(specs))
	for i, s := range specs {
		p := index("imports", i)
		before := is.count()
		im := &jwt.Import{
			Name:         checkText(is, field(p, "name"), s.Name),
			Subject:      jwt.Subject(s.Subject),
			Account:      s.Account,
			Token:        s.Token,
			LocalSubject: jwt.RenamingSubject(s.LocalSubject),
			Type:         exportType(is, field(p, "type"), s.Type),
			Share:        s.Share,
		}
		checkSubject(is, field(p, "subject"), s.Subject)
		if s.LocalSubject != "" {
			checkSubject(is, field(p, "localSubject"), s.LocalSubject)
		}
		checkPublicKey(is, field(p, "account"), s.Account, KindAccount)
		if s.Share && im.Type != jwt.Service {
			is.add(field(p, "share"), "is only valid for service imports")
		}
		if is.count() == before {
			vr := jwt.CreateValidationResults()
			im.Validate(accountPub, vr)
			is.addJWT(p, vr)
		}
		out = append(out, im)
	}
	checkImportOverlaps(is, specs)
	slices.SortStableFunc(out, func(a, b *jwt.Import) int {
		return cmp.Or(cmp.Compare(a.Subject, b.Subject), cmp.Compare(a.Account, b.Account),
			cmp.Compare(a.Type, b.Type), cmp.Compare(a.LocalSubject, b.LocalSubject), cmp.Compare(a.Name, b.Name))
	})
	if len(out) == 0 {
		return nil
	}
	return out
}

// checkImportOverlaps mirrors jwt's rule that service imports from the same
// exporter may not overlap on their local subjects.
func checkImportOverlaps(is *issues, specs []Import) {
	local := func(s Import) jwt.Subject {
		if s.LocalSubject != "" {
			return jwt.RenamingSubject(s.LocalSubject).ToSubject()
		}
		return jwt.Subject(s.Subject)
	}
	for i, a := range specs {
		for j := i + 1; j < len(specs); j++ {
			b := specs[j]
			if a.Type != ExportService || b.Type != ExportService || a.Account != b.Account {
				continue
			}
			la, lb := local(a), local(b)
			if la.IsContainedIn(lb) || lb.IsContainedIn(la) {
				is.add(index("imports", j), "service import %q overlaps imports[%d] %q from the same account", lb, i, la)
			}
		}
	}
}

// buildMappings converts and checks subject mappings the way nats-server
// checks them on push (see mapping.go): valid subjects, destinations it can
// build, no destination twice for one source, every weight at most 100
// (0 means 100) and the weights of a source adding up to at most 100,
// overall and per cluster.
func buildMappings(is *issues, m map[string][]WeightedMapping) jwt.Mapping {
	out := jwt.Mapping{}
	for _, from := range sortedKeys(m) {
		p := mapKey("mappings", from)
		srcOK := checkSubject(is, p, from)
		if len(m[from]) == 0 {
			is.add(p, "needs at least one destination")
		}
		out[jwt.Subject(from)] = buildMappingDests(is, p, from, srcOK, m[from])
	}
	return out
}

// buildMappingDests converts and checks the destinations of one source.
func buildMappingDests(is *issues, p, from string, srcOK bool, dests []WeightedMapping) []jwt.WeightedMapping {
	var total uint32
	perCluster := map[string]uint32{}
	seen := map[string]int{}
	converted := make([]jwt.WeightedMapping, 0, len(dests))
	for j, d := range dests {
		dp := index(p, j)
		checkMappingDest(is, field(dp, "subject"), from, d.Subject, srcOK)
		if first, dup := seen[d.Subject]; dup {
			// The server keys destinations by subject alone, across clusters.
			is.add(field(dp, "subject"), "%q is already the destination at [%d]; nats-server refuses a destination listed twice for one source, even for different clusters", d.Subject, first)
		} else {
			seen[d.Subject] = j
		}
		checkText(is, field(dp, "cluster"), d.Cluster)
		wm := jwt.WeightedMapping{Subject: jwt.Subject(d.Subject), Weight: d.Weight, Cluster: d.Cluster}
		if w := wm.GetWeight(); w > 100 {
			is.add(field(dp, "weight"), "is %d; must be 1-100 (0 means 100)", w)
		}
		if d.Cluster == "" {
			total += uint32(wm.GetWeight())
		} else {
			perCluster[d.Cluster] += uint32(wm.GetWeight())
		}
		converted = append(converted, wm)
	}
	if total > 100 {
		is.add(p, "weights add up to %d%%; at most 100%% (a weight of 0 counts as 100)", total)
	}
	for _, c := range sortedKeys(perCluster) {
		if perCluster[c] > 100 {
			is.add(p, "weights for cluster %q add up to %d%%; at most 100%%", c, perCluster[c])
		}
	}
	return converted
}
