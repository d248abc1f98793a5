#!/usr/bin/env bash
# version.sh prints the version that the binaries report and that tags the image and the release:
# the git tag on a tagged commit, else the coming release's -dev version with the commit, so an
# image tag always says what it holds (and is never "latest").
set -euo pipefail
# The release in preparation; the manifests name it (test/release checks they agree).
next=v0.1.0
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if v=$(git describe --tags --match 'v[0-9]*' --dirty 2>/dev/null); then
  echo "$v"
elif c=$(git describe --always --dirty 2>/dev/null); then
  echo "$next-dev-$c"
else
  echo "$next-dev"
fi
