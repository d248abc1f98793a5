#!/usr/bin/env bash
# update-codegen.sh regenerates deepcopy functions, the typed clientset, listers and informers
# (generated/) with k8s.io/code-generator, at the version pinned in go.mod.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out_root=${CODEGEN_OUTPUT_ROOT:-$root}
module=github.com/natsauth/nats-auth-operator
cd "$root"

# `go list -m -f {{.Dir}}` is empty while the module is not in the module cache (a fresh
# machine), so download it first; the generators kube_codegen.sh installs then build from its
# go.mod, which `go install` also downloads on demand.
go mod download k8s.io/code-generator
codegen_pkg=$(go list -m -f '{{.Dir}}' k8s.io/code-generator)
[[ -f $codegen_pkg/kube_codegen.sh ]] || { echo "k8s.io/code-generator not found in the module cache ($codegen_pkg)" >&2; exit 1; }
# kube_codegen.sh installs the generators into GOBIN; keep them inside ./bin, not the user's PATH.
export GOBIN="$root/bin/codegen"
mkdir -p "$GOBIN"
# shellcheck source=/dev/null
source "$codegen_pkg/kube_codegen.sh"

kube::codegen::gen_helpers \
  --boilerplate "$root/hack/boilerplate.go.txt" \
  "$root/apis"

kube::codegen::gen_client \
  --with-watch \
  --output-dir "$out_root/generated" \
  --output-pkg "$module/generated" \
  --boilerplate "$root/hack/boilerplate.go.txt" \
  "$root/apis"
