#!/usr/bin/env bash
# verify-imports.sh keeps the layout's promises checkable: the binaries link no controller-runtime;
# the pure packages (natsjwt, resolver/natssys) import nothing from Kubernetes; the resolver and
# the controllers do not depend on each other (the resolver must not link the seed-generating
# KeyStore); internal/ knows no kind. Dependencies are transitive; the layering rules include the
# packages' tests.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
mod=$(go list -m)
fail=0
# forbid WHAT PATTERN REGEX [FLAG]: the packages matching PATTERN must not depend on a package
# matching REGEX; FLAG -test includes their tests' dependencies.
forbid() {
  local what=$1 pattern=$2 regex=$3 bad
  if bad=$(go list -deps ${4:-} "$pattern" | grep -E "$regex"); then
    echo "$what:" >&2; echo "$bad" | sed 's/^/  /' >&2; fail=1
  fi
}
forbid "binaries must not link these packages" ./cmd/... '^sigs\.k8s\.io/controller-runtime|/test/testbed'
forbid "pure package natsjwt must not import Kubernetes" ./natsjwt/... '^(k8s\.io|sigs\.k8s\.io)/'
[[ -d resolver/natssys ]] && forbid "pure package resolver/natssys must not import Kubernetes" ./resolver/natssys/... '^(k8s\.io|sigs\.k8s\.io)/'
forbid "resolver/ must not import controllers/" ./resolver/... "^$mod/controllers(/| |$)" -test
forbid "cmd/resolver must not import controllers/" ./cmd/resolver/... "^$mod/controllers(/| |$)" -test
forbid "controllers/ must not import resolver/" ./controllers/... "^$mod/resolver(/| |$)" -test
# generated/ is the API's clientset, so it counts as apis/.
forbid "internal/ must not import apis/, natsjwt/, controllers/ or resolver/" ./internal/... \
  "^$mod/(apis|generated|natsjwt|controllers|resolver)(/| |$)" -test
[[ $fail == 0 ]] && echo "import guard ok"
exit $fail
