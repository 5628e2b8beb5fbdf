// node:http transport, for platforms where the uWebSockets.js binary does not load.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Handler, Listening, TransportOptions } from './types.js';

export function serveNode(opts: TransportOptions, handler: Handler): Promise<Listening> {
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    let aborted: (() => void) | undefined;
    res.on('close', () => {
      if (!done) {
        done = true;
        aborted?.();
      }
    });
    const dispatch = (body: Buffer, tooLarge: boolean) =>
      handler({
        req: {
          method: req.method ?? 'GET',
          path: q < 0 ? url : url.slice(0, q),
          query: q < 0 ? '' : url.slice(q + 1),
          headers,
          body,
          remoteAddress: req.socket.remoteAddress ?? '',
          tooLarge,
        },
        respond(r) {
          if (done) return;
          done = true;
          if (r.requestId !== undefined) res.setHeader('x-amzn-requestid', r.requestId);
          if (tooLarge) {
            res.writeHead(r.status, { ...r.headers, connection: 'close' }).end(r.body);
            req.destroy();
          } else {
            res.writeHead(r.status, r.headers).end(r.body);
          }
        },
        onAbort(fn) {
          aborted = fn;
        },
      });
    // Too large: answer now (AWS-shaped, from the handler) and close rather than read it all.
    if (Number(headers['content-length'] ?? 0) > opts.bodyBytesMax) return dispatch(Buffer.alloc(0), true);
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > opts.bodyBytesMax) return dispatch(Buffer.alloc(0), true);
      chunks.push(c);
    });
    req.on('end', () => {
      if (done) return;
      dispatch(Buffer.concat(chunks), false);
    });
  });
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}
