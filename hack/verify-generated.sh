#!/usr/bin/env bash
# verify-generated.sh fails when generated code (deepcopy, clientset, listers, informers) or the
# CRD YAML differs from what the Go types produce. It regenerates in place and compares with a
# snapshot, so a stale tree is also left regenerated for the developer to review and commit.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
snap=$(mktemp -d)
trap 'rm -rf "$snap"' EXIT
paths=(generated manifests/crds apis/natsauth/v1alpha1/zz_generated.deepcopy.go apis/natsauth/v1alpha1/REFERENCE.md)
for p in "${paths[@]}"; do
  mkdir -p "$snap/$(dirname "$p")"
  cp -a "$p" "$snap/$p"
done
bash hack/update-codegen.sh >/dev/null
bash hack/update-crds.sh >/dev/null
stale=0
for p in "${paths[@]}"; do
  if ! diff -Naur "$snap/$p" "$p" >"$snap/diff.txt" 2>&1; then
    echo "stale generated files under $p:" >&2
    head -40 "$snap/diff.txt" >&2
    stale=1
  fi
done
if [[ $stale == 1 ]]; then
  echo "run 'make generate' and commit the result" >&2
  exit 1
fi
echo "generated code and CRDs are current"
