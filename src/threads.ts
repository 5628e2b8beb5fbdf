// Several HTTP worker threads sharing one core. Each worker runs its own uWS app on the same
// port (SO_REUSEPORT spreads connections across them) and opens its own handle on the core;
// the core is one per process, so every worker sees the same queues, and the core wakes each
// worker's parked receives through that worker's own event callback.
import { Worker } from 'node:worker_threads';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';

type metric = MetricObjectWithValues<MetricValue<string>>;
import type { Config } from './config.js';
import type { Logger } from './server.js';

export interface Pool {
  port: number;
  transport: string;
  recovery?: Ready['recovery'];
  close(): Promise<void>;
}

interface Ready {
  type: 'ready';
  port: number;
  transport: string;
  recovery?: { records: number; messages: number; millis: number; truncatedTail: string | null };
}

export async function startPool(config: Config, workers: number, log: Logger): Promise<Pool> {
  const threads: Worker[] = [];
  // A worker asked for /metrics: gather every worker's registry and aggregate (sums for
  // counters and histograms across threads).
  let gather = 0;
  const gathering = new Map<number, { from: Worker; id: number; parts: metric[][]; left: number }>();
  const onCollect = (from: Worker, id: number) => {
    const key = ++gather;
    gathering.set(key, { from, id, parts: [], left: threads.length });
    for (const w of threads) w.postMessage({ type: 'json', id: key });
  };
  const onJson = (key: number, data: metric[]) => {
    const g = gathering.get(key);
    if (!g) return;
    g.parts.push(data);
    if (--g.left > 0) return;
    gathering.delete(key);
    void AggregatorRegistry.aggregate(g.parts)
      .metrics()
      .then((text) => g.from.postMessage({ type: 'collected', id: g.id, text }));
  };
  const start = (c: Config) =>
    new Promise<{ w: Worker; ready: Ready }>((resolve, reject) => {
      const w = new Worker(new URL('./worker.js', import.meta.url), { workerData: c });
      w.once('error', reject);
      w.once('exit', (code) => reject(new Error(`worker exited with ${code} before it was ready`)));
      w.on('message', (m: Ready | { type: 'log'; level: keyof Logger; msg: string } | { type: 'collect'; id: number } | { type: 'json'; id: number; data: metric[] }) => {
        if (m.type === 'collect') onCollect(w, m.id);
        else if (m.type === 'json') onJson(m.id, m.data);
        else if (m.type === 'ready') {
          w.removeAllListeners('exit');
          w.removeAllListeners('error');
          w.on('error', (e) => log.error(`worker failed: ${e.stack ?? e.message}`));
          resolve({ w, ready: m });
        } else if (m.type === 'log') log[m.level](m.msg);
      });
    });
  // The first worker replays the log; the others join the open core.
  const first = await start(config);
  threads.push(first.w);
  // Queues from the config file are created once, by the first worker.
  const rest = await Promise.all(Array.from({ length: workers - 1 }, () => start({ ...config, queues: [] })));
  threads.push(...rest.map((r) => r.w));
  return {
    port: first.ready.port,
    transport: first.ready.transport,
    recovery: first.ready.recovery,
    async close() {
      await Promise.all(
        threads.map(
          (w) =>
            new Promise<void>((resolve) => {
              w.once('exit', () => resolve());
              w.postMessage({ type: 'stop' });
            }),
        ),
      );
    },
  };
}
