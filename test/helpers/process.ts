// Runs Sluice as a child process (the compiled dist/), so tests can kill -9 it.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';

const MAIN = path.resolve(import.meta.dirname, '../../dist/src/main.js');

export interface Child {
  proc: ChildProcess;
  port: number;
  endpoint: string;
  client: SQSClient;
  /** Everything the process wrote to stderr so far (its log). */
  log(): string;
  kill9(): Promise<void>;
  stop(): Promise<number | null>;
}

/** A port free right now (for a multi-worker server, which needs a fixed port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export async function spawnSluice(dataDir: string, extra: string[] = [], fixedPort = 0): Promise<Child> {
  const proc = spawn(process.execPath, [MAIN, "--port", String(fixedPort), '--data-dir', dataDir, ...extra], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let buf = '';
  proc.stderr!.on('data', (c: Buffer) => {
    buf += c.toString();
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sluice did not start: ${buf}`)), 20_000);
    proc.stderr!.on('data', () => {
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sluice exited with ${code}: ${buf}`));
    });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new SQSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return {
    proc,
    port,
    endpoint,
    client,
    log: () => buf,
    async kill9() {
      proc.kill('SIGKILL');
      await exited;
      client.destroy();
    },
    async stop() {
      proc.kill('SIGTERM');
      const code = await exited;
      client.destroy();
      return code;
    },
  };
}
