// The Rust HTTP edge (native/edge: hyper on its own threads). It reads each request whole within
// its limits, answers malformed HTTP itself (400/431/414 and a close), and hands the rest over
// here, one crossing per request; the answer goes back whole with respond(id, …).
import { startEdge } from '../native.js';
import type { Handler, Listening, TransportOptions } from './types.js';

/** Optional limits for tests; unset ones take native/edge's named defaults. */
export interface EdgeTuning {
  headerBytes?: number;
  headerReadTimeoutMs?: number;
  bodyReadTimeoutMs?: number;
  connections?: number;
}

export function serveEdge(opts: TransportOptions, handler: Handler, tuning: EdgeTuning = {}): Promise<Listening> {
  const aborts = new Map<number, () => void>();
  const edge = startEdge(
    opts.host,
    opts.port,
    { bodyBytes: opts.bodyBytesMax, ...tuning },
    opts.headers,
    (id, method, path, query, headers, body, remoteAddress, tooLarge) => {
      let done = false;
      handler({
        req: { method, path, query, headers, body, remoteAddress, tooLarge },
        respond(r) {
          if (done) return;
          done = true;
          aborts.delete(id);
          let head = '';
          for (const k in r.headers) head += `${k}\0${r.headers[k]}\0`;
          edge.respond(id, r.status, head, r.requestId, r.body);
        },
        onAbort(fn) {
          if (!done) aborts.set(id, fn);
        },
      });
    },
    (id) => {
      const fn = aborts.get(id);
      aborts.delete(id);
      fn?.();
    },
  );
  // The edge's threads and its thread-safe functions never hold Node open (they are weak), so
  // a listening edge does it here, as a listening socket would, until close.
  const alive = setInterval(() => {}, 2 ** 31 - 1);
  let closing: Promise<void> | null = null;
  return Promise.resolve({
    port: edge.port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        edge.close(() => {
          clearInterval(alive);
          resolve();
        });
      });
      return closing;
    },
  });
}
