#!/usr/bin/env bash
# verify-imports.sh keeps two promises checkable: the binaries link no controller-runtime, and the
# pure packages (natsjwt, resolver/natssys) import nothing from Kubernetes.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
fail=0
if bad=$(go list -deps ./cmd/... | grep -E '^sigs\.k8s\.io/controller-runtime|/test/testbed'); then
  echo "binaries must not link these packages:" >&2; echo "$bad" >&2; fail=1
fi
pure=(./natsjwt/...)
[[ -d resolver/natssys ]] && pure+=(./resolver/natssys/...)
if bad=$(go list -deps "${pure[@]}" | grep -E '^(k8s\.io|sigs\.k8s\.io)/'); then
  echo "pure packages must not import Kubernetes:" >&2; echo "$bad" >&2; fail=1
fi
[[ $fail == 0 ]] && echo "import guard ok"
exit $fail
