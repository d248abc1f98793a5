#!/usr/bin/env bash
# release.sh writes the one install YAML of a release: manifests/default (the CRDs and the
# controller) rendered by kubectl's built-in kustomize, with the image pinned to
# IMAGE:VERSION. Output: RELEASE_DIR (default bin/release)/install.yaml.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
version=${VERSION:-$(hack/version.sh)}
image=${IMAGE:-ghcr.io/natsauth/nats-auth-operator}
out=${RELEASE_DIR:-$root/bin/release}
if [[ $version == latest || ! $version =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]]; then
  echo "VERSION=$version is not a versioned image tag" >&2
  exit 1
fi
kubectl=${KUBECTL:-kubectl}

# kustomize pins the image in a throwaway overlay, so the manifests stay as they are.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/kustomization.yaml" <<YAML
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- $(realpath --relative-to="$work" "$root/manifests/default")
images:
- name: ghcr.io/natsauth/nats-auth-operator
  newName: $image
  newTag: $version
YAML
mkdir -p "$out"
{
  echo "# nats-auth-operator $version: kubectl apply -f install.yaml"
  echo "# The CRDs and the controller (namespace nats-auth-operator); deploy a resolver next to"
  echo "# each NatsOperator (manifests/examples/resolver, manifests/overlays/example)."
  "$kubectl" kustomize "$work"
} >"$out/install.yaml.tmp"
# Every image the release runs is the one just pinned.
if grep -E '^\s+image:' "$out/install.yaml.tmp" | grep -vqF "image: $image:$version"; then
  echo "install.yaml names an image other than $image:$version" >&2
  exit 1
fi
mv "$out/install.yaml.tmp" "$out/install.yaml"
echo "wrote $out/install.yaml ($image:$version)"
