#!/usr/bin/env bash
# update-crds.sh regenerates manifests/crds from the Go types with controller-gen, a build-time
# tool only (nothing of it is linked into the binaries).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${CRD_OUTPUT_DIR:-$root/manifests/crds}
CONTROLLER_GEN_VERSION=v0.23.0
cd "$root"
gen="$root/bin/controller-gen-$CONTROLLER_GEN_VERSION"
if [[ ! -x $gen ]]; then
  tmp=$(mktemp -d)
  # Append to the user's GOFLAGS (such as -modcacherw) instead of replacing them.
  GOBIN="$tmp" GOFLAGS="$(go env GOFLAGS) -mod=mod" go install "sigs.k8s.io/controller-tools/cmd/controller-gen@$CONTROLLER_GEN_VERSION"
  mkdir -p "$root/bin"
  mv "$tmp/controller-gen" "$gen"
  rm -rf "$tmp"
fi
mkdir -p "$out"
rm -f "$out"/*.yaml
"$gen" crd:crdVersions=v1 paths=./apis/... output:crd:dir="$out"
# Stable, tool-independent file names.
for f in "$out"/natsauth.io_*.yaml; do
  mv "$f" "$out/${f##*/natsauth.io_}"
done
# The API reference is generated from the same schemas, so it cannot drift from them.
go run ./hack/apidocs "$out" "$root/apis/natsauth/v1alpha1/REFERENCE.md"
