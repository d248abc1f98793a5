#!/usr/bin/env bash
# build-image.sh builds the project's one image without docker or a registry (umoci + skopeo):
# the static controller and resolver binaries, CA certificates for TLS to NATS, nothing else (no
# shell), run as 65532:65532. It is the image the Dockerfile builds; keep the two in step
# (test/release compares them). Writes, under IMAGE_DIR (default bin/image):
#   oci/                  an OCI image layout, tagged VERSION
#   <name>-VERSION.tar    a docker-archive of IMAGE:VERSION, for `ctr -n k8s.io image import`,
#                         `docker load` or `skopeo copy` to a registry
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
version=${VERSION:-$(hack/version.sh)}
image=${IMAGE:-ghcr.io/natsauth/nats-auth-operator}
out=${IMAGE_DIR:-$root/bin/image}
arch=${GOARCH:-amd64}
if [[ $version == latest || ! $version =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]]; then
  echo "VERSION=$version is not a versioned image tag" >&2
  exit 1
fi
hack/install-image-tools.sh

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The same build as the Dockerfile's: static, no VCS stamp, no symbols.
CGO_ENABLED=0 GOOS=linux GOARCH=$arch go build -trimpath -buildvcs=false \
  -ldflags "-s -w -X main.version=$version" -o "$work/bin/" ./cmd/controller ./cmd/resolver

# Fixed timestamps (the commit's) so that a rebuild of one commit gives the same layer.
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)

layout=$out/oci
rm -rf "$layout"
mkdir -p "$out"
umoci init --layout "$layout"
umoci new --image "$layout:$version"
umoci unpack --rootless --image "$layout:$version" "$work/bundle"
rootfs=$work/bundle/rootfs
install -m 0755 "$work/bin/controller" "$work/bin/resolver" "$rootfs/"
install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
find "$rootfs" -exec touch -h -d "@$epoch" {} +
umoci repack --image "$layout:$version" --history.created "$created" \
  --history.created_by "hack/build-image.sh" "$work/bundle"
umoci config --image "$layout:$version" --created "$created" --history.created "$created" \
  --os linux --architecture "$arch" --config.user 65532:65532 --config.workingdir / \
  --config.entrypoint /controller \
  --config.label "org.opencontainers.image.source=https://github.com/natsauth/nats-auth-operator" \
  --config.label "org.opencontainers.image.version=$version"
umoci gc --layout "$layout"

archive=$out/${image##*/}-$version.tar
rm -f "$archive"
# A local copy between two files: no signatures to check, so no /etc/containers/policy.json needed.
skopeo --insecure-policy copy --quiet "oci:$layout:$version" "docker-archive:$archive:$image:$version"
digest=$(skopeo inspect --format '{{.Digest}}' "oci:$layout:$version")
echo "built $image:$version ($digest)"
echo "  OCI layout: $layout (tag $version)"
echo "  docker-archive: $archive"
