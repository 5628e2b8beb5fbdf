// Logs: one JSON object per line on stderr (level, time, msg, and for requests: request id,
// action, queue, status, latency), or a human-readable line in 'pretty' mode ('auto' picks
// pretty when stderr is a terminal). Request lines are off unless asked for: at tens of
// thousands of requests a second they cost more than the request. Nothing secret is logged:
// no bodies, no headers, no credentials — only the fields listed in RequestLog.
import type { Config } from './config.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface RequestLog {
  requestId: string;
  action: string;
  protocol: 'json' | 'query';
  /** Queue name (from the QueueUrl), when the request named one. */
  queue?: string;
  status: number;
  /** Error code when the request failed. */
  error?: string;
  latencyMs: number;
}

export interface Log {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  request(r: RequestLog): void;
}

/**
 * JSON text of `v` with nothing a terminal acts on: JSON.stringify escapes C0 controls and lone
 * surrogates but leaves DEL, the C1 controls (0x9b starts an escape sequence on some terminals)
 * and the line separators raw. Request lines carry client text (the QueueUrl's last segment).
 */
function quote(v: unknown): string {
  const hex = (c: string) => c.charCodeAt(0).toString(16).padStart(4, '0');
  return JSON.stringify(v).replace(/[\x7f-\x9f\u2028\u2029]/g, (c) => `\\u${hex(c)}`);
}

/** Shown bare in pretty lines: printable ASCII without spaces; anything else is quoted. */
const BARE = /^[\x21-\x7e]*$/;

const RANK: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };
const COLOR: Record<Level, string> = { debug: '\x1b[90m', info: '\x1b[36m', warn: '\x1b[33m', error: '\x1b[31m' };

export interface LogOptions {
  level: Level;
  format: Config['logFormat'];
  /** Where lines go; stderr by default. */
  write?: (line: string) => void;
  /** Whether the output is a terminal (for 'auto' and colours). */
  tty?: boolean;
}

export function createLog(opts: LogOptions): Log {
  const write = opts.write ?? ((l: string) => void process.stderr.write(l));
  const tty = opts.tty ?? Boolean(process.stderr.isTTY);
  const pretty = opts.format === 'pretty' || (opts.format === 'auto' && tty);
  const min = RANK[opts.level];
  const line = (level: Level, fields: Record<string, unknown>) => {
    if (RANK[level] < min) return;
    const time = new Date();
    if (!pretty) {
      write(`${quote({ level, time: time.toISOString(), ...fields })}\n`);
      return;
    }
    const { msg, ...rest } = fields;
    const extra = Object.entries(rest)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === 'string' && BARE.test(v) ? v : quote(v)}`)
      .join(' ');
    const lvl = level.toUpperCase().padEnd(5);
    const head = tty ? `${COLOR[level]}${lvl}\x1b[0m` : lvl;
    write(`${time.toISOString().slice(11, 23)} ${head} ${msg ?? ''}${extra ? (msg ? '  ' : '') + extra : ''}\n`);
  };
  return {
    debug: (msg) => line('debug', { msg }),
    info: (msg) => line('info', { msg }),
    warn: (msg) => line('warn', { msg }),
    error: (msg) => line('error', { msg }),
    request: (r) =>
      line(r.status >= 500 ? 'error' : 'info', {
        msg: pretty ? `${r.action} ${r.status} ${r.latencyMs.toFixed(1)}ms` : 'request',
        requestId: r.requestId,
        action: r.action,
        protocol: r.protocol,
        queue: r.queue,
        status: r.status,
        error: r.error,
        latencyMs: pretty ? undefined : Math.round(r.latencyMs * 1000) / 1000,
      }),
  };
}
