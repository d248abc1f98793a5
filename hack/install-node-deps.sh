#!/usr/bin/env bash
# install-node-deps.sh installs what the single-node Kubernetes test bed (test/node) needs on top
# of install-test-deps.sh: containerd, runc, the CNI plugins, umoci, skopeo and iptables from
# Debian (only when missing), kubelet, kube-controller-manager and kube-scheduler built from the
# Go module proxy like kube-apiserver (cached per machine by version, linked into ./bin), and a
# local pause image (bin/pause, a docker-archive), since no registry is reachable, and the previous
# release's image and manifests for the rolling upgrade (bin/prev-release). Idempotent: a re-run
# with everything present takes about a second. The first build takes ~25 minutes on two cores.
set -euo pipefail

KUBE_VERSION=${KUBE_VERSION:-v1.37.2}
# The sandbox image's name; test/node configures containerd's sandbox_image with the same one.
PAUSE_IMAGE=${PAUSE_IMAGE:-registry.k8s.io/pause:3.10.1}
# Bump when test/node/pause or the image layout changes, so the cached image is rebuilt.
PAUSE_BUILD=3
# The nats-server and client Pods' image; the versions are install-test-deps.sh's.
NATS_SERVER_VERSION=${NATS_SERVER_VERSION:-v2.15.2}
NATSCLI_VERSION=${NATSCLI_VERSION:-v0.5.1}
NATS_TOOLS_IMAGE=${NATS_TOOLS_IMAGE:-natsauth.local/nats-tools:$NATS_SERVER_VERSION}
# The release test/node upgrades from. There is no release tag yet, so it is the first commit
# whose image and manifests ran on the node (the merge of the node suite); it predates the creds
# Secret finalizer, so the upgrade also migrates its users. Point it at the last tag once tagged.
PREV_REV=${PREV_REV:-d473bf3aa324951b9f89f91d3339d6410f26f4ba}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin_dir=${BIN_DIR:-$root/bin}
cache_root=${NATS_AUTH_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nats-auth-operator/bin}
mkdir -p "$bin_dir" "$cache_root"
goflags="$(go env GOFLAGS) -mod=mod"
node_bins=(kubelet kube-controller-manager kube-scheduler)

log() { printf '[install-node-deps] %s\n' "$*" >&2; }
# shellcheck source=hack/lib/deps.sh
source "$root/hack/lib/deps.sh"

install_packages() {
  local missing=() p
  for p in containerd runc containernetworking-plugins umoci skopeo iptables; do
    [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == "install ok installed" ]] || missing+=("$p")
  done
  [[ ${#missing[@]} == 0 ]] && return
  [[ $(id -u) == 0 ]] || { log "run as root to apt-get install ${missing[*]}"; exit 1; }
  log "apt-get install ${missing[*]}"
  # A fresh machine may have no package lists yet.
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >/dev/null 2>&1 || {
    apt-get update >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >/dev/null
  }
}

# install_node_bins: one go build for the missing binaries (they share most packages).
install_node_bins() {
  local missing=() n
  for n in "${node_bins[@]}"; do
    [[ -x $cache_root/$n-$KUBE_VERSION/$n ]] || missing+=("$n")
  done
  [[ ${#missing[@]} == 0 ]] && return
  log "building ${missing[*]} $KUBE_VERSION (about 25 minutes on two cores, once per machine)"
  local tmp=$cache_root/kube-node-$KUBE_VERSION.tmp
  rm -rf "$tmp"
  kube_build "$tmp" "${missing[@]}"
  for n in "${missing[@]}"; do
    mkdir -p "$cache_root/$n-$KUBE_VERSION.tmp"
    mv "$tmp/$n" "$cache_root/$n-$KUBE_VERSION.tmp/$n"
    mv "$cache_root/$n-$KUBE_VERSION.tmp" "$cache_root/$n-$KUBE_VERSION"
  done
  rm -rf "$tmp"
}

# image_archive OUT NAME:TAG ENTRYPOINT FILE...: an image holding only the given static files at
# /, built like hack/build-image.sh's (umoci + skopeo), as a docker-archive for `ctr image import`.
image_archive() {
  local out=$1 ref=$2 entry=$3; shift 3
  local tag=${ref##*:} work=$out.work
  rm -rf "$work"; mkdir -p "$work"
  umoci init --layout "$work/oci"
  umoci new --image "$work/oci:$tag"
  umoci unpack --rootless --image "$work/oci:$tag" "$work/bundle"
  install -m 0755 "$@" "$work/bundle/rootfs/"
  umoci repack --image "$work/oci:$tag" "$work/bundle"
  umoci config --image "$work/oci:$tag" --os linux --architecture amd64 \
    --config.user 65532:65532 --config.entrypoint "$entry"
  skopeo --insecure-policy copy --quiet "oci:$work/oci:$tag" "docker-archive:$out:$ref"
  rm -rf "$work"
}

# install_pause: the sandbox image, a static sleep-until-SIGTERM program.
install_pause() {
  local dest=$cache_root/pause-${PAUSE_IMAGE##*:}-$PAUSE_BUILD
  [[ -f $dest/pause ]] && return
  log "building the pause image $PAUSE_IMAGE"
  rm -rf "$dest.tmp"; mkdir -p "$dest.tmp/bin"
  (cd "$root" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$dest.tmp/bin/pause" ./test/node/pause)
  image_archive "$dest.tmp/pause" "$PAUSE_IMAGE" /pause "$dest.tmp/bin/pause"
  rm -rf "$dest.tmp/bin"
  mv "$dest.tmp" "$dest"
}

# install_nats_tools: an image with static builds of nats-server and the nats CLI (the cached
# ./bin ones link libc, and the image has none), for the nats-server and client Pods.
install_nats_tools() {
  local dest=$cache_root/nats-tools-$NATS_SERVER_VERSION-$NATSCLI_VERSION
  [[ -f $dest/nats-tools ]] && return
  log "building static nats-server $NATS_SERVER_VERSION and nats $NATSCLI_VERSION for the nats-tools image"
  rm -rf "$dest.tmp"; mkdir -p "$dest.tmp/bin"
  local m
  for m in "github.com/nats-io/nats-server/v2@$NATS_SERVER_VERSION" "github.com/nats-io/natscli/nats@$NATSCLI_VERSION"; do
    CGO_ENABLED=0 GOFLAGS="$goflags" GOBIN="$dest.tmp/bin" go install -trimpath -ldflags "-s -w" "$m"
  done
  image_archive "$dest.tmp/nats-tools" "$NATS_TOOLS_IMAGE" /nats-server "$dest.tmp/bin/nats-server" "$dest.tmp/bin/nats"
  rm -rf "$dest.tmp/bin"
  mv "$dest.tmp" "$dest"
}

# install_prev_release: PREV_REV's image, built by that tree's own hack/build-image.sh from
# `git archive` (no checkout), with its manifests and the tag it was built with (the one its
# hack/version.sh printed: v0.1.0-dev-<commit>), cached by commit.
install_prev_release() {
  local commit=$1 dest=$cache_root/prev-release-${1:0:12}
  [[ -f $dest/prev-release/image.tar ]] && return
  local version=v0.1.0-dev-${commit:0:7} work=$dest.tmp
  log "building the previous release's image $version from $commit"
  rm -rf "$work"; mkdir -p "$work/src" "$work/prev-release"
  git -C "$root" archive "$commit" | tar -x -C "$work/src"
  # Outside a git checkout, so the commit's time is passed in for the image's timestamps.
  (cd "$work/src" && SOURCE_DATE_EPOCH=$(git -C "$root" log -1 --format=%ct "$commit") VERSION=$version \
    IMAGE_DIR="$work/image" hack/build-image.sh >/dev/null)
  mv "$work/image/nats-auth-operator-$version.tar" "$work/prev-release/image.tar"
  mv "$work/src/manifests" "$work/prev-release/manifests"
  echo "$version" >"$work/prev-release/version"
  echo "$commit" >"$work/prev-release/commit"
  rm -rf "$work/src" "$work/image"
  mv "$work" "$dest"
}

install_packages
with_lock kube-node install_node_bins
for n in "${node_bins[@]}"; do link_cached "$n" "$KUBE_VERSION"; done
with_lock pause install_pause
link_cached pause "${PAUSE_IMAGE##*:}-$PAUSE_BUILD"
with_lock nats-tools install_nats_tools
link_cached nats-tools "$NATS_SERVER_VERSION-$NATSCLI_VERSION"
prev_commit=$(git -C "$root" rev-parse --verify --quiet "$PREV_REV^{commit}") ||
  { log "PREV_REV=$PREV_REV is not a commit of this clone (a shallow clone lacks it: git fetch --unshallow)"; exit 1; }
with_lock prev-release install_prev_release "$prev_commit"
link_cached prev-release "${prev_commit:0:12}"
for f in kubelet kube-controller-manager kube-scheduler pause nats-tools prev-release; do
  [[ -e $bin_dir/$f ]] || { log "missing $bin_dir/$f"; exit 1; }
done
log "ready in $bin_dir: kubelet, kube-controller-manager, kube-scheduler $KUBE_VERSION, pause ($PAUSE_IMAGE) and nats-tools ($NATS_TOOLS_IMAGE) image archives, prev-release ($(cat "$bin_dir/prev-release/version"))"
