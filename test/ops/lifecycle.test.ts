// Health endpoints and graceful shutdown: SIGTERM during long polls and sends answers parked
// receives empty, loses nothing acknowledged, and exits 0.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSluice } from '../helpers/process.js';
import { startTestServer } from '../helpers/server.js';
import { parseProm, value } from './prom.js';

const ACCOUNT = '000000000000';

function api(endpoint: string, action: string, input: object): Promise<Response> {
  return fetch(`${endpoint}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${action}` },
    body: JSON.stringify(input),
  });
}

describe('health and readiness', () => {
  it('/health and /ready answer 200 while serving; /ready 503 while shutting down', async () => {
    const t = await startTestServer();
    const health = await fetch(`${t.endpoint}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${t.endpoint}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });

    // Hold one send's answer (as a slow fsync would) so shutdown has something to wait for.
    const { QueueUrl } = await t.client.send(new CreateQueueCommand({ QueueName: 'slow' }));
    const core = t.server.core;
    const real = core.afterDurable.bind(core);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    core.afterDurable = (lsn, resolve, reject) => {
      void held.then(() => {
        if (!real(lsn, resolve, reject)) resolve();
      });
      return true;
    };
    const send = api(t.endpoint, 'SendMessage', { QueueUrl, MessageBody: 'held' });
    await new Promise((r) => setTimeout(r, 100));
    const closing = t.server.close();
    const during = await fetch(`${t.endpoint}/ready`);
    expect(during.status).toBe(503);
    expect((await fetch(`${t.endpoint}/health`)).status).toBe(200);
    // New API requests are refused with a retryable error while draining.
    const refused = await api(t.endpoint, 'ListQueues', {});
    expect(refused.status).toBe(503);
    release();
    const answered = await send;
    expect(answered.status).toBe(200);
    await closing;
    rmSync(t.config.dataDir, { recursive: true, force: true });
  });
});

describe('SIGTERM', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sluice-sigterm-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('answers parked receives empty, keeps acknowledged sends, exits 0', async () => {
    const s = await spawnSluice(dir);
    await s.client.send(new CreateQueueCommand({ QueueName: 'lp' }));
    await s.client.send(new CreateQueueCommand({ QueueName: 'sends' }));
    const lpUrl = `${s.endpoint}/${ACCOUNT}/lp`;
    const sendsUrl = `${s.endpoint}/${ACCOUNT}/sends`;

    const polls = Array.from({ length: 5 }, async () => {
      const r = await api(s.endpoint, 'ReceiveMessage', { QueueUrl: lpUrl, WaitTimeSeconds: 20 });
      return { status: r.status, body: (await r.json()) as { Messages?: unknown[] }, at: Date.now() };
    });
    const acked = new Set<string>();
    let stop = false;
    const senders = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; !stop; i++) {
        let r: Response;
        try {
          r = await api(s.endpoint, 'SendMessage', { QueueUrl: sendsUrl, MessageBody: `w${w}-${i}` });
        } catch {
          return; // connection closed: the server is gone
        }
        if (r.status !== 200) return; // 503 while shutting down
        acked.add(((await r.json()) as { MessageId: string }).MessageId);
      }
    });
    // Wait until all five receives are parked and sends are flowing.
    for (let i = 0; i < 200; i++) {
      const m = parseProm(await (await fetch(`${s.endpoint}/metrics`)).text());
      if (value(m, 'sluice_long_polls_parked') === 5 && acked.size >= 50) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(acked.size).toBeGreaterThanOrEqual(50);
    const signalled = Date.now();
    const code = await s.stop();
    stop = true;
    await Promise.all(senders);
    expect(code).toBe(0);
    for (const p of await Promise.all(polls)) {
      expect(p.status).toBe(200);
      expect(p.body.Messages ?? []).toHaveLength(0);
      expect(p.at - signalled).toBeLessThan(5000);
    }

    const again = await spawnSluice(dir);
    try {
      const seen = new Set<string>();
      for (;;) {
        const r = await again.client.send(
          new ReceiveMessageCommand({ QueueUrl: `${again.endpoint}/${ACCOUNT}/sends`, MaxNumberOfMessages: 10, VisibilityTimeout: 600 }),
        );
        if (!r.Messages?.length) break;
        for (const m of r.Messages) seen.add(m.MessageId!);
      }
      const lost = [...acked].filter((id) => !seen.has(id));
      expect(lost).toEqual([]);
    } finally {
      expect(await again.stop()).toBe(0);
    }
  });

  it('a second signal exits at once', async () => {
    const s = await spawnSluice(dir);
    await s.client.send(new CreateQueueCommand({ QueueName: 'lp2' }));
    const poll = s.client.send(new ReceiveMessageCommand({ QueueUrl: `${s.endpoint}/${ACCOUNT}/lp2`, WaitTimeSeconds: 20 })).catch(() => null);
    const exited = new Promise<number | null>((r) => s.proc.once('exit', (c) => r(c)));
    s.proc.kill('SIGINT');
    s.proc.kill('SIGINT');
    const code = await exited;
    expect([0, 1]).toContain(code);
    await poll;
    s.client.destroy();
  });
});
