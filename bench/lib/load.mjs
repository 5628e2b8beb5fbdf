// The load itself: one call of runLoad() drives a share of the connections of a run, in one thread.
// driver.mjs runs it inline (--workers 1) or in several worker_threads and merges the results.
import { performance } from 'node:perf_hooks';
import { Conn, Template, parseTarget, requestBytes } from './http.mjs';
import { Hist } from './hist.mjs';

const nowUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000); // epoch µs, comparable across threads
const TS = 16; // width of the epoch-µs timestamp at the start of each body
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function runLoad(cfg) {
  const target = parseTarget(cfg.url);
  const qurl = cfg.queueUrl;
  const jq = JSON.stringify(qurl);
  const st = {
    hist: { send: new Hist(), receive: new Hist(), delete: new Hist() },
    e2e: new Hist(),
    requests: { send: 0, receive: 0, delete: 0 },
    sent: 0, delivered: 0, deleted: 0, emptyReceives: 0, duplicates: 0, orderViolations: 0,
    errors: {},
  };
  const err = (k, n = 1) => { if (measuring || cfg.countMode) st.errors[k] = (st.errors[k] || 0) + n; };
  const errAlways = (k, n = 1) => { st.errors[k] = (st.errors[k] || 0) + n; };

  let measuring = false;
  let stopping = false;
  const startAt = cfg.startAt, measureAt = cfg.measureAt, endAt = cfg.endAt;

  // --- connections
  const conns = [];
  const nConns = cfg.producers + cfg.consumers;
  for (let i = 0; i < nConns; i++) {
    const c = new Conn(target, (k) => errAlways(k));
    await c.connect();
    conns.push(c);
  }
  const call = (conn, bytes) => new Promise((resolve) => {
    const t0 = performance.now();
    conn.send(bytes, (status, body) => resolve({ status, body, us: (performance.now() - t0) * 1000 }));
  });
  const httpErr = (op, status, body) => {
    if (status <= 0) return `${op}:connection`;
    let type = '';
    try { const j = JSON.parse(body.toString()); type = String(j.__type || j.code || j.Code || '').replace(/^.*#/, ''); } catch { type = 'unparsable'; }
    return `${op}:${status}:${type}`;
  };

  // --- body layout: "<ts16>:<group3>:<seq12>:" then padding to cfg.bodySize bytes
  const fifo = cfg.fifo;
  const prefixLen = TS + 1 + 3 + 1 + 12 + 1;
  const pad = 'x'.repeat(Math.max(0, cfg.bodySize - prefixLen));
  const bodyParts = () => [TS, ':', 3, ':', 12, ':' + pad]; // 3 slots

  // --- producer templates
  const W = cfg.workerCount, wi = cfg.workerIndex, P = cfg.producers;
  function producerTemplate(globalIdx) {
    const parts = [];
    if (cfg.batch === 1) {
      parts.push(`{"QueueUrl":${jq},"MessageBody":"`, ...bodyParts(), '"');
      if (fifo) parts.push(',"MessageGroupId":"g', 3, `","MessageDeduplicationId":"${cfg.runId}-${globalIdx}-`, 12, '"');
      parts.push('}');
      return new Template(target, 'SendMessage', parts);
    }
    parts.push(`{"QueueUrl":${jq},"Entries":[`);
    for (let e = 0; e < cfg.batch; e++) {
      parts.push(`${e ? ',' : ''}{"Id":"m${e}","MessageBody":"`, ...bodyParts(), '"');
      if (fifo) parts.push(',"MessageGroupId":"g', 3, `","MessageDeduplicationId":"${cfg.runId}-${globalIdx}-`, 12, '"');
      parts.push('}');
    }
    parts.push(']}');
    return new Template(target, 'SendMessageBatch', parts);
  }
  const slotsPerMsg = fifo ? 5 : 3;

  // backlog control (cycle workloads): producers wait while sent - delivered > backlog
  const waiters = [];
  const wake = () => { while (waiters.length) waiters.pop()(); };
  let sentTotal = 0, deliveredTotal = 0; // since start, not just the measured window
  let countLeft = cfg.countMode ? cfg.countShare : Infinity;

  async function producer(pi) {
    const conn = conns[pi];
    const gIdx = wi * P + pi;                  // global producer index
    const tpl = producerTemplate(gIdx);
    // groups owned by this producer: g % (P*W) == gIdx (per-group order is then checkable)
    const myGroups = [];
    for (let g = 0; g < cfg.groups; g++) if (g % (P * W) === gIdx) myGroups.push(g);
    if (fifo && myGroups.length === 0) return;
    const groupSeq = new Float64Array(cfg.groups);
    let dedup = 0, gi = 0;
    const perReqMsgs = cfg.batch;
    const interval = cfg.rate ? (perReqMsgs * P * W * 1000) / cfg.rate : 0; // ms between requests of this producer
    let next = performance.now();
    while (!stopping && countLeft > 0) {
      if (cfg.cycle && sentTotal - deliveredTotal > cfg.backlog) { await new Promise((r) => waiters.push(r)); continue; }
      if (interval) {
        next += interval;
        const d = next - performance.now();
        if (d > 1) await sleep(d); else if (d < -1000) next = performance.now(); // do not burst after a long stall
        if (stopping) break;
      }
      const n = Math.min(perReqMsgs, countLeft);
      countLeft -= n; // (a short last batch still sends `batch` entries; count mode rounds up to whole requests)
      const ts = cfg.cycle ? nowUs() : 0;
      if (cfg.cycle) for (let e = 0; e < cfg.batch; e++) {
        const base = e * slotsPerMsg;
        let g = 0, seq = 0;
        if (fifo) { g = myGroups[gi++ % myGroups.length]; seq = ++groupSeq[g]; }
        tpl.set(base, ts); tpl.set(base + 1, g); tpl.set(base + 2, seq);
        if (fifo) { tpl.set(base + 3, g); tpl.set(base + 4, ++dedup); }
      }
      sentTotal += cfg.batch;
      const r = await call(conn, tpl.buf);
      const m = measuring;
      if (r.status !== 200) {
        err(httpErr('send', r.status, r.body));
        sentTotal -= cfg.batch;
        // nothing of this request was accepted: roll the per-group sequence back so the order check sees no gap
        if (fifo) for (let e = cfg.batch - 1; e >= 0; e--) { const g = myGroups[--gi % myGroups.length]; groupSeq[g]--; }
        await sleep(5);
        continue;
      }
      let ok = cfg.batch;
      try {
        const j = JSON.parse(r.body.toString());
        if (cfg.batch === 1) { if (!j.MessageId) { ok = 0; err('send:no-MessageId'); } }
        else {
          const failed = j.Failed ? j.Failed.length : 0;
          const succ = j.Successful ? j.Successful.length : 0;
          if (failed) { err('send:batch-entry-failed:' + (j.Failed[0].Code || ''), failed); }
          if (succ + failed !== cfg.batch) err('send:batch-count-mismatch');
          ok = succ;
          sentTotal -= cfg.batch - succ;
        }
      } catch { ok = 0; err('send:unparsable-response'); }
      if (m) { st.hist.send.record(r.us); st.requests.send++; st.sent += ok; }
    }
  }

  // consumers
  const lastSeq = new Float64Array(Math.max(cfg.groups, 1));
  const checkOrder = fifo && cfg.workerCount === 1;
  const recvBody = `{"QueueUrl":${jq},"MaxNumberOfMessages":${cfg.max},"WaitTimeSeconds":${cfg.wait}` +
    (cfg.visibility != null ? `,"VisibilityTimeout":${cfg.visibility}` : '') + '}';
  const recvBytes = requestBytes(target, 'ReceiveMessage', recvBody);
  let consumersDone = false;

  async function consumer(ci) {
    const conn = conns[P + ci];
    while (!stopping && !consumersDone) {
      const r = await call(conn, recvBytes);
      if (stopping) break;
      const m = measuring || cfg.countMode;
      if (r.status !== 200) { err(httpErr('receive', r.status, r.body)); await sleep(5); continue; }
      let msgs;
      try { msgs = JSON.parse(r.body.toString()).Messages || []; } catch { err('receive:unparsable-response'); continue; }
      if (m) { st.hist.receive.record(r.us); st.requests.receive++; }
      if (!msgs.length) { if (m) st.emptyReceives++; continue; }
      const now = nowUs();
      for (let k = 0; k < msgs.length; k++) {
        const b = msgs[k].Body;
        if (typeof b !== 'string' || b.length < prefixLen) { err('receive:bad-body'); continue; }
        if (m) st.e2e.record(now - Number(b.slice(0, TS)));
        if (checkOrder) {
          const g = Number(b.slice(TS + 1, TS + 4)), seq = Number(b.slice(TS + 5, TS + 17));
          if (seq <= lastSeq[g]) st.duplicates++;
          else if (seq !== lastSeq[g] + 1) st.orderViolations++;
          if (seq > lastSeq[g]) lastSeq[g] = seq;
        }
      }
      deliveredTotal += msgs.length;
      if (m) st.delivered += msgs.length;
      wake();
      if (cfg.countMode && deliveredTotal >= cfg.countShare) consumersDone = true;
      // delete
      if (cfg.batch === 1 || msgs.length === 1) {
        for (const msg of msgs) {
          const d = await call(conn, requestBytes(target, 'DeleteMessage', `{"QueueUrl":${jq},"ReceiptHandle":${JSON.stringify(msg.ReceiptHandle)}}`));
          if (d.status !== 200) { err(httpErr('delete', d.status, d.body)); continue; }
          if (m) { st.hist.delete.record(d.us); st.requests.delete++; st.deleted++; }
        }
      } else {
        let body = `{"QueueUrl":${jq},"Entries":[`;
        for (let k = 0; k < msgs.length; k++) body += `${k ? ',' : ''}{"Id":"d${k}","ReceiptHandle":${JSON.stringify(msgs[k].ReceiptHandle)}}`;
        body += ']}';
        const d = await call(conn, requestBytes(target, 'DeleteMessageBatch', body));
        if (d.status !== 200) { err(httpErr('delete', d.status, d.body)); continue; }
        try {
          const j = JSON.parse(d.body.toString());
          const failed = j.Failed ? j.Failed.length : 0;
          if (failed) err('delete:batch-entry-failed:' + (j.Failed[0].Code || ''), failed);
          if (m) { st.hist.delete.record(d.us); st.requests.delete++; st.deleted += (j.Successful ? j.Successful.length : 0); }
        } catch { err('delete:unparsable-response'); }
      }
    }
  }

  // --- timeline
  const tStart = Date.now();
  if (startAt > tStart) await sleep(startAt - tStart);
  let timers = [];
  if (!cfg.countMode) {
    timers.push(setTimeout(() => { measuring = true; }, Math.max(0, measureAt - Date.now())));
    timers.push(setTimeout(() => { measuring = false; stopping = true; wake(); for (const c of conns) c.destroy(); }, Math.max(0, endAt - Date.now())));
  } else {
    measuring = true;
    timers.push(setTimeout(() => { stopping = true; wake(); for (const c of conns) c.destroy(); }, Math.max(0, endAt - Date.now())));
  }
  const t0 = performance.now();
  const tasks = [];
  for (let i = 0; i < P; i++) tasks.push(producer(i));
  for (let i = 0; i < cfg.consumers; i++) tasks.push(consumer(i));
  if (cfg.countMode) {
    // producers finish on their count; consumers when all delivered (or at the time limit)
    await Promise.all(tasks.slice(0, P));
    if (!cfg.cycle) { stopping = true; }
    else { while (!stopping && deliveredTotal < cfg.countShare) await sleep(2); stopping = true; }
    st.elapsed = (performance.now() - t0) / 1000;
    for (const c of conns) c.destroy();
    wake();
  } else {
    await Promise.race([Promise.all(tasks), sleep(Math.max(0, endAt - Date.now()) + 50)]);
    st.elapsed = (endAt - measureAt) / 1000;
  }
  for (const t of timers) clearTimeout(t);
  for (const c of conns) c.destroy();
  st.finishedAt = Date.now();
  return st;
}

// Long-poll idle: park `polls` ReceiveMessage(WaitTimeSeconds=20) on an empty queue; re-park when one returns.
export async function runParked(cfg, onParked) {
  const target = parseTarget(cfg.url);
  const jq = JSON.stringify(cfg.queueUrl);
  const bytes = requestBytes(target, 'ReceiveMessage', `{"QueueUrl":${jq},"MaxNumberOfMessages":10,"WaitTimeSeconds":${cfg.wait}}`);
  const errors = {};
  const err = (k) => { errors[k] = (errors[k] || 0) + 1; };
  const conns = [];
  let stopping = false, returned = 0, early = 0, messages = 0;
  const park = (c) => {
    const t0 = performance.now();
    c.send(bytes, (status, body) => {
      if (stopping) return;
      returned++;
      if (performance.now() - t0 < (cfg.wait * 1000) - 500) early++;
      if (status !== 200) err(`receive:${status}`);
      else { try { messages += (JSON.parse(body.toString()).Messages || []).length; } catch { err('receive:unparsable-response'); } }
      if (status <= 0) setTimeout(() => park(c), 100); else park(c);
    });
  };
  const tConn = performance.now();
  const CHUNK = 256;
  const deadline = performance.now() + (cfg.connectLimit || 60) * 1000;
  for (let i = 0; i < cfg.polls; i += CHUNK) {
    if (performance.now() > deadline) { err('connect:phase-time-limit'); break; }
    const batch = [];
    for (let j = i; j < Math.min(cfg.polls, i + CHUNK); j++) {
      const c = new Conn(target, (k) => err(k));
      batch.push(c.connect().then(() => { conns.push(c); park(c); }, (e) => err('connect:' + (e.code || e.message))));
    }
    await Promise.all(batch);
  }
  const connectSeconds = (performance.now() - tConn) / 1000;
  const info = await onParked({ parked: conns.length, connectSeconds });
  stopping = true;
  for (const c of conns) c.destroy();
  return { parked: conns.length, connectSeconds, returned, early, messages, errors, ...info };
}
