// Starts Sluice in-process on an ephemeral port with a temp data dir, and a real AWS SDK client
// pointed at it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DEFAULTS, coerce, type Config } from '../../src/config.js';
import { startServer, type Server } from '../../src/server.js';

export interface TestServer {
  server: Server;
  endpoint: string;
  client: SQSClient;
  config: Config;
  /** Moves the broker's clock forward (retention, dedup windows). */
  advance(ms: number): Promise<void>;
  close(): Promise<void>;
}

const quiet = { info() {}, warn() {}, error: (m: string) => console.error(m) };

export async function startTestServer(overrides: Partial<Config> = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sluice-test-'));
  // SLUICE_TEST_TRANSPORT=node runs a suite on the node:http fallback instead of uWS.
  const transport = (process.env['SLUICE_TEST_TRANSPORT'] as Config['transport'] | undefined) ?? DEFAULTS.transport;
  // SLUICE_FAST_PATH=false runs a suite on the general path alone (src/fast-path.ts).
  const fastEnv = process.env['SLUICE_FAST_PATH'];
  const fastPath = fastEnv === undefined ? DEFAULTS.fastPath : (coerce('fastPath', fastEnv) as boolean);
  const config: Config = { ...DEFAULTS, port: 0, dataDir, testClock: true, transport, fastPath, ...overrides };
  const server = await startServer(config, quiet);
  const endpoint = `http://127.0.0.1:${server.port}`;
  const client = new SQSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  return {
    server,
    endpoint,
    client,
    config,
    async advance(ms: number) {
      const r = await fetch(`${endpoint}/_sluice/clock?advanceMs=${ms}`, { method: 'POST' });
      if (!r.ok) throw new Error(`clock advance failed: ${r.status}`);
    },
    async close() {
      client.destroy();
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
