// Which HTTP server runs: uWebSockets.js only where its real native binary loads (never the
// package's JS stand-in), node:http otherwise; the Rust edge (hyper) when asked for. The reason is
// logged at start.
import { loadUws } from './uws.js';

export interface TransportChoice {
  transport: 'uws' | 'node' | 'edge';
  /** The loaded uWS module when `transport` is 'uws'. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  uws: any;
  /** Why this transport, for the start-up log. */
  reason: string;
}

/** Throws when `want` is 'uws' and its binary does not load here. */
export function chooseTransport(want: 'auto' | 'uws' | 'node' | 'edge'): TransportChoice {
  if (want === 'edge') return { transport: 'edge', uws: null, reason: 'Rust edge (hyper), as configured' };
  if (want === 'node') return { transport: 'node', uws: null, reason: 'node:http, as configured (--transport node)' };
  const uws = loadUws();
  if (uws instanceof Error) {
    if (want === 'uws') throw new Error(`--transport uws: ${uws.message}`);
    return { transport: 'node', uws: null, reason: `node:http, because ${uws.message} (slower; see README, Transports)` };
  }
  const why = want === 'uws' ? 'as configured' : `its native binary loads on Node ${process.version}`;
  return { transport: 'uws', uws, reason: `uWebSockets.js, ${why}` };
}
