// One HTTP worker thread: a server on the shared port, answering to the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from './config.js';
import { createLog } from './log.js';
import { coreMetricsText, setMetricsCollector } from './metrics.js';
import { startServer } from './server.js';

const port = parentPort!;
const config = workerData as Config;
// Lines go to this thread's stderr, which Node forwards to the process's.
const log = createLog({ level: config.logLevel, format: config.logFormat, tty: false });
const server = await startServer(config, log);

// /metrics on any worker shows every worker's request metrics (aggregated by the main thread)
// and the core's gauges once.
const waiting = new Map<number, (text: string) => void>();
let next = 0;
setMetricsCollector(
  () =>
    new Promise<string>((resolve) => {
      const id = ++next;
      waiting.set(id, (text) => resolve(text + coreMetricsText(server.core, config.metricsQueueSeriesMax)));
      port.postMessage({ type: 'collect', id });
    }),
);

port.on('message', (m: { type: string; id?: number; text?: string }) => {
  if (m.type === 'stop') {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  } else if (m.type === 'json') {
    void server.metrics.json().then((data) => port.postMessage({ type: 'json', id: m.id, data }));
  } else if (m.type === 'collected') {
    waiting.get(m.id!)?.(m.text!);
    waiting.delete(m.id!);
  }
});
port.postMessage({ type: 'ready', port: server.port, transport: server.transport, recovery: server.core.stats()['recovery'] });
