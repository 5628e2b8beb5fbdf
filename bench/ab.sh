#!/usr/bin/env bash
# Two builds of Sluice side by side on one workload (A, B, A, B, ...): each started fresh on an
# empty data directory, then bench/compare.mjs alternates them and prints the ratio per round and
# the median. Use it to judge a change against the commit before it on this noisy machine.
#   bench/ab.sh A_CHECKOUT B_CHECKOUT DURABILITY WORKLOAD ROUNDS [driver options...]
# A_CHECKOUT / B_CHECKOUT: working trees with `npm run build` done (dist/ and the .node addon), e.g.
#   git worktree add ../base HEAD~1 && (cd ../base && ln -s "$PWD/../main/node_modules" . && npm run build)
# Ports 9401 (A) and 9402 (B); data directories are temporary and removed afterwards.
set -euo pipefail
[ $# -ge 5 ] || { sed -n 2,9p "$0" >&2; exit 2; }
A=$(cd "$1" && pwd); B=$(cd "$2" && pwd); dur=$3; workload=$4; rounds=$5; shift 5
HERE=$(cd "$(dirname "$0")" && pwd)
da=$(mktemp -d); db=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; rm -rf "$da" "$db"; }
trap cleanup EXIT
(cd "$A" && exec node dist/src/main.js --port 9401 --data-dir "$da" --durability "$dur" --log-level warn) &
pids+=($!)
(cd "$B" && exec node dist/src/main.js --port 9402 --data-dir "$db" --durability "$dur" --log-level warn) &
pids+=($!)
for port in 9401 9402; do
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.1; done
done
node "$HERE/compare.mjs" --workload "$workload" \
  --a http://127.0.0.1:9401 --a-pid "${pids[0]}" --a-name "$(basename "$A")" \
  --b http://127.0.0.1:9402 --b-pid "${pids[1]}" --b-name "$(basename "$B")" \
  --rounds "$rounds" "$@" 2>&1 >/dev/null | grep -E 'round|median|warm'
