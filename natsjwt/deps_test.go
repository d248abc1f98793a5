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
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// allowedDeps are the only non-standard packages natsjwt may link: its two
// direct dependencies and what they pull in.
var allowedDeps = []string{
	"github.com/natsauth/nats-auth-operator/natsjwt",
	"github.com/nats-io/jwt/v2",
	"github.com/nats-io/nkeys",
	"golang.org/x/crypto/",
	"golang.org/x/sys/",
}

// TestDependencies is the second guard (after depguard) that keeps natsjwt
// pure: no Kubernetes anywhere in its dependency graph. It shells out to
// `go list`, which `go test` puts on PATH.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{.Standard}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, std, _ := strings.Cut(line, " ")
		switch {
		case strings.HasPrefix(path, "k8s.io/") || strings.HasPrefix(path, "sigs.k8s.io/"):
			t.Errorf("natsjwt depends on Kubernetes package %s", path)
		case std == "true":
		case !slices.ContainsFunc(allowedDeps, func(p string) bool { return path == p || strings.HasPrefix(path, p) }):
			t.Errorf("natsjwt depends on %s, which is not in the allowed list", path)
		}
	}
}

// forbiddenCalls would make the package read the clock, sleep or run
// timers; time must always come in as an argument.
var forbiddenCalls = []string{"time.Now", "time.Since", "time.Until", "time.Sleep", "time.After", "time.Tick", "time.NewTimer", "time.NewTicker", "time.AfterFunc"}

// forbiddenImports would give the package I/O, processes or network.
var forbiddenImports = []string{"os", "os/exec", "net/http", "net/rpc", "crypto/tls", "io/fs", "syscall", "unsafe"}

// TestPurity scans the non-test sources: direct imports are the standard
// library (minus forbiddenImports), jwt/v2 and nkeys; no goroutines; no
// clock reads.
func TestPurity(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			std := !strings.Contains(strings.SplitN(p, "/", 2)[0], ".")
			allowed := p == "github.com/nats-io/jwt/v2" || p == "github.com/nats-io/nkeys" || (std && !slices.Contains(forbiddenImports, p))
			if !allowed {
				t.Errorf("%s imports %s", name, p)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.GoStmt:
				t.Errorf("%s: goroutine at %s", name, fset.Position(n.Pos()))
			case *ast.SelectorExpr:
				if id, ok := n.X.(*ast.Ident); ok && slices.Contains(forbiddenCalls, id.Name+"."+n.Sel.Name) {
					t.Errorf("%s: %s.%s at %s", name, id.Name, n.Sel.Name, fset.Position(n.Pos()))
				}
			}
			return true
		})
	}
}
