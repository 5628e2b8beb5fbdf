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
    const tooLarge = () => {
      done = true;
      res.writeHead(413, { connection: 'close' }).end('Request body too large');
      req.destroy();
    };
    if (Number(headers['content-length'] ?? 0) > opts.bodyBytesMax) return tooLarge();
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > opts.bodyBytesMax) return tooLarge();
      chunks.push(c);
    });
    req.on('end', () => {
      if (done) return;
      handler({
        req: {
          method: req.method ?? 'GET',
          path: q < 0 ? url : url.slice(0, q),
          query: q < 0 ? '' : url.slice(q + 1),
          headers,
          body: Buffer.concat(chunks),
          remoteAddress: req.socket.remoteAddress ?? '',
        },
        respond(r) {
          if (done) return;
          done = true;
          res.writeHead(r.status, r.headers).end(r.body);
        },
        onAbort(fn) {
          aborted = fn;
        },
      });
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
