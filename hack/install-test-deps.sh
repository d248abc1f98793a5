#!/usr/bin/env bash
# install-test-deps.sh puts etcd, kube-apiserver, nats-server and the nats CLI into ./bin.
#
# Everything is built from the Go module proxy at pinned versions (this machine has no docker and
# no release downloads). Builds are slow (kube-apiserver: ~10 min of CPU), so finished binaries are
# kept in a cache outside the clone, keyed by version, and only linked into ./bin. A fresh clone on
# the same machine therefore reuses them; a re-run with everything present takes well under a second.
set -euo pipefail

ETCD_VERSION=${ETCD_VERSION:-v3.6.16}
KUBE_VERSION=${KUBE_VERSION:-v1.37.2}
NATS_SERVER_VERSION=${NATS_SERVER_VERSION:-v2.15.2}
# The nats CLI runs the README's nats CLI walkthrough (TestWalkthroughNatsCLI). v0.5.1 requires
# nats-server v2.15.2 and nats.go v1.55.0, the versions above, so its build reuses the packages
# that nats-server's build put in the build cache (measured: 1.5-3 minutes on two busy cores).
NATSCLI_VERSION=${NATSCLI_VERSION:-v0.5.1}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin_dir=${BIN_DIR:-$root/bin}
cache_root=${NATS_AUTH_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nats-auth-operator/bin}
mkdir -p "$bin_dir" "$cache_root"

# -mod=mod on top of the user's GOFLAGS (replacing them would drop, say, -modcacherw).
goflags="$(go env GOFLAGS) -mod=mod"

log() { printf '[install-test-deps] %s\n' "$*" >&2; }
# shellcheck source=hack/lib/deps.sh
source "$root/hack/lib/deps.sh"

install_nats_server() {
  local dest="$cache_root/nats-server-$NATS_SERVER_VERSION"
  [[ -x $dest/nats-server ]] && return
  log "building nats-server $NATS_SERVER_VERSION (about a minute)"
  GOFLAGS="$goflags" GOBIN="$dest.tmp" go install "github.com/nats-io/nats-server/v2@$NATS_SERVER_VERSION"
  mv "$dest.tmp" "$dest"
}

install_natscli() {
  local dest="$cache_root/nats-$NATSCLI_VERSION"
  [[ -x $dest/nats ]] && return
  log "building the nats CLI $NATSCLI_VERSION (one to three minutes)"
  rm -rf "$dest.tmp"
  GOFLAGS="$goflags" GOBIN="$dest.tmp" go install -trimpath -ldflags "-s -w" "github.com/nats-io/natscli/nats@$NATSCLI_VERSION"
  mv "$dest.tmp" "$dest"
}

install_etcd() {
  local dest="$cache_root/etcd-$ETCD_VERSION"
  [[ -x $dest/etcd ]] && return
  log "building etcd $ETCD_VERSION (about two minutes)"
  # etcd's go.mod has replace directives, so `go install pkg@version` refuses it; a wrapper module
  # that requires it builds fine.
  local work; work=$(mktemp -d)
  (
    cd "$work"
    go mod init etcdwrapper >/dev/null 2>&1
    go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >/dev/null
    mkdir -p "$dest.tmp"
    go build -trimpath -ldflags "-s -w" -o "$dest.tmp/etcd" go.etcd.io/etcd/server/v3
  )
  mv "$dest.tmp" "$dest"
  rm -rf "$work"
}

install_kube_apiserver() {
  local dest="$cache_root/kube-apiserver-$KUBE_VERSION"
  [[ -x $dest/kube-apiserver ]] && return
  log "building kube-apiserver $KUBE_VERSION (about ten minutes, once per machine)"
  rm -rf "$dest.tmp"
  kube_build "$dest.tmp" kube-apiserver
  mv "$dest.tmp" "$dest"
}

with_lock nats-server install_nats_server
link_cached nats-server "$NATS_SERVER_VERSION"
with_lock nats install_natscli
link_cached nats "$NATSCLI_VERSION"
with_lock etcd install_etcd
link_cached etcd "$ETCD_VERSION"
with_lock kube-apiserver install_kube_apiserver
link_cached kube-apiserver "$KUBE_VERSION"

# kubectl: the image's /usr/bin/kubectl works against the apiserver; link it for one PATH.
if [[ ! -e $bin_dir/kubectl ]] && command -v kubectl >/dev/null; then
  ln -sfn "$(command -v kubectl)" "$bin_dir/kubectl"
fi

for b in etcd kube-apiserver nats-server nats; do
  [[ -x $bin_dir/$b ]] || { log "missing $bin_dir/$b"; exit 1; }
done
log "ready in $bin_dir: etcd $ETCD_VERSION, kube-apiserver $KUBE_VERSION, nats-server $NATS_SERVER_VERSION, nats $NATSCLI_VERSION"
