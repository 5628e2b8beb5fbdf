#!/usr/bin/env node
// Sluice benchmark driver: a lean SQS JSON-protocol load generator on node:net (no dependencies).
// Usage: node bench/driver.mjs --workload send|send-batch|cycle|fifo-cycle|fifo-unbatched|longpoll-idle
//          [--url http://127.0.0.1:9324] [--pid SERVER_PID[,PID...]] [--duration 10] [--warmup 2] [--count N]
//          [--connections 16] [--producers P] [--consumers C] [--body 100|1k|64k] [--batch 10] [--max 10]
//          [--wait 1] [--groups 100] [--backlog 1000] [--rate MSGS_PER_S] [--workers 1]
//          [--polls 10000] [--idle 10] [--label NAME] [--json] [--keep-queue] [--no-preflight]
// Prints one JSON line per run on stdout and a human-readable line on stderr.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { createHash, randomBytes } from 'node:crypto';
import os from 'node:os';
import { Conn, parseTarget, requestBytes } from './lib/http.mjs';
import { Hist } from './lib/hist.mjs';
import { runLoad, runParked } from './lib/load.mjs';
import { sumCpu, rssMiB, parsePids, machineBusySeconds } from './lib/proc.mjs';
import { parseArgs } from './lib/args.mjs';

function parseSize(v) {
  const m = /^(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib)?$/i.exec(String(v));
  if (!m) throw new Error(`bad size ${v}`);
  const mult = { b: 1, k: 1024, kb: 1024, kib: 1024, m: 1048576, mb: 1048576, mib: 1048576 }[(m[2] || 'b').toLowerCase()];
  return Math.round(Number(m[1]) * mult);
}

const DEFAULTS = {
  send:             { connections: 16, producers: null, consumers: 0, batch: 1, cycle: false, fifo: false },
  'send-batch':     { connections: 16, producers: null, consumers: 0, batch: 10, cycle: false, fifo: false },
  cycle:            { producers: 4, consumers: 8, batch: 10, max: 10, cycle: true, fifo: false, groups: 0, backlog: 1000 },
  'fifo-cycle':     { producers: 4, consumers: 8, batch: 10, max: 10, cycle: true, fifo: true, groups: 100, backlog: 1000 },
  'fifo-unbatched': { producers: 1, consumers: 2, batch: 1, max: 1, cycle: true, fifo: true, groups: 1, backlog: 20 },
  'longpoll-idle':  {},
};

class Client {
  constructor(url) { this.target = parseTarget(url); this.conn = new Conn(this.target); }
  async call(action, body) {
    if (!this.conn.connected) await this.conn.connect();
    const bytes = requestBytes(this.target, action, JSON.stringify(body));
    const { status, buf } = await new Promise((r) => this.conn.send(bytes, (status, buf) => r({ status, buf })));
    let j = null;
    try { j = buf.length ? JSON.parse(buf.toString()) : {}; } catch { /* below */ }
    if (status !== 200) throw new Error(`${action} -> HTTP ${status}: ${buf.toString().slice(0, 300)}`);
    if (j === null) throw new Error(`${action} -> unparsable JSON: ${buf.toString().slice(0, 300)}`);
    return j;
  }
  close() { this.conn.destroy(); }
}

// One message through send / receive / delete, checking MD5 and body round trip, before the load.
async function preflight(cli, queueUrl, fifo) {
  const body = `preflight ✓ ${Date.now()} "quoted" \\ back`;
  const md5 = createHash('md5').update(body, 'utf8').digest('hex');
  const send = { QueueUrl: queueUrl, MessageBody: body };
  if (fifo) { send.MessageGroupId = 'preflight'; send.MessageDeduplicationId = 'preflight-' + Date.now(); }
  const s = await cli.call('SendMessage', send);
  if (!s.MessageId) throw new Error('preflight: SendMessage returned no MessageId: ' + JSON.stringify(s));
  if (s.MD5OfMessageBody !== md5) throw new Error(`preflight: MD5OfMessageBody ${s.MD5OfMessageBody} != ${md5}`);
  const r = await cli.call('ReceiveMessage', { QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 5 });
  const m = (r.Messages || [])[0];
  if (!m) throw new Error('preflight: ReceiveMessage returned no message: ' + JSON.stringify(r));
  if (m.Body !== body) throw new Error(`preflight: body mismatch: ${JSON.stringify(m.Body)}`);
  if (m.MD5OfBody !== md5) throw new Error(`preflight: MD5OfBody ${m.MD5OfBody} != ${md5}`);
  if (m.MessageId !== s.MessageId) throw new Error('preflight: MessageId mismatch');
  await cli.call('DeleteMessage', { QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle });
  const again = await cli.call('ReceiveMessage', { QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 });
  if ((again.Messages || []).length) throw new Error('preflight: message still delivered after DeleteMessage');
}

function clientCpu() { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; }
const r3 = (x) => (x == null || !Number.isFinite(x) ? null : Math.round(x * 1000) / 1000);
const r0 = (x) => (x == null || !Number.isFinite(x) ? null : Math.round(x));

export async function runOnce(o) {
  const workload = o.workload || 'send';
  if (!(workload in DEFAULTS)) throw new Error(`unknown workload ${workload}; one of ${Object.keys(DEFAULTS).join(', ')}`);
  const d = DEFAULTS[workload];
  const url = o.url || 'http://127.0.0.1:9324';
  const pids = parsePids(o.pid);
  const bodySize = parseSize(o.body ?? 100);
  const runId = randomBytes(4).toString('hex');
  const fifo = !!d.fifo;
  const queueName = `${o['queue-prefix'] || 'bench'}-${workload}-${runId}${fifo ? '.fifo' : ''}`;
  const cli = new Client(url);
  const attrs = fifo ? { FifoQueue: 'true' } : {};
  if (o['queue-attrs']) Object.assign(attrs, JSON.parse(o['queue-attrs']));
  const cq = await cli.call('CreateQueue', { QueueName: queueName, Attributes: attrs });
  const queueUrl = cq.QueueUrl;
  if (!queueUrl) throw new Error('CreateQueue returned no QueueUrl: ' + JSON.stringify(cq));
  const base = { workload, label: o.label || null, url, queue: queueName, body_bytes: bodySize, date: new Date().toISOString(),
    host: { cores: os.cpus().length, mem_gib: Math.round(os.totalmem() / 2 ** 30), node: process.version } };
  let out;
  try {
    if (!o['no-preflight'] && workload !== 'longpoll-idle') await preflight(cli, queueUrl, fifo);
    if (workload === 'longpoll-idle') out = await runIdle(o, base, url, queueUrl, pids);
    else out = await runWorkload(o, d, base, url, queueUrl, pids, bodySize, runId, fifo);
  } finally {
    if (!o['keep-queue']) { try { await cli.call('DeleteQueue', { QueueUrl: queueUrl }); } catch (e) { console.error('DeleteQueue failed: ' + e.message); } }
    cli.close();
  }
  return out;
}

async function runWorkload(o, d, base, url, queueUrl, pids, bodySize, runId, fifo) {
  const workers = Number(o.workers || 1);
  const countMode = o.count != null;
  const count = countMode ? Number(o.count) : 0;
  const duration = Number(o.duration ?? (countMode ? 300 : 10)); // in count mode: the time limit
  const warmup = countMode ? 0 : Number(o.warmup ?? 2);
  const producers = Number(o.producers ?? o.connections ?? d.producers ?? d.connections);
  const consumers = Number(o.consumers ?? d.consumers ?? 0);
  const batch = Number(o.batch ?? d.batch);
  if (batch < 1 || batch > 10) throw new Error('--batch must be 1..10');
  const max = Number(o.max ?? d.max ?? 10);
  const wait = Number(o.wait ?? 1);
  const groups = Number(o.groups ?? d.groups ?? 0);
  if (fifo && groups > 999) throw new Error('--groups at most 999');
  const backlog = Number(o.backlog ?? d.backlog ?? 1000);
  const rate = o.rate ? Number(o.rate) : 0;
  const visibility = o.visibility != null ? Number(o.visibility) : null;
  const now = Date.now();
  const startAt = now + 100 + (workers > 1 ? 400 : 0);
  const measureAt = startAt + warmup * 1000;
  const endAt = measureAt + duration * 1000;
  const share = (i) => Math.floor(count / workers) + (i < count % workers ? 1 : 0);
  const cfgs = [];
  for (let i = 0; i < workers; i++) {
    cfgs.push({ url, queueUrl, runId, fifo, cycle: d.cycle, producers, consumers, batch, max, wait, groups, backlog,
      rate: rate ? rate : 0, visibility, bodySize, countMode, countShare: share(i), workerIndex: i, workerCount: workers,
      startAt, measureAt, endAt });
  }
  // CPU samples at the start and the end of the measured window
  let cpu0 = null, cli0 = null, t0 = null, cpu1 = null, cli1 = null, t1 = null, mach0 = null, mach1 = null;
  const sample = () => [pids.length ? sumCpu(pids) : null, clientCpu(), performance.now(), machineBusySeconds()];
  const timers = [];
  if (!countMode) {
    timers.push(setTimeout(() => { [cpu0, cli0, t0, mach0] = sample(); }, measureAt - Date.now()));
    timers.push(setTimeout(() => { [cpu1, cli1, t1, mach1] = sample(); }, endAt - Date.now()));
  } else { await new Promise((r) => setTimeout(r, startAt - Date.now())); [cpu0, cli0, t0, mach0] = sample(); }

  let results;
  if (workers === 1) results = [await runLoad(cfgs[0])];
  else {
    results = await Promise.all(cfgs.map((c) => new Promise((resolve, reject) => {
      const w = new Worker(new URL(import.meta.url), { workerData: c });
      w.once('message', resolve); w.once('error', reject);
      w.once('exit', (code) => { if (code) reject(new Error('worker exited ' + code)); });
    })));
  }
  if (countMode || t1 == null) { [cpu1, cli1, t1, mach1] = sample(); }
  for (const t of timers) clearTimeout(t);
  const wall = countMode ? (t1 - t0) / 1000 : duration;

  // merge
  const hist = { send: new Hist(), receive: new Hist(), delete: new Hist() };
  const e2e = new Hist();
  const agg = { sent: 0, delivered: 0, deleted: 0, emptyReceives: 0, duplicates: 0, orderViolations: 0, requests: { send: 0, receive: 0, delete: 0 }, errors: {} };
  for (const r of results) {
    for (const k of ['send', 'receive', 'delete']) { hist[k].merge(Hist.fromTransfer(r.hist[k])); agg.requests[k] += r.requests[k]; }
    e2e.merge(Hist.fromTransfer(r.e2e));
    for (const k of ['sent', 'delivered', 'deleted', 'emptyReceives', 'duplicates', 'orderViolations']) agg[k] += r[k];
    for (const [k, v] of Object.entries(r.errors)) agg.errors[k] = (agg.errors[k] || 0) + v;
  }
  const msgs = d.cycle ? agg.delivered : agg.sent;
  const requests = agg.requests.send + agg.requests.receive + agg.requests.delete;
  const serverCpu = cpu0 != null && cpu1 != null ? cpu1 - cpu0 : null;
  const clientCpuS = cli1 - cli0;
  const errorCount = Object.values(agg.errors).reduce((a, b) => a + b, 0);
  const lat = {};
  for (const k of ['send', 'receive', 'delete']) if (hist[k].n) lat[k] = hist[k].summary();
  return {
    ...base,
    params: { duration_s: wall, warmup_s: warmup, count: countMode ? count : null, producers: producers * workers, consumers: consumers * workers,
      batch, max: d.cycle ? max : null, wait: d.cycle ? wait : null, groups: fifo ? groups : null, backlog: d.cycle ? backlog : null,
      rate: rate || null, workers },
    msgs, msgs_per_s: r0(msgs / wall),
    sent: agg.sent, delivered: d.cycle ? agg.delivered : null, deleted: d.cycle ? agg.deleted : null,
    requests, req_per_s: r0(requests / wall), requests_by_op: agg.requests, empty_receives: d.cycle ? agg.emptyReceives : null,
    latency_ms: lat, e2e_ms: d.cycle ? e2e.summary() : null,
    errors: errorCount, errors_by_kind: agg.errors,
    fifo_duplicates: fifo && workers === 1 ? agg.duplicates : null, fifo_order_violations: fifo && workers === 1 ? agg.orderViolations : null,
    server_pids: pids, server_cpu_s: r3(serverCpu), server_cpu_pct: serverCpu != null ? r0(100 * serverCpu / wall) : null,
    msgs_per_server_cpu_s: serverCpu ? r0(msgs / serverCpu) : null,
    server_rss_mib: pids.length ? pids.map(rssMiB).reduce((a, b) => a + (b || 0), 0) : null,
    client_cpu_s: r3(clientCpuS), client_cpu_pct: r0(100 * clientCpuS / wall),
    // everything else the machine did meanwhile (other processes, kernel work not charged to either): noise indicator
    machine_cpu_pct: r0(100 * (mach1 - mach0) / wall),
    other_cpu_pct: serverCpu != null ? r0(100 * ((mach1 - mach0) - serverCpu - clientCpuS) / wall) : null,
  };
}

async function runIdle(o, base, url, queueUrl, pids) {
  const polls = Number(o.polls ?? 10000);
  if (polls > 15000) throw new Error('--polls is bounded at 15000 (file descriptors: ulimit -n)');
  const idle = Number(o.idle ?? 10);
  const wait = Number(o.wait ?? 20);
  const settle = Number(o.settle ?? 1);
  let m = {};
  const res = await runParked({ url, queueUrl, polls, wait }, async () => {
    await new Promise((r) => setTimeout(r, settle * 1000));
    const c0 = pids.length ? sumCpu(pids) : null, k0 = clientCpu(), t0 = performance.now(), m0 = machineBusySeconds();
    await new Promise((r) => setTimeout(r, idle * 1000));
    const c1 = pids.length ? sumCpu(pids) : null, k1 = clientCpu(), t1 = performance.now(), m1 = machineBusySeconds();
    const wall = (t1 - t0) / 1000;
    m = { idle_s: r3(wall), server_cpu_s: c0 != null ? r3(c1 - c0) : null, server_cpu_pct: c0 != null ? Math.round(1000 * (c1 - c0) / wall) / 10 : null,
      client_cpu_s: r3(k1 - k0), client_cpu_pct: Math.round(1000 * (k1 - k0) / wall) / 10,
      machine_cpu_pct: Math.round(1000 * (m1 - m0) / wall) / 10,
      other_cpu_pct: c0 != null ? Math.round(1000 * ((m1 - m0) - (c1 - c0) - (k1 - k0)) / wall) / 10 : null,
      server_rss_mib: pids.length ? pids.map(rssMiB).reduce((a, b) => a + (b || 0), 0) : null };
    return {};
  });
  const errorCount = Object.values(res.errors).reduce((a, b) => a + b, 0);
  return { ...base, params: { polls, wait, idle_s: idle, settle_s: settle }, parked: res.parked, connect_s: r3(res.connectSeconds),
    returned_during_run: res.returned, returned_early: res.early, messages: res.messages,
    errors: errorCount + (polls - res.parked), errors_by_kind: res.errors, server_pids: pids, ...m };
}

export function human(r) {
  const f = (x) => (x == null ? '-' : x.toLocaleString('en-US'));
  const tag = `${r.label ? r.label + ' ' : ''}${r.workload} ${r.body_bytes}B`;
  if (r.workload === 'longpoll-idle') {
    return `${tag}: ${f(r.parked)} parked (connect ${r.connect_s}s), server CPU ${f(r.server_cpu_pct)}% of a core over ${r.idle_s}s, ` +
      `RSS ${f(r.server_rss_mib)} MiB, client CPU ${r.client_cpu_pct}%, returned ${r.returned_during_run} (early ${r.returned_early}), errors ${r.errors}`;
  }
  const l = r.latency_ms;
  const lat = Object.entries(l).map(([k, v]) => `${k} p50 ${v.p50} p99 ${v.p99}`).join(', ');
  const e2e = r.e2e_ms && r.e2e_ms.n ? `, e2e p50 ${r.e2e_ms.p50} p99 ${r.e2e_ms.p99} max ${r.e2e_ms.max} ms` : '';
  return `${tag}: ${f(r.msgs_per_s)} msg/s (${f(r.req_per_s)} req/s) | ${f(r.msgs_per_server_cpu_s)} msg/server-CPU-s, server CPU ${f(r.server_cpu_pct)}%, ` +
    `client CPU ${f(r.client_cpu_pct)}%, other ${f(r.other_cpu_pct)}% | ${lat} ms${e2e} | errors ${r.errors}${r.errors ? ' ' + JSON.stringify(r.errors_by_kind) : ''}` +
    (r.fifo_order_violations != null ? ` | fifo order violations ${r.fifo_order_violations}, dups ${r.fifo_duplicates}` : '');
}

async function main() {
  let o;
  try { o = parseArgs(process.argv.slice(2)); } catch (e) { console.error(e.message); process.exit(2); }
  if (o.help || o.h) {
    console.log(`usage: node bench/driver.mjs --workload ${Object.keys(DEFAULTS).join('|')} [--url URL] [--pid PID] [--duration S] ` +
      '[--warmup S] [--count N] [--connections N] [--producers N] [--consumers N] [--body 100|1k|64k] [--batch N] [--max N] [--wait S] ' +
      '[--groups N] [--backlog N] [--rate MSG/S] [--workers N] [--polls N] [--idle S] [--label X] [--json] [--keep-queue] [--no-preflight]');
    return;
  }
  const reps = Number(o.repeat || 1);
  let failed = false;
  for (let i = 0; i < reps; i++) {
    try {
      const r = await runOnce(o);
      console.log(JSON.stringify(r));
      if (!o.json) console.error(human(r));
      if (r.errors) failed = true;
    } catch (e) {
      console.error(`driver: ${e.stack || e.message}`);
      process.exitCode = 1;
      return;
    }
  }
  if (failed && o.strict) process.exitCode = 3;
}

if (!isMainThread) {
  const st = await runLoad(workerData);
  parentPort.postMessage(st);
} else if (process.argv[1] && import.meta.url === (await import('node:url')).pathToFileURL(process.argv[1]).href) {
  await main();
}
