#!/usr/bin/env bash
# verify-gofmt.sh lists Go files that gofmt would change.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bad=$(gofmt -l $(git ls-files -co --exclude-standard '*.go') 2>/dev/null || true)
if [[ -n $bad ]]; then
  echo "gofmt needed:" >&2; echo "$bad" >&2; exit 1
fi
echo "gofmt ok"
