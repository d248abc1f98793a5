#!/usr/bin/env bash
# install-image-tools.sh installs umoci and skopeo, which `make image` uses to build the image
# without docker or a registry. Debian packages; does nothing when both are already installed.
set -euo pipefail
missing=()
for tool in umoci skopeo; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
[[ ${#missing[@]} == 0 ]] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "install ${missing[*]} with your package manager (or build the Dockerfile with docker)" >&2
  exit 1
fi
sudo=()
[[ $(id -u) == 0 ]] || sudo=(sudo)
echo "[install-image-tools] apt-get install ${missing[*]}" >&2
# A fresh machine may have no package lists yet.
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >/dev/null 2>&1 || {
  "${sudo[@]}" apt-get update >/dev/null
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >/dev/null
}
