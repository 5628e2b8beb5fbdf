#!/usr/bin/env node
// `npm run bench`: start a Sluice server, run a short benchmark (send, send-batch, cycle), print a table.
//   node bench/run.mjs --short                 (< 2 min; the default)
//   node bench/run.mjs --full                  (all workloads incl. FIFO, bodies 1 KiB / 64 KiB, parked long polls)
//   node bench/run.mjs --url http://127.0.0.1:9324 --pid PID   (use a server that is already running)
//   node bench/run.mjs --peer elasticmq        (also start ElasticMQ on 9325 / fauxqs on 9326 and run the same workloads on it)
//   node bench/run.mjs --full --reps 3 --url http://127.0.0.1:9325 --pid PID --name elasticmq   (medians of 3, any server)
//   --workloads send,cycle   only these rows of the plan;  --durability fsync|relaxed|memory  appended to the Sluice command
// The server is started with $SLUICE_CMD (default `node dist/src/main.js --port {port} --data-dir {dataDir}`,
// run from the repository root; {port} and {dataDir} are substituted). JSON lines of every run go to
// $BENCH_OUT (default /tmp/sluice-bench-<time>.jsonl). --driver-args "..." appends options to every driver run.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, appendFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from './lib/args.mjs';
import { descendants } from './lib/procs.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(HERE);
const o = parseArgs(process.argv.slice(2));
const full = !!o.full;
const port = Number(o.port || 9390);
const out = process.env.BENCH_OUT || path.join(os.tmpdir(), `sluice-bench-${Date.now()}.jsonl`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function answers(url) {
  try {
    const r = await fetch(url + '/', { method: 'POST', headers: { 'X-Amz-Target': 'AmazonSQS.ListQueues', 'Content-Type': 'application/x-amz-json-1.0' }, body: '{}', signal: AbortSignal.timeout(2000) });
    await r.text();
    return r.status === 200;
  } catch { return false; }
}

async function startSluice() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-data-'));
  const tpl = process.env.SLUICE_CMD || 'node dist/src/main.js --port {port} --data-dir {dataDir}';
  const argv = tpl.replaceAll('{port}', String(port)).replaceAll('{dataDir}', dataDir).split(/\s+/).filter(Boolean);
  if (o.durability && o.durability !== true) argv.push('--durability', String(o.durability));
  if (!process.env.SLUICE_CMD && !existsSync(path.join(ROOT, 'dist/src/main.js'))) {
    throw new Error('dist/src/main.js not found: run `npm run build` first (or set SLUICE_CMD, or pass --url/--pid)');
  }
  const cmd = argv[0] === 'node' ? process.execPath : argv[0];
  const child = spawn(cmd, argv.slice(1), { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  let exited = null;
  child.on('exit', (c, s) => { exited = c ?? s; });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 120; i++) {
    if (exited !== null) throw new Error(`sluice exited (${exited}) before answering:\n${stderr}`);
    if (await answers(url)) break;
    if (i === 119) { child.kill(); throw new Error('sluice did not answer within 30 s'); }
    await sleep(250);
  }
  return { url, child, dataDir, stop: async () => { child.kill('SIGTERM'); for (let i = 0; i < 50 && exited === null; i++) await sleep(100); if (exited === null) child.kill('SIGKILL'); rmSync(dataDir, { recursive: true, force: true }); } };
}

function startPeer(name) {
  const script = path.join(HERE, 'peers', `${name}.sh`);
  const peerPort = name === 'elasticmq' ? 9325 : 9326;
  const pid = execFileSync(script, ['start', String(peerPort)], { stdio: ['ignore', 'pipe', 'inherit'] }).toString().trim().split('\n').pop();
  return { url: `http://127.0.0.1:${peerPort}`, pid, stop: () => execFileSync(script, ['stop', String(peerPort)], { stdio: 'inherit' }) };
}

function runDriver(args) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [path.join(HERE, 'driver.mjs'), '--json', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let s = '';
    p.stdout.on('data', (d) => { s += d; });
    p.on('close', (code) => {
      const line = s.trim().split('\n').filter((l) => l.startsWith('{')).pop();
      if (code || !line) return reject(new Error(`driver ${args.join(' ')} exited ${code}`));
      appendFileSync(out, line + '\n');
      resolve(JSON.parse(line));
    });
  });
}

const SHORT = [
  ['send', ['--workload', 'send', '--duration', '8', '--warmup', '2']],
  ['send-batch', ['--workload', 'send-batch', '--duration', '8', '--warmup', '2']],
  ['cycle', ['--workload', 'cycle', '--duration', '10', '--warmup', '2']],
];
const D = ['--duration', '10', '--warmup', '2'];
const FULL = [
  ['send', ['--workload', 'send', ...D]],
  ['send-batch', ['--workload', 'send-batch', ...D]],
  ['cycle', ['--workload', 'cycle', ...D]],
  ['cycle 1KiB', ['--workload', 'cycle', '--body', '1k', ...D]],
  ['cycle 64KiB', ['--workload', 'cycle', '--body', '64k', ...D]],
  ['fifo-cycle', ['--workload', 'fifo-cycle', ...D]],
  ['fifo-cycle 1 group', ['--workload', 'fifo-cycle', '--groups', '1', '--producers', '1', ...D]],
  ['fifo-unbatched', ['--workload', 'fifo-unbatched', ...D]],
  ['longpoll-idle', ['--workload', 'longpoll-idle', '--polls', '10000']],
];

const median = (xs) => { const v = xs.filter((x) => x != null && Number.isFinite(x)).sort((a, b) => a - b); if (!v.length) return null; const m = v.length >> 1; return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2; };
// Median of each figure over repeated runs (each figure on its own).
function medianRun(rs) {
  if (rs.length === 1) return rs[0];
  const pick = (f) => median(rs.map(f));
  const r = { ...rs[0] };
  for (const k of ['msgs_per_s', 'msgs_per_server_cpu_s', 'server_cpu_pct', 'client_cpu_pct', 'other_cpu_pct', 'server_rss_mib', 'parked']) r[k] = pick((x) => x[k]);
  r.errors = rs.reduce((a, x) => a + x.errors, 0);
  if (r.latency_ms) { r.latency_ms = { ...r.latency_ms }; if (r.latency_ms.send) r.latency_ms.send = { p50: pick((x) => x.latency_ms.send?.p50), p99: pick((x) => x.latency_ms.send?.p99) }; }
  if (r.e2e_ms && r.e2e_ms.n) r.e2e_ms = { n: 1, p50: pick((x) => x.e2e_ms?.p50), p99: pick((x) => x.e2e_ms?.p99), max: pick((x) => x.e2e_ms?.max) };
  r.all_msgs_per_s = rs.map((x) => (x.workload === 'longpoll-idle' ? x.server_cpu_pct : x.msgs_per_s));
  return r;
}

const fmt = (x) => (x == null ? '-' : typeof x === 'number' ? Math.round(x).toLocaleString('en-US') : String(x));
function row(name, r, all) {
  const runs = all ? all.map(fmt).join(' / ') : '';
  if (r.workload === 'longpoll-idle') return [name, `${fmt(r.parked)} parked`, '-', `${r.server_cpu_pct}% / ${r.client_cpu_pct}% / ${fmt(r.other_cpu_pct)}%`, '-', '-', fmt(r.server_rss_mib), fmt(r.errors), runs];
  const l = r.latency_ms.send || {};
  return [name, fmt(r.msgs_per_s), fmt(r.msgs_per_server_cpu_s), `${fmt(r.server_cpu_pct)}% / ${fmt(r.client_cpu_pct)}% / ${fmt(r.other_cpu_pct)}%`,
    l.p50 != null ? `${l.p50} / ${l.p99}` : '-', r.e2e_ms && r.e2e_ms.n ? `${r.e2e_ms.p50} / ${r.e2e_ms.p99} / ${r.e2e_ms.max}` : '-',
    fmt(r.server_rss_mib), fmt(r.errors), runs];
}
function table(rows) {
  const head = ['server/workload', 'msg/s', 'msg per server CPU-s', 'CPU server/client/other', 'send p50/p99 ms', 'e2e p50/p99/max ms', 'RSS MiB', 'errors', 'runs (msg/s or % CPU)'];
  const all = [head, ...rows];
  const w = head.map((_, i) => Math.max(...all.map((r) => String(r[i]).length)));
  return all.map((r, j) => r.map((c, i) => (i ? String(c).padStart(w[i]) : String(c).padEnd(w[i]))).join('  ') + (j === 0 ? '\n' + w.map((n) => '-'.repeat(n)).join('  ') : '')).join('\n');
}

async function main() {
  const plan = full ? FULL : SHORT;
  const targets = [];
  const cleanups = [];
  try {
    if (o.url) targets.push({ name: o.name && o.name !== true ? String(o.name) : 'sluice', url: o.url, pid: o.pid && o.pid !== true ? String(o.pid) : null });
    else {
      const s = await startSluice();
      cleanups.push(s.stop);
      targets.push({ name: 'sluice', url: s.url, pid: null, rootPid: s.child.pid });
    }
    if (o.peer) for (const p of String(o.peer).split(',')) { const x = startPeer(p); cleanups.push(x.stop); targets.push({ name: p, url: x.url, pid: x.pid }); }
    const rows = [];
    let errors = 0;
    const reps = Number(o.reps || 1);
    const only = o.workloads && o.workloads !== true ? new Set(String(o.workloads).split(',')) : null;
    for (const [name, args] of plan) {
      if (only && !only.has(name)) continue;
      for (const t of targets) {
        const rs = [];
        for (let i = 0; i < reps; i++) {
          const pid = t.rootPid ? descendants(t.rootPid).join(',') : t.pid;
          const extra = o['driver-args'] && o['driver-args'] !== true ? String(o['driver-args']).split(/\s+/).filter(Boolean) : [];
          const r = await runDriver(['--url', t.url, '--label', t.name, ...(pid ? ['--pid', pid] : []), ...args, ...extra]);
          errors += r.errors;
          rs.push(r);
          console.error(`  ${t.name} ${name}: ${fmt(r.msgs_per_s ?? r.server_cpu_pct)} ${r.workload === 'longpoll-idle' ? '% CPU' : 'msg/s'}, errors ${r.errors}`);
        }
        const m = medianRun(rs);
        rows.push(row(`${t.name} ${name}`, m, reps > 1 ? m.all_msgs_per_s : null));
      }
    }
    console.log(`\nSluice benchmark (${full ? 'full' : 'short'}${reps > 1 ? `, median of ${reps}` : ''}), ${new Date().toISOString()}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
    console.log(table(rows));
    console.log(`\nJSON lines: ${out}`);
    if (errors) { console.log(`\n${errors} request errors: see errors_by_kind in the JSON lines`); process.exitCode = 1; }
  } finally {
    for (const c of cleanups.reverse()) { try { await c(); } catch (e) { console.error('cleanup: ' + e.message); } }
  }
}
main().catch((e) => { console.error(`bench: ${e.message}`); process.exitCode = 1; });
