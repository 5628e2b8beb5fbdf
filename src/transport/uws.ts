// uWebSockets.js transport.
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { STATUS_TEXT, type Handler, type HttpResponse, type Listening, type TransportOptions } from './types.js';

const EMPTY = Buffer.alloc(0);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Uws = any;

/**
 * Loads uWebSockets.js's native binary for this Node line, or returns why there is none.
 *
 * The package's own entry point is not used: where it has no binary for the running Node ABI
 * (the 20.30 republish ships 93, 108 and 115 only, i.e. Node 16, 18 and 20) it prints a warning
 * and returns a partial JS stand-in, whose first request crashes Sluice
 * (`getCaseSensitiveMethod: Not implemented`). Loading the binary by its path can only yield
 * the real server or an error.
 */
export function loadUws(): Uws | Error {
  if (loaded !== undefined) return loaded;
  const abi = process.versions.modules;
  const name = `uws_${process.platform}_${process.arch}_${abi}.node`;
  try {
    const require = createRequire(import.meta.url);
    const dir = path.dirname(require.resolve('uWebSockets.js/package.json'));
    const file = path.join(dir, 'binaries', name);
    if (!existsSync(file)) {
      const have = readdirSync(path.join(dir, 'binaries'))
        .map((f) => /^uws_([a-z0-9]+_[a-z0-9]+)_(\d+)\.node$/.exec(f))
        .filter((m) => m !== null && m[1] === `${process.platform}_${process.arch}`)
        .map((m) => Number(m![2]))
        .sort((a, b) => a - b);
      loaded = new Error(
        `uWebSockets.js has no native binary for Node ${process.version} (ABI ${abi}) on ` +
          `${process.platform}-${process.arch}; the installed build has ABIs ${have.join(', ') || 'none'}`,
      );
    } else {
      loaded = require(file) as Uws;
    }
  } catch (e) {
    loaded = new Error(`uWebSockets.js does not load: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`);
  }
  return loaded;
}

let loaded: Uws | Error | undefined;

export function serveUws(uws: Uws, opts: TransportOptions, handler: Handler): Promise<Listening> {
  const app = uws.App();
  app.any('/*', (res: Uws, req: Uws) => {
    const headers: Record<string, string> = {};
    if (opts.headers === null) {
      req.forEach((k: string, v: string) => {
        headers[k] = v;
      });
    } else {
      for (const k of opts.headers) {
        const v = req.getHeader(k);
        if (v !== '') headers[k] = v;
      }
    }
    const method = req.getCaseSensitiveMethod ? req.getCaseSensitiveMethod() : req.getMethod().toUpperCase();
    const path = req.getUrl();
    const query = req.getQuery() ?? '';
    // Only policy conditions (aws:SourceIp) read it, and only with signatures on.
    const remoteAddress = opts.headers === null ? Buffer.from(res.getRemoteAddressAsText()).toString() : '';
    let done = false;
    let aborted: (() => void) | undefined;
    res.onAborted(() => {
      done = true;
      aborted?.();
    });
    const chunks: Buffer[] = [];
    let size = 0;
    const respond = (r: HttpResponse, close = false) => {
      if (done) return;
      done = true;
      res.cork(() => {
        res.writeStatus(STATUS_TEXT[r.status] ?? `${r.status} Status`);
        const h = r.headers;
        for (const k in h) res.writeHeader(k, h[k]!);
        if (r.requestId !== undefined) res.writeHeader('x-amzn-requestid', r.requestId);
        if (close) res.writeHeader('connection', 'close');
        res.end(r.body, close);
      });
    };
    const dispatch = (body: Buffer, tooLarge: boolean) =>
      handler({
        req: { method, path, query, headers, body, remoteAddress, tooLarge },
        respond: (r) => respond(r, tooLarge),
        onAbort(fn) {
          aborted = fn;
        },
      });
    // Too large: answer now (AWS-shaped, from the handler) and close rather than read it all.
    if (Number(headers['content-length'] ?? 0) > opts.bodyBytesMax) return dispatch(EMPTY, true);
    res.onData((ab: ArrayBuffer, last: boolean) => {
      if (done) return;
      size += ab.byteLength;
      if (size > opts.bodyBytesMax) return dispatch(EMPTY, true);
      // uWS reuses the ArrayBuffer after this callback: copy.
      if (ab.byteLength) chunks.push(Buffer.from(Buffer.from(ab)));
      if (!last) return;
      dispatch(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), false);
    });
  });
  return new Promise((resolve, reject) => {
    app.listen(opts.host, opts.port, (token: unknown) => {
      if (!token) return reject(new Error(`cannot listen on ${opts.host}:${opts.port}`));
      resolve({
        port: uws.us_socket_local_port(token),
        close: async () => {
          uws.us_listen_socket_close(token);
          app.close?.();
        },
      });
    });
  });
}
