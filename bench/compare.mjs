#!/usr/bin/env node
// Run one workload alternately on two servers (A, B, A, B, ...) and report the per-round ratio
// A/B and the median ratio, for msgs/s and for messages per server CPU-second.
//   node bench/compare.mjs --workload cycle --a http://127.0.0.1:9324 --a-pid PID --a-name sluice \
//        --b http://127.0.0.1:9325 --b-pid PID --b-name elasticmq [--rounds 3] [--warm 10] [any driver option...]
// --warm S: one unmeasured run of S seconds on each side first (JIT warm-up), default 10; 0 to skip.
// Every other option is passed to bench/driver.mjs unchanged. Each run is its own driver process.
// Prints a human table on stderr and one JSON summary line on stdout.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const mine = {};
const pass = [];
const OWN = new Set(['a', 'b', 'a-pid', 'b-pid', 'a-name', 'b-name', 'rounds', 'pause', 'warm']);
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const k = a.startsWith('--') ? a.slice(2).split('=')[0] : null;
  const hasEq = a.includes('=');
  const val = hasEq ? a.slice(a.indexOf('=') + 1) : (i + 1 < args.length && !args[i + 1].startsWith('--') ? args[++i] : true);
  if (k && OWN.has(k)) mine[k] = val;
  else { pass.push(hasEq ? a.split('=')[0] : a); if (val !== true) pass.push(String(val)); }
}
if (!mine.a || !mine.b) {
  console.error('usage: node bench/compare.mjs --workload W --a URL [--a-pid PID] [--a-name N] --b URL [--b-pid PID] [--b-name N] [--rounds 3] [driver options]');
  process.exit(2);
}
const rounds = Number(mine.rounds || 3);
const pause = Number(mine.pause ?? 1);
const A = { name: mine['a-name'] || 'A', url: mine.a, pid: mine['a-pid'] };
const B = { name: mine['b-name'] || 'B', url: mine.b, pid: mine['b-pid'] };

function runDriver(side, extra = []) {
  const argv = [path.join(HERE, 'driver.mjs'), '--json', '--url', side.url, '--label', side.name, ...pass, ...extra];
  if (side.pid && side.pid !== true) argv.push('--pid', String(side.pid));
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.on('close', (code) => {
      const line = out.trim().split('\n').filter((l) => l.startsWith('{')).pop();
      if (code || !line) return reject(new Error(`driver for ${side.name} exited ${code}`));
      resolve(JSON.parse(line));
    });
  });
}
const median = (xs) => { const s = xs.filter((x) => x != null && Number.isFinite(x)).sort((a, b) => a - b); if (!s.length) return null; const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const ratio = (a, b) => (a != null && b ? a / b : null);
const fmt = (x, d = 2) => (x == null ? '-' : Number(x).toFixed(d));
const num = (x) => (x == null ? '-' : Math.round(x).toLocaleString('en-US'));
const metricOf = (r) => (r.workload === 'longpoll-idle' ? r.server_cpu_pct : r.msgs_per_s);

// Warm both servers first (a fresh JVM runs ElasticMQ several times slower until its JIT has compiled the hot paths).
const warm = Number(mine.warm ?? 10);
if (warm > 0 && !pass.includes('longpoll-idle')) {
  for (const side of [A, B]) {
    const r = await runDriver(side, ['--duration', String(warm), '--warmup', '0']);
    console.error(`warm-up ${side.name}: ${num(metricOf(r))} (${warm} s, not counted)`);
  }
}
const rows = [];
for (let i = 1; i <= rounds; i++) {
  const ra = await runDriver(A);
  await new Promise((r) => setTimeout(r, pause * 1000));
  const rb = await runDriver(B);
  await new Promise((r) => setTimeout(r, pause * 1000));
  const row = { round: i, a: ra, b: rb, ratio: ratio(metricOf(ra), metricOf(rb)), cpu_ratio: ratio(ra.msgs_per_server_cpu_s, rb.msgs_per_server_cpu_s) };
  rows.push(row);
  console.error(`round ${i}: ${A.name} ${num(metricOf(ra))} vs ${B.name} ${num(metricOf(rb))} ${ra.workload === 'longpoll-idle' ? '% CPU' : 'msg/s'} -> ratio ${fmt(row.ratio)}` +
    (row.cpu_ratio != null ? ` | msg/server-CPU-s ${num(ra.msgs_per_server_cpu_s)} vs ${num(rb.msgs_per_server_cpu_s)} -> ${fmt(row.cpu_ratio)}` : '') +
    ` | other CPU ${ra.other_cpu_pct ?? '-'}%/${rb.other_cpu_pct ?? '-'}% | errors ${ra.errors}/${rb.errors}`);
}
const summary = {
  workload: rows[0].a.workload, a: A.name, b: B.name, rounds, driver_args: pass,
  a_msgs_per_s: rows.map((r) => r.a.msgs_per_s), b_msgs_per_s: rows.map((r) => r.b.msgs_per_s),
  a_msgs_per_server_cpu_s: rows.map((r) => r.a.msgs_per_server_cpu_s), b_msgs_per_server_cpu_s: rows.map((r) => r.b.msgs_per_server_cpu_s),
  ratios: rows.map((r) => r.ratio), median_ratio: median(rows.map((r) => r.ratio)),
  cpu_ratios: rows.map((r) => r.cpu_ratio), median_cpu_ratio: median(rows.map((r) => r.cpu_ratio)),
  a_median: median(rows.map((r) => metricOf(r.a))), b_median: median(rows.map((r) => metricOf(r.b))),
  errors: { a: rows.reduce((s, r) => s + r.a.errors, 0), b: rows.reduce((s, r) => s + r.b.errors, 0) },
  runs: rows.map((r) => ({ a: r.a, b: r.b })),
};
console.error(`median ${A.name}/${B.name} ratio: ${fmt(summary.median_ratio)} (${num(summary.a_median)} vs ${num(summary.b_median)})` +
  (summary.median_cpu_ratio != null ? `; per server CPU-second: ${fmt(summary.median_cpu_ratio)}` : ''));
console.log(JSON.stringify(summary));
