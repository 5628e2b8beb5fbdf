// The request path: decode (JSON or Query) → action → encode, behind a transport seam.
import { randomUUID } from 'node:crypto';
import { ACTIONS } from './actions/index.js';
import { newContext, type Context } from './actions/context.js';
import { authRequest } from './auth/index.js';
import type { Config } from './config.js';
import { LIMITS } from './generated/limits.js';
import type { RequestLog } from './log.js';
import { LongPoll } from './long-poll.js';
import { FAST_ACTIONS, fastPathOn } from './fast-path.js';
import { CONTENT_TYPE as METRICS_CONTENT_TYPE, ServerMetrics, coreMetricsText, metricsCollector } from './metrics.js';
import { Core, type FastAnswer, type FastEmpty } from './native.js';
import { parkFast } from './actions/receive-message.js';
import { PEEK_PATH, handlePeek } from './peek.js';
import { provisionQueues } from './provision.js';
import { SqsError, queryError, type WireError } from './protocol/errors.js';
import { decodeJson, encodeJson, encodeJsonError, jsonAction } from './protocol/json.js';
import { decodeQuery, encodeQuery } from './protocol/query.js';
import { serveEdge } from './transport/edge.js';
import { serveNode } from './transport/node-http.js';
import type { Exchange, Handler, HttpResponse, Listening } from './transport/types.js';
import { chooseTransport } from './transport/choice.js';
import { serveUws } from './transport/uws.js';

export interface Server {
  port: number;
  /** Ports of config.extraPorts, as bound (0 in the config: an ephemeral port). */
  extraPorts: number[];
  /** The separate metrics port, when config.metricsPort is set. */
  metricsPort: number | null;
  transport: 'uws' | 'node' | 'edge';
  core: Core;
  /** This server's (thread's) registry; coreMetricsText(core) holds the core's gauges. */
  metrics: ServerMetrics;
  /**
   * Graceful: /ready turns 503 and new API requests get ServiceUnavailable, parked receives
   * are answered empty, answers waiting for the log are sent (at most shutdownMs), then the
   * listeners and the core (which flushes and fsyncs the log) close.
   */
  close(): Promise<void>;
}

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

/** A Logger that can also write request lines (log.ts's Log); used when config.logRequests. */
export type RequestLogger = Logger & { request?(r: RequestLog): void };

const USED_HEADERS = ['x-amz-target', 'host', 'content-length', 'authorization', 'accept'];

/** Bound on how long close() waits for pending answers before closing connections. */
export const SHUTDOWN_MS = 10_000;

interface State {
  core: Core;
  config: Config;
  longPoll: LongPoll;
  log: RequestLogger;
  metrics: ServerMetrics | null;
  stopping: boolean;
  /** The core answers the hot JSON actions itself (src/fast-path.ts). */
  fastPath: boolean;
  /** API requests taken and not yet answered. */
  pending: number;
  onIdle: (() => void) | null;
}

export async function startServer(config: Config, log: Logger): Promise<Server> {
  let longPoll!: LongPoll;
  const core = new Core(config.dataDir, config.durability, config.payloadMemoryMb, (queueId) => longPoll.wake(queueId));
  longPoll = new LongPoll((queueId) => core.unpark(queueId));
  try {
    const made = await provisionQueues(core, config, longPoll);
    if (made.created.length) log.info(`created queues from the config: ${made.created.join(', ')}`);
  } catch (e) {
    core.close();
    throw e;
  }
  const metrics = new ServerMetrics(config.metricsQueueSeriesMax, () => longPoll.parked);
  const state: State = { core, config, longPoll, log, metrics: config.metrics ? metrics : null, stopping: false, fastPath: fastPathOn(config), pending: 0, onIdle: null };
  const metricsText = () => metricsCollector()?.() ?? metrics.text().then((t) => t + coreMetricsText(core, config.metricsQueueSeriesMax));
  const handler: Handler = (x) => handle(x, state, metricsText);
  // Without signature verification the server reads only these headers (the access key in
  // Authorization still picks the account).
  const headers = config.auth === 'sigv4' ? null : USED_HEADERS;
  const opts = { host: config.host, port: config.port, bodyBytesMax: LIMITS.request_body_bytes_max, headers };
  const choice = chooseTransport(config.transport);
  const transport = choice.transport;
  const serve = (port: number, h: Handler): Promise<Listening> =>
    transport === 'edge'
      ? serveEdge({ ...opts, port }, h)
      : choice.uws
        ? serveUws(choice.uws, { ...opts, port }, h)
        : serveNode({ ...opts, port }, h);
  const listeners: Listening[] = [];
  let listening: Listening;
  let extra: Listening[];
  let metricsListener: Listening | null = null;
  try {
    listening = await serve(config.port, handler);
    listeners.push(listening);
    extra = [];
    for (const p of config.extraPorts) {
      const l = await serve(p, handler);
      listeners.push(l);
      extra.push(l);
    }
    if (config.metrics && config.metricsPort !== null) {
      metricsListener = await serve(config.metricsPort, (x) => handleMetricsPort(x, state, metricsText));
      listeners.push(metricsListener);
    }
  } catch (e) {
    await Promise.all(listeners.map((l) => l.close()));
    core.close();
    throw e;
  }
  let closing: Promise<void> | null = null;
  return {
    port: listening.port,
    extraPorts: extra.map((l) => l.port),
    metricsPort: metricsListener?.port ?? null,
    transport,
    core,
    metrics,
    close() {
      closing ??= (async () => {
        state.stopping = true;
        longPoll.drain();
        if (state.pending > 0) {
          await new Promise<void>((resolve) => {
            state.onIdle = resolve;
            setTimeout(resolve, SHUTDOWN_MS).unref();
          });
        }
        await Promise.all(listeners.map((l) => l.close()));
        core.close();
      })();
      return closing;
    },
  };
}

const JSON_TYPE = { 'content-type': 'application/json' };
const JSON_10_TYPE = { 'content-type': 'application/x-amz-json-1.0' };

/** /health, /ready and /metrics; null when the request is not one of them. */
function opsRoute(x: Exchange, s: State, metricsText: () => Promise<string>, requestId: string): boolean {
  const { req } = x;
  if (req.method !== 'GET') return false;
  switch (req.path) {
    case '/health':
      reply(x, 200, JSON_TYPE, '{"status":"ok"}', requestId);
      return true;
    case '/ready':
      if (s.stopping) reply(x, 503, JSON_TYPE, '{"status":"stopping"}', requestId);
      else reply(x, 200, JSON_TYPE, '{"status":"ready"}', requestId);
      return true;
    case '/metrics':
      if (!s.config.metrics) return false;
      metricsText().then(
        (text) => reply(x, 200, { 'content-type': METRICS_CONTENT_TYPE }, text, requestId),
        (e) => {
          s.log.error(`metrics failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
          reply(x, 500, { 'content-type': 'text/plain' }, 'metrics failed', requestId);
        },
      );
      return true;
    default:
      return false;
  }
}

function handleMetricsPort(x: Exchange, s: State, metricsText: () => Promise<string>): void {
  const requestId = randomUUID();
  if (!opsRoute(x, s, metricsText, requestId)) reply(x, 404, { 'content-type': 'text/plain' }, 'not found', requestId);
}

function reply(x: Exchange, status: number, headers: Record<string, string>, body: string | Buffer, requestId: string): void {
  const r: HttpResponse = { status, headers, requestId, body };
  x.respond(r);
}

function handle(x: Exchange, s: State, metricsText: () => Promise<string>): void {
  const requestId = randomUUID();
  const { req } = x;
  const { core, config, longPoll, log } = s;
  if (opsRoute(x, s, metricsText, requestId)) return;
  if (req.path.startsWith(PEEK_PATH)) {
    const r = handlePeek(req, core, config.region, requestId, config.auth === 'sigv4');
    return reply(x, r.status, r.headers, r.body as string, requestId);
  }
  if (config.testClock && req.method === 'POST' && req.path === '/_sluice/checkpoint') {
    const bytes = core.checkpoint();
    return reply(x, 200, { 'content-type': 'application/json' }, JSON.stringify({ bytes }), requestId);
  }
  if (config.testClock && req.method === 'POST' && req.path === '/_sluice/clock') {
    core.advanceClock(Number(new URLSearchParams(req.query).get('advanceMs') ?? 0));
    return reply(x, 200, { 'content-type': 'application/json' }, '{}', requestId);
  }
  const started = performance.now();
  const target = req.headers['x-amz-target'];
  const json = target !== undefined;
  let action = '_unknown';
  let input: Record<string, unknown> = {};
  // Every API request is counted once, answered or abandoned (metrics, request log, shutdown).
  let settled = false;
  s.pending++;
  const settle = (status: number, outcome: string) => {
    if (settled) return;
    settled = true;
    s.pending--;
    const label = ACTIONS.has(action) ? action : '_unknown';
    const seconds = (performance.now() - started) / 1000;
    s.metrics?.request(label, json ? 'json' : 'query', outcome, seconds);
    if (config.logRequests && log.request) {
      const url = input['QueueUrl'];
      log.request({
        requestId,
        action: label,
        protocol: json ? 'json' : 'query',
        queue: typeof url === 'string' ? url.slice(url.replace(/\/+$/, '').lastIndexOf('/') + 1).replace(/\/$/, '') : undefined,
        status,
        error: outcome === 'ok' ? undefined : outcome,
        latencyMs: seconds * 1000,
      });
    }
    if (s.pending === 0 && s.onIdle) s.onIdle();
  };
  const fail = (e: unknown, act?: string) => {
    if (!(e instanceof SqsError)) {
      log.error(`${act ?? 'request'} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      e = new SqsError('InternalFailure');
    }
    const w: WireError = json ? encodeJsonError(e as SqsError) : queryError(e as SqsError, requestId);
    reply(x, w.status, w.headers, w.body, requestId);
    settle(w.status, (e as SqsError).code);
  };
  if (s.stopping) return fail(new SqsError('ServiceUnavailable', 'The server is shutting down; try another or try again.'));
  if (req.tooLarge) {
    return fail(new SqsError('RequestEntityTooLarge', `The request body is larger than ${LIMITS.request_body_bytes_max} bytes.`));
  }
  const fast = json && s.fastPath && req.method === 'POST' ? FAST_ACTIONS.get(target) : undefined;
  let parked: FastEmpty | null = null;
  if (fast !== undefined) {
    let a: FastAnswer | FastEmpty | null;
    try {
      a = core.fastJson(fast.code, req.body, config.accountId);
    } catch (e) {
      action = fast.name;
      return fail(e, action);
    }
    if (a !== null && !a.empty) {
      const answer = a;
      action = fast.name;
      if (config.logRequests) input = { QueueUrl: `/${answer.key}` };
      const ok = () => {
        reply(x, 200, JSON_10_TYPE, answer.body, requestId);
        s.metrics?.fastResult(fast.name, answer.key, answer.count, answer.sizes);
        settle(200, 'ok');
      };
      x.onAbort(() => settle(499, 'aborted'));
      if (!core.afterDurable(core.takeLsn(), ok, (e) => fail(e, fast.name))) ok();
      return;
    }
    if (a !== null) {
      // A receive that found nothing: the long poll below finishes it, as the general path's.
      parked = a;
      action = fast.name;
      input = { QueueUrl: `/${a.key}` };
    }
  }
  if (parked === null) {
    try {
      if (json) {
        if (req.method !== 'POST') throw new SqsError('UnknownOperationException', 'The JSON protocol needs POST.');
        action = jsonAction(target);
        input = decodeJson(req.body);
      } else {
        const params = new URLSearchParams(req.query);
        if (req.method === 'POST') for (const [k, v] of new URLSearchParams(req.body.toString('utf8'))) params.append(k, v);
        ({ action, input } = decodeQuery(params));
        if (input['QueueUrl'] === undefined && /^\/\d{12}\/[^/]+\/?$/.test(req.path)) input['QueueUrl'] = req.path;
      }
    } catch (e) {
      return fail(e);
    }
  }
  const a = ACTIONS.get(action);
  if (!a) {
    return fail(
      json
        ? new SqsError('UnknownOperationException', `Unknown operation ${action}.`)
        : new SqsError('InvalidAction', `The action ${action} is not valid for this endpoint.`),
    );
  }
  const host = config.publicHost || req.headers['host'] || `${config.host}:${config.port}`;
  const ctx: Context = newContext(core, config, longPoll, host, requestId, json);
  // ── Auth (issue 6, src/auth/): the caller's account and SenderId; with auth 'sigv4' also the
  // signature and IAM policies. Skipped outright when auth is off and no users are configured.
  if (config.auth === 'sigv4' || config.users.length > 0) {
    try {
      const principal = authRequest(req, config, core, action, input);
      ctx.account = principal.account;
      ctx.senderId = principal.userId;
    } catch (e) {
      return fail(e, action);
    }
  }
  // ── end auth
  x.onAbort(() => {
    ctx.aborted = true;
    ctx.onAbort?.();
    settle(499, 'aborted');
  });
  const ok = (out: object) => {
    if (json) reply(x, 200, JSON_10_TYPE, encodeJson(out), requestId);
    else reply(x, 200, { 'content-type': 'text/xml' }, encodeQuery(action, out, requestId), requestId);
    s.metrics?.result(action, input, out, ctx.sentSizes);
    settle(200, 'ok');
  };
  try {
    const out = parked !== null ? parkFast(ctx, parked) : a.handle(ctx, input);
    // A change is acknowledged only once its log record is durable (see Core.takeLsn).
    const lsn = core.takeLsn();
    if (out instanceof Promise) out.then(ok, (e) => fail(e, action));
    else if (!core.afterDurable(lsn, () => ok(out), (e) => fail(e, action))) ok(out);
  } catch (e) {
    core.takeLsn();
    fail(e, action);
  }
}
