#!/usr/bin/env bash
# Run the `send` / `send-batch` workload with wrk (leaner than any Node client) and report
# msgs/s and messages per server CPU-second as one JSON line (plus wrk's own output on stderr).
#   bench/wrk/run.sh URL PID [connections=16] [duration_s=10] [body_bytes=100] [batch=1] [threads=1]
# Needs wrk (Debian: apt-get install wrk). Creates its own queue and deletes it afterwards.
set -euo pipefail
URL="${1:?url}"; PID="${2:?server pid (comma-separated for several)}"; CONNS="${3:-16}"; DUR="${4:-10}"
BODY="${5:-100}"; BATCH="${6:-1}"; THREADS="${7:-1}"
HERE="$(cd "$(dirname "$0")" && pwd)"
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }
sqs() { curl -sf -XPOST "$URL/" -H "X-Amz-Target: AmazonSQS.$1" -H 'Content-Type: application/x-amz-json-1.0' -d "$2"; }
Q="wrk-send-$$-$RANDOM"
QURL="$(sqs CreateQueue "{\"QueueName\":\"$Q\"}" | sed -E 's/.*"QueueUrl":"([^"]+)".*/\1/')"
[ -n "$QURL" ] || { echo "CreateQueue failed" >&2; exit 1; }
TCK="$(getconf CLK_TCK)"
cpu() { local t=0; for p in ${PID//,/ }; do t=$((t + $(awk '{ s=$0; sub(/^.*\) /, "", s); split(s, f, " "); print f[12] + f[13] }' /proc/$p/stat))); done; echo $t; }
# 1 s warm-up, then the measured run
wrk -t"$THREADS" -c"$CONNS" -d1s -s "$HERE/send.lua" "$URL/" -- "$QURL" "$BODY" "$BATCH" >/dev/null
C0="$(cpu)"; T0="$(date +%s.%N)"
OUT="$(wrk -t"$THREADS" -c"$CONNS" -d"${DUR}s" --latency -s "$HERE/send.lua" "$URL/" -- "$QURL" "$BODY" "$BATCH")"
C1="$(cpu)"; T1="$(date +%s.%N)"
echo "$OUT" >&2
sqs DeleteQueue "{\"QueueUrl\":\"$QURL\"}" >/dev/null || echo "DeleteQueue failed" >&2
python3 - "$C0" "$C1" "$T0" "$T1" "$TCK" "$BATCH" "$BODY" "$CONNS" "$URL" <<PY
import sys, re, json
c0, c1, t0, t1, tck, batch, body, conns, url = sys.argv[1:]
out = """$OUT"""
reqs = int(re.search(r'(\d+) requests in', out).group(1))
secs = float(re.search(r'requests in ([\d.]+)(m?s)', out).group(1))
if re.search(r'requests in [\d.]+ms', out): secs /= 1000
non2xx = re.search(r'Non-2xx or 3xx responses: (\d+)', out)
errs = int(non2xx.group(1)) if non2xx else 0
sockerr = re.search(r'Socket errors: (.*)', out)
def pct(p):
    m = re.search(r'\s%s%%\s+([\d.]+)(us|ms|s)' % p, out)
    if not m: return None
    v = float(m.group(1)); return v / 1000 if m.group(2) == 'us' else (v * 1000 if m.group(2) == 's' else v)
cpu = (int(c1) - int(c0)) / int(tck)
msgs = (reqs - errs) * int(batch)
r = dict(workload='send' if batch == '1' else 'send-batch', client='wrk', url=url, body_bytes=int(body), connections=int(conns),
         duration_s=secs, msgs=msgs, msgs_per_s=round(msgs / secs), req_per_s=round(reqs / secs),
         latency_ms=dict(p50=pct(50), p99=pct(99)), errors=errs, socket_errors=sockerr.group(1) if sockerr else None,
         server_cpu_s=cpu, server_cpu_pct=round(100 * cpu / float(secs)), msgs_per_server_cpu_s=round(msgs / cpu) if cpu else None)
print(json.dumps(r))
PY
