// Fair queues (AWS, 2025): MessageGroupId on a standard queue is a tenant key. Delivery stays
// unordered, but one noisy group must not starve the others.
import http from 'node:http';
import { DeleteMessageBatchCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { counts, createQueue, receive } from '../helpers/sdk.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.close());

// The SDK costs ~1.5 ms of client CPU per request, on the same thread as the in-process broker;
// the 100,000-message backlog goes over raw AWS JSON requests (same action, same wire format) on
// keep-alive connections to keep the suite fast. Everything asserted goes through the SDK.
async function flood(url: string, group: string, n: number, concurrency = 32): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const { hostname, port } = new URL(t.endpoint);
  const post = (body: string) =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(
        {
          agent,
          host: hostname,
          port,
          method: 'POST',
          path: '/',
          headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.SendMessageBatch', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const out = JSON.parse(text) as { Successful?: unknown[]; Failed?: unknown[] };
            if (res.statusCode !== 200 || out.Failed?.length) reject(new Error(`send failed: ${res.statusCode} ${text}`));
            else resolve();
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const start = next;
      next = Math.min(n, next + 10);
      const Entries = [];
      for (let i = start; i < next; i++) Entries.push({ Id: `e${i - start}`, MessageBody: `${group}:${i}`, MessageGroupId: group });
      await post(JSON.stringify({ QueueUrl: url, Entries }));
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
}

describe('fair queues', () => {
  it('a group with 10 messages is served within the first receives despite a 100,000-message backlog', { timeout: 60_000 }, async () => {
    const url = await createQueue(t, 'fair', { VisibilityTimeout: '600' });
    await flood(url, 'noisy', 100_000);
    // The small group's messages go through the SDK.
    const sent = await t.client.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `q${i}`, MessageBody: `quiet:${i}`, MessageGroupId: 'quiet' })),
      }),
    );
    expect(sent.Successful).toHaveLength(10);
    expect((await counts(t, url)).visible).toBe(100_010);

    const quiet: string[] = [];
    let receives = 0;
    while (quiet.length < 10 && receives < 4) {
      const got = await receive(t, url, { MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['MessageGroupId'] });
      receives++;
      for (const m of got) {
        expect(m.Attributes!['MessageGroupId']).toBe(m.Body!.split(':')[0]);
        if (m.Body!.startsWith('quiet:')) quiet.push(m.Body!);
      }
    }
    expect(quiet.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `quiet:${i}`).sort());
    expect(receives).toBeLessThanOrEqual(4);
  });

  it('with several groups each backlogged, receives spread across all of them', async () => {
    const url = await createQueue(t, 'fair-spread', { VisibilityTimeout: '600' });
    await flood(url, 'big', 2_000, 16);
    for (const g of ['t1', 't2', 't3']) await flood(url, g, 20, 1);
    const seen = new Map<string, number>();
    for (let r = 0; r < 4; r++) {
      const got = await receive(t, url, { MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['MessageGroupId'] });
      for (const m of got) seen.set(m.Attributes!['MessageGroupId']!, (seen.get(m.Attributes!['MessageGroupId']!) ?? 0) + 1);
      await t.client.send(
        new DeleteMessageBatchCommand({ QueueUrl: url, Entries: got.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })) }),
      );
    }
    // 40 messages out of 4 groups: every small tenant gets a fair share, the big one no more than its share plus slack.
    for (const g of ['t1', 't2', 't3']) expect(seen.get(g) ?? 0, g).toBeGreaterThanOrEqual(5);
    expect(seen.get('big') ?? 0).toBeLessThanOrEqual(25);
  });

  it('messages without a group id on a standard queue still flow alongside groups', async () => {
    const url = await createQueue(t, 'fair-mixed', { VisibilityTimeout: '600' });
    await flood(url, 'grp', 500, 8);
    await t.client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'a', MessageBody: 'nogroup' }] }));
    const bodies: string[] = [];
    for (let r = 0; r < 60 && !bodies.includes('nogroup'); r++) {
      bodies.push(...(await receive(t, url, { MaxNumberOfMessages: 10 })).map((m) => m.Body!));
    }
    expect(bodies).toContain('nogroup');
  });
});
