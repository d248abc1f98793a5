#!/usr/bin/env bash
# install-node-deps.sh installs what the single-node Kubernetes test bed (test/node) needs on top
# of install-test-deps.sh: containerd, runc, the CNI plugins, umoci, skopeo and iptables from
# Debian (only when missing), kubelet, kube-controller-manager and kube-scheduler built from the
# Go module proxy like kube-apiserver (cached per machine by version, linked into ./bin), and a
# local pause image (bin/pause, a docker-archive), since no registry is reachable. Idempotent: a re-run with
# everything present takes about a second. The first build takes ~25 minutes on two cores.
set -euo pipefail

KUBE_VERSION=${KUBE_VERSION:-v1.37.2}
# The sandbox image's name; test/node configures containerd's sandbox_image with the same one.
PAUSE_IMAGE=${PAUSE_IMAGE:-registry.k8s.io/pause:3.10.1}
# Bump when test/node/pause changes, so the cached image is rebuilt.
PAUSE_BUILD=1

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

# install_pause: a static sleep-until-SIGTERM program as the only file of an image, built like
# hack/build-image.sh's (umoci + skopeo), as a docker-archive for `ctr image import`.
install_pause() {
  local tag=${PAUSE_IMAGE##*:}
  local dest=$cache_root/pause-$tag-$PAUSE_BUILD
  [[ -f $dest/pause ]] && return
  log "building the pause image $PAUSE_IMAGE"
  local work=$dest.work
  rm -rf "$work" "$dest.tmp"; mkdir -p "$work" "$dest.tmp"
  (cd "$root" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$work/pause" ./test/node/pause)
  umoci init --layout "$work/oci"
  umoci new --image "$work/oci:$tag"
  umoci unpack --rootless --image "$work/oci:$tag" "$work/bundle"
  install -m 0755 "$work/pause" "$work/bundle/rootfs/pause"
  umoci repack --image "$work/oci:$tag" "$work/bundle"
  umoci config --image "$work/oci:$tag" --os linux --architecture amd64 \
    --config.user 65535:65535 --config.entrypoint /pause
  skopeo --insecure-policy copy --quiet "oci:$work/oci:$tag" "docker-archive:$dest.tmp/pause:$PAUSE_IMAGE"
  mv "$dest.tmp" "$dest"
  rm -rf "$work"
}

install_packages
with_lock kube-node install_node_bins
for n in "${node_bins[@]}"; do link_cached "$n" "$KUBE_VERSION"; done
with_lock pause install_pause
link_cached pause "${PAUSE_IMAGE##*:}-$PAUSE_BUILD"
for f in kubelet kube-controller-manager kube-scheduler pause; do
  [[ -e $bin_dir/$f ]] || { log "missing $bin_dir/$f"; exit 1; }
done
log "ready in $bin_dir: kubelet, kube-controller-manager, kube-scheduler $KUBE_VERSION, pause ($PAUSE_IMAGE image archive)"
