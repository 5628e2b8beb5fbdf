// One HTTP worker thread: a server on the shared port, answering to the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from './config.js';
import { startServer, type Logger } from './server.js';

const port = parentPort!;
const log: Logger = {
  info: (msg) => port.postMessage({ type: 'log', level: 'info', msg }),
  warn: (msg) => port.postMessage({ type: 'log', level: 'warn', msg }),
  error: (msg) => port.postMessage({ type: 'log', level: 'error', msg }),
};
const server = await startServer(workerData as Config, log);
port.on('message', (m: { type: string }) => {
  if (m.type === 'stop') {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  }
});
port.postMessage({ type: 'ready', port: server.port, transport: server.transport, recovery: server.core.stats()['recovery'] });
