#!/usr/bin/env bash
# deps.sh: what install-test-deps.sh (kube-apiserver) and install-node-deps.sh (kubelet,
# kube-controller-manager, kube-scheduler) share: the per-machine binary cache and the build of
# Kubernetes components (k8s.io/kubernetes/cmd/<name>) from the Go module proxy, one wrapper
# module shape and so one build cache. Needs cache_root, bin_dir, KUBE_VERSION and goflags.

# link_cached NAME VERSION: link a cached binary into ./bin, replacing an older link.
link_cached() {
  ln -sfn "$cache_root/$1-$2/$1" "$bin_dir/$1"
}

# with_lock NAME CMD...: serialise builds of one binary across concurrent runs (CI and a developer).
with_lock() {
  local name=$1; shift
  exec {fd}>"$cache_root/.$name.lock"
  flock "$fd"
  "$@"
  flock -u "$fd"
}

# kube_build OUT_DIR NAME...: build every k8s.io/kubernetes/cmd/NAME into OUT_DIR/NAME, in one
# go build so the shared packages compile once and the link steps run in parallel.
kube_build() {
  local out=$1; shift
  # Next to OUT_DIR, not in /tmp: a failed build (set -e exits) leaves it where the next run removes it.
  local work=$out.work
  rm -rf "$work"; mkdir -p "$work"
  (
    cd "$work"
    kube_wrapper_module "$@"
    local ver=$KUBE_VERSION major minor pkgs=() n
    major=${ver#v}; major=${major%%.*}
    minor=${ver#v*.}; minor=${minor%%.*}
    for n in "$@"; do pkgs+=("k8s.io/kubernetes/cmd/$n"); done
    local pkg=k8s.io/component-base/version
    mkdir -p "$out"
    # Without the version stamp the binaries report v0.0.0-master; clients check it.
    GOFLAGS="$goflags" go build -trimpath -o "$out/" -ldflags "-s -w \
      -X $pkg.gitVersion=$ver -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor \
      -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z" \
      "${pkgs[@]}"
  )
  rm -rf "$work"
}

# kube_wrapper_module NAME...: write go.mod and main.go of a module requiring k8s.io/kubernetes
# KUBE_VERSION in the current directory.
kube_wrapper_module() {
  local staging="v0.${KUBE_VERSION#v1.}" gomod n
  go mod init kubewrapper >/dev/null 2>&1
  # k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with local paths;
  # pin every one of them to the matching published version instead.
  gomod=$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')
  {
    echo "require k8s.io/kubernetes $KUBE_VERSION"
    grep -E '^\s+k8s\.io/[^ ]+ v0\.0\.0$' "$gomod" | awk -v v="$staging" '{print "replace " $1 " => " $1 " " v}'
  } >>go.mod
  {
    echo "package main"; echo; echo "import ("
    for n in "$@"; do echo "	_ \"k8s.io/kubernetes/cmd/$n/app\""; done
    echo ")"; echo; echo "func main() {}"
  } >main.go
  GOFLAGS="$goflags" go mod tidy >/dev/null 2>&1 || true
}
