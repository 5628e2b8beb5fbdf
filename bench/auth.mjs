#!/usr/bin/env node
// The cost of SigV4 verification: SendMessage req/s against Sluice with `--auth off` and with
// `--auth sigv4`, side by side, the same signed requests sent to both.
//
// Usage: node bench/auth.mjs [--duration 10] [--warmup 2] [--connections 16] [--threads 1]
//          [--sign each|fixed] [--workers 1] [--rounds 2]
//        node bench/auth.mjs --micro 1   (in-process: microseconds per authenticate() call)
//   --sign each   (default) every request is signed anew by the client (a fresh X-Amz-Date and
//                 signature; the signing key cached per day as the SDKs do), as real clients do.
//   --sign fixed  each connection signs one request and resends it for the whole run: valid,
//                 since X-Amz-Date stays within the 15-minute skew window, and the server
//                 verifies it in full every time (there is no replay cache); this takes the
//                 client's signing cost out, so the figure is the server's alone.
// Starts `node dist/src/main.js` (run `npm run build:ts` first) with --durability memory, one
// server at a time, alternating off / sigv4 for --rounds rounds; prints a markdown table.
import { spawn } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Conn, parseTarget } from './lib/http.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(HERE, '..');
const ACCOUNT = '123456789012';
const KEY = 'AKIABENCHEXAMPLE';
const SECRET = 'bench/Secret+Key/EXAMPLE';
const REGION = 'us-east-1';

// ---------------------------------------------------------------------------------------------
// A minimal SigV4 signer, independent of src/auth (so the bench checks it too).

const sha256 = (d) => createHash('sha256').update(d).digest('hex');
const hmac = (k, d) => createHmac('sha256', k).update(d).digest();
const keys = new Map();
function signingKey(date) {
  let k = keys.get(date);
  if (!k) keys.set(date, (k = hmac(hmac(hmac(hmac(`AWS4${SECRET}`, date), REGION), 'sqs'), 'aws4_request')));
  return k;
}

/** Full request bytes for one JSON-protocol call, signed now. */
function signedRequest(hostHeader, action, body) {
  const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const date = amzDate.slice(0, 8);
  const target = `AmazonSQS.${action}`;
  const ctype = 'application/x-amz-json-1.0';
  const signed = 'content-type;host;x-amz-date;x-amz-target';
  const creq = `POST\n/\n\ncontent-type:${ctype}\nhost:${hostHeader}\nx-amz-date:${amzDate}\nx-amz-target:${target}\n\n${signed}\n${sha256(body)}`;
  const scope = `${date}/${REGION}/sqs/aws4_request`;
  const sig = createHmac('sha256', signingKey(date)).update(`AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha256(creq)}`).digest('hex');
  const b = Buffer.from(body);
  const head =
    `POST / HTTP/1.1\r\nHost: ${hostHeader}\r\nX-Amz-Target: ${target}\r\nContent-Type: ${ctype}\r\n` +
    `X-Amz-Date: ${amzDate}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=${KEY}/${scope}, SignedHeaders=${signed}, Signature=${sig}\r\n` +
    `Content-Length: ${b.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), b]);
}

// ---------------------------------------------------------------------------------------------
// Load: each connection keeps one SendMessage in flight.

async function load({ url, queueUrl, connections, warmupS, durationS, sign }) {
  const target = parseTarget(url);
  const body = JSON.stringify({ QueueUrl: queueUrl, MessageBody: 'x'.repeat(100) });
  let ok = 0;
  let errors = 0;
  let firstError = '';
  let measuring = false;
  let stop = false;
  const conns = [];
  const one = async () => {
    const c = new Conn(target, () => {});
    conns.push(c);
    await c.connect();
    const fixed = signedRequest(target.hostHeader, 'SendMessage', body);
    while (!stop) {
      const bytes = sign === 'fixed' ? fixed : signedRequest(target.hostHeader, 'SendMessage', body);
      const [status, buf] = await new Promise((r) => c.send(bytes, (s, b) => r([s, b])));
      if (!measuring) continue;
      if (status === 200) ok++;
      else {
        errors++;
        firstError ||= `${status} ${buf.toString().slice(0, 200)}`;
      }
    }
  };
  const runs = Array.from({ length: connections }, one);
  await new Promise((r) => setTimeout(r, warmupS * 1000));
  measuring = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, durationS * 1000));
  measuring = false;
  const seconds = (performance.now() - t0) / 1000;
  stop = true;
  await Promise.race([Promise.all(runs), new Promise((r) => setTimeout(r, 2000))]);
  for (const c of conns) c.destroy();
  return { ok, errors, seconds, firstError };
}

// ---------------------------------------------------------------------------------------------

function args() {
  const o = { duration: 10, warmup: 2, connections: 16, threads: 1, sign: 'each', workers: 1, rounds: 2, micro: 0 };
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i += 2) {
    const k = a[i].replace(/^--/, '');
    if (!(k in o)) throw new Error(`unknown option ${a[i]}`);
    o[k] = k === 'sign' ? a[i + 1] : Number(a[i + 1]);
  }
  if (!['each', 'fixed'].includes(o.sign)) throw new Error('--sign each|fixed');
  return o;
}

const freePort = () =>
  new Promise((res) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });

async function startSluice(auth, workers) {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-auth-'));
  const argv = ['dist/src/main.js', '--port', String(port), '--data-dir', dataDir, '--durability', 'memory',
    '--workers', String(workers), '--auth', auth, '--user', `${KEY}:${SECRET}:${ACCOUNT}`, '--log-level', 'warn'];
  const child = spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function call(url, action, input) {
  const t = parseTarget(url);
  const raw = signedRequest(t.hostHeader, action, JSON.stringify(input));
  const c = new Conn(t, () => {});
  await c.connect();
  const [status, buf] = await new Promise((r) => c.send(raw, (s, b) => r([s, b])));
  c.destroy();
  if (status !== 200) throw new Error(`${action}: ${status} ${buf}`);
  return JSON.parse(buf.toString());
}

/** Server-side cost alone: authenticate() on freshly signed requests, no HTTP. */
async function micro() {
  const { authenticate } = await import(path.join(ROOT, 'dist/src/auth/index.js'));
  const config = { auth: 'sigv4', region: REGION, accountId: ACCOUNT, users: [{ accessKeyId: KEY, secretAccessKey: SECRET, accountId: ACCOUNT }] };
  const body = JSON.stringify({ QueueUrl: `http://h/${ACCOUNT}/q`, MessageBody: 'x'.repeat(100) });
  const n = 50_000;
  const reqs = Array.from({ length: n }, () => {
    const raw = signedRequest('h', 'SendMessage', body).toString('latin1');
    const [head] = raw.split('\r\n\r\n');
    const headers = {};
    for (const line of head.split('\r\n').slice(1)) headers[line.slice(0, line.indexOf(':')).toLowerCase()] = line.slice(line.indexOf(':') + 2);
    return { method: 'POST', path: '/', query: '', headers, body: Buffer.from(body), remoteAddress: '127.0.0.1' };
  });
  for (const r of reqs.slice(0, 1000)) authenticate(r, config);
  const t0 = performance.now();
  for (const r of reqs) authenticate(r, config);
  const us = ((performance.now() - t0) * 1000) / n;
  console.log(`authenticate(): ${us.toFixed(1)} µs per SendMessage request (${n} freshly signed requests, node ${process.version})`);
}

async function main() {
  const o = args();
  if (!existsSync(path.join(ROOT, 'dist/src/main.js'))) throw new Error('run `npm run build:ts` first');
  if (o.micro) return micro();
  const rows = [];
  for (let round = 0; round < o.rounds; round++) {
    for (const auth of ['off', 'sigv4']) {
      const s = await startSluice(auth, o.workers);
      try {
        const { QueueUrl } = await call(s.url, 'CreateQueue', { QueueName: `bench-auth-${round}` });
        const per = Math.ceil(o.connections / o.threads);
        const results = await Promise.all(
          Array.from({ length: o.threads }, (_, i) =>
            new Promise((res, rej) => {
              const w = new Worker(fileURLToPath(import.meta.url), {
                workerData: { url: s.url, queueUrl: QueueUrl, connections: Math.min(per, o.connections - i * per), warmupS: o.warmup, durationS: o.duration, sign: o.sign },
              });
              w.once('message', res);
              w.once('error', rej);
            }),
          ),
        );
        const ok = results.reduce((n, r) => n + r.ok, 0);
        const errors = results.reduce((n, r) => n + r.errors, 0);
        const seconds = Math.max(...results.map((r) => r.seconds));
        const row = { round: round + 1, auth, rps: Math.round(ok / seconds), errors, firstError: results.find((r) => r.firstError)?.firstError ?? '' };
        rows.push(row);
        process.stderr.write(`round ${row.round} auth=${auth}: ${row.rps} req/s, ${errors} errors ${row.firstError}\n`);
      } finally {
        await s.stop();
      }
    }
  }
  const med = (auth) => {
    const v = rows.filter((r) => r.auth === auth).map((r) => r.rps).sort((a, b) => a - b);
    return v[Math.floor((v.length - 1) / 2)];
  };
  const off = med('off');
  const on = med('sigv4');
  console.log(`| auth | SendMessage req/s (median of ${o.rounds}) | vs off |`);
  console.log('| --- | ---: | ---: |');
  console.log(`| off | ${off} | 1.00 |`);
  console.log(`| sigv4 | ${on} | ${(on / off).toFixed(2)} |`);
  console.log(`\nsign=${o.sign}, ${o.connections} connections on ${o.threads} client thread(s), server --workers ${o.workers}, ` +
    `${o.warmup}+${o.duration} s per run, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), node ${process.version}`);
  if (rows.some((r) => r.errors)) process.exitCode = 1;
}

if (!isMainThread) parentPort.postMessage(await load(workerData));
else await main();
