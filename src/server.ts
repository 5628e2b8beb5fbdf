// The request path: decode (JSON or Query) → action → encode, behind a transport seam.
import { randomUUID } from 'node:crypto';
import { ACTIONS } from './actions/index.js';
import type { Context } from './actions/context.js';
import type { Config } from './config.js';
import { LIMITS } from './generated/limits.js';
import { LongPoll } from './long-poll.js';
import { Core } from './native.js';
import { SqsError, queryError, type WireError } from './protocol/errors.js';
import { decodeJson, encodeJson, encodeJsonError, jsonAction } from './protocol/json.js';
import { decodeQuery, encodeQuery } from './protocol/query.js';
import { serveNode } from './transport/node-http.js';
import type { Exchange, HttpResponse, Listening } from './transport/types.js';
import { loadUws, serveUws } from './transport/uws.js';

export interface Server {
  port: number;
  transport: 'uws' | 'node';
  core: Core;
  close(): Promise<void>;
}

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export async function startServer(config: Config, log: Logger): Promise<Server> {
  let longPoll!: LongPoll;
  const core = new Core(config.dataDir, config.durability, (queueId) => longPoll.wake(queueId));
  longPoll = new LongPoll((queueId) => core.unpark(queueId));
  const handler = (x: Exchange) => handle(x, core, config, longPoll, log);
  const opts = { host: config.host, port: config.port, bodyBytesMax: LIMITS.request_body_bytes_max };
  let listening: Listening;
  let transport: Server['transport'] = 'node';
  const uws = config.transport === 'node' ? null : loadUws();
  if (uws && !(uws instanceof Error)) {
    listening = await serveUws(uws, opts, handler);
    transport = 'uws';
  } else {
    if (config.transport === 'uws') throw uws ?? new Error('uWebSockets.js not available');
    if (uws instanceof Error) {
      log.warn(`uWebSockets.js does not load here (${uws.message.split('\n')[0]}); serving with node:http instead, which is slower.`);
    }
    listening = await serveNode(opts, handler);
  }
  return {
    port: listening.port,
    transport,
    core,
    async close() {
      longPoll.drain();
      await listening.close();
      core.close();
    },
  };
}

function reply(x: Exchange, status: number, headers: Record<string, string>, body: string, requestId: string): void {
  const r: HttpResponse = { status, headers: { ...headers, 'x-amzn-requestid': requestId }, body };
  x.respond(r);
}

function handle(x: Exchange, core: Core, config: Config, longPoll: LongPoll, log: Logger): void {
  const requestId = randomUUID();
  const { req } = x;
  const target = req.headers['x-amz-target'];
  const json = target !== undefined;
  const fail = (e: unknown, action?: string) => {
    if (!(e instanceof SqsError)) {
      log.error(`${action ?? 'request'} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      e = new SqsError('InternalFailure');
    }
    const w: WireError = json ? encodeJsonError(e as SqsError) : queryError(e as SqsError, requestId);
    reply(x, w.status, w.headers, w.body, requestId);
  };
  if (req.method === 'GET' && (req.path === '/health' || req.path === '/ready')) {
    return reply(x, 200, { 'content-type': 'application/json' }, '{"status":"ok"}', requestId);
  }
  if (config.testClock && req.method === 'POST' && req.path === '/_sluice/checkpoint') {
    const bytes = core.checkpoint();
    return reply(x, 200, { 'content-type': 'application/json' }, JSON.stringify({ bytes }), requestId);
  }
  if (config.testClock && req.method === 'POST' && req.path === '/_sluice/clock') {
    core.advanceClock(Number(new URLSearchParams(req.query).get('advanceMs') ?? 0));
    return reply(x, 200, { 'content-type': 'application/json' }, '{}', requestId);
  }
  let action: string;
  let input: Record<string, unknown>;
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
  const a = ACTIONS.get(action);
  if (!a) {
    return fail(
      json
        ? new SqsError('UnknownOperationException', `Unknown operation ${action}.`)
        : new SqsError('InvalidAction', `The action ${action} is not valid for this endpoint.`),
    );
  }
  const ctx: Context = {
    core,
    config,
    longPoll,
    account: config.accountId,
    senderId: config.accountId,
    host: config.publicHost || req.headers['host'] || `${config.host}:${config.port}`,
    requestId,
    aborted: false,
  };
  x.onAbort(() => {
    ctx.aborted = true;
    ctx.onAbort?.();
  });
  const ok = (out: object) => {
    if (json) reply(x, 200, { 'content-type': 'application/x-amz-json-1.0' }, encodeJson(out), requestId);
    else reply(x, 200, { 'content-type': 'text/xml' }, encodeQuery(action, out, requestId), requestId);
  };
  try {
    const out = a.handle(ctx, input);
    // A change is acknowledged only once its log record is durable (see Core.takeLsn).
    const durable = core.whenDurable(core.takeLsn());
    if (out instanceof Promise) out.then(ok, (e) => fail(e, action));
    else if (durable) durable.then(() => ok(out));
    else ok(out);
  } catch (e) {
    core.takeLsn();
    fail(e, action);
  }
}
