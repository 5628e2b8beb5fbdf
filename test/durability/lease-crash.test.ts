// Issue 13: a received message's lease survives kill -9. A receive is answered only once its
// leases are durable, so after a crash the message stays invisible for its consumer's
// visibility timeout, and that consumer's delete deletes it: no acknowledged delete comes back,
// and no message is delivered to a second consumer while the first one's lease runs. Checked
// on FIFO and standard queues alike (README, Durability).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type Message,
} from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, spawnSluice, type Child } from '../helpers/process.js';

const TRIES = Number(process.env['SLUICE_LEASE_TRIES'] ?? 6);
const ROUNDS = Number(process.env['SLUICE_CRASH_ROUNDS'] ?? 6);
/** Longer than the whole test: a message seen twice means a lease was lost, not expired. */
const VISIBILITY_S = 600;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function dataDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'sluice-lease-'));
  dirs.push(d);
  return d;
}

const entries = (n: number, fifo: boolean, tag: string) =>
  Array.from({ length: n }, (_, i) => ({
    Id: String(i),
    MessageBody: `${tag}-${i}`,
    ...(fifo ? { MessageGroupId: `g${i}`, MessageDeduplicationId: `${tag}-${i}` } : {}),
  }));

describe.each([
  ['FIFO', true],
  ['standard', false],
])('a %s queue: receive, kill -9, restart, delete, receive again', (_kind, fifo) => {
  it(`the leases hold and the deletes delete (${TRIES} tries)`, async () => {
    const dir = dataDir();
    const port = await freePort();
    let s: Child = await spawnSluice(dir, [], port);
    try {
      for (let t = 0; t < TRIES; t++) {
        const QueueName = fifo ? `lease-${t}.fifo` : `lease-${t}`;
        const Attributes: Record<string, string> = fifo ? { FifoQueue: 'true' } : {};
        const { QueueUrl } = await s.client.send(new CreateQueueCommand({ QueueName, Attributes }));
        await s.client.send(new SendMessageBatchCommand({ QueueUrl, Entries: entries(10, fifo, `t${t}`) }));
        const got = await s.client.send(
          new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 30 }),
        );
        const handles = (got.Messages ?? []).map((m) => m.ReceiptHandle!);
        expect(handles.length).toBeGreaterThan(0);
        // At once: the answer is out, so its leases must already be on disk.
        await s.kill9();
        s = await spawnSluice(dir, [], port);
        const early = await s.client.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
        const leased = new Set((got.Messages ?? []).map((m) => m.Body));
        expect((early.Messages ?? []).filter((m) => leased.has(m.Body))).toEqual([]);
        const del = await s.client.send(
          new DeleteMessageBatchCommand({ QueueUrl, Entries: handles.map((h, i) => ({ Id: String(i), ReceiptHandle: h })) }),
        );
        expect(del.Failed ?? []).toEqual([]);
        expect(del.Successful?.length).toBe(handles.length);
        const again = await s.client.send(
          new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0, WaitTimeSeconds: 1 }),
        );
        const back = (again.Messages ?? []).filter((m) => leased.has(m.Body));
        expect(back.map((m) => m.Body)).toEqual([]);
      }
    } finally {
      await s.stop();
    }
  }, 120_000);
});

describe.each([
  ['FIFO', true],
  ['standard', false],
])('a %s queue under load with kill -9 every ~1 s', (_kind, fifo) => {
  it(`delivers nothing twice and resurrects no acknowledged delete (${ROUNDS} kills)`, async () => {
    const dir = dataDir();
    const port = await freePort();
    const QueueName = fifo ? 'lease-load.fifo' : 'lease-load';
    const ackedSends = new Set<string>();
    const ackedDeletes = new Set<string>();
    const attemptedDeletes = new Set<string>();
    const delivered = new Map<string, number>();
    // Received and not yet deleted: their handles outlive the process that issued them.
    let held: Message[] = [];
    let seq = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const s = await spawnSluice(dir, ['--workers', '2', '--test-clock'], port);
      const Attributes: Record<string, string> = fifo ? { FifoQueue: 'true' } : {};
      const { QueueUrl } = await s.client.send(new CreateQueueCommand({ QueueName, Attributes }));
      let stop = false;
      const producer = async () => {
        while (!stop) {
          const batch = Array.from({ length: 10 }, (_, i) => ({
            Id: String(i),
            MessageBody: `m-${round}-${seq++}`,
            ...(fifo ? { MessageGroupId: `g${seq % 20}` } : {}),
          }));
          if (fifo) for (const e of batch) Object.assign(e, { MessageDeduplicationId: e.MessageBody });
          try {
            const r = await s.client.send(new SendMessageBatchCommand({ QueueUrl, Entries: batch }));
            for (const ok of r.Successful ?? []) ackedSends.add(batch[Number(ok.Id)]!.MessageBody);
          } catch {
            return;
          }
        }
      };
      const consumer = async () => {
        while (!stop) {
          try {
            const r = await s.client.send(
              new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: VISIBILITY_S }),
            );
            for (const m of r.Messages ?? []) delivered.set(m.Body!, (delivered.get(m.Body!) ?? 0) + 1);
            held.push(...(r.Messages ?? []));
            // Delete the older half of what is held: some handles come from an earlier process.
            const now = held.splice(0, Math.ceil(held.length / 2)).slice(0, 10);
            if (!now.length) continue;
            try {
              const d = await s.client.send(
                new DeleteMessageBatchCommand({ QueueUrl, Entries: now.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }),
              );
              for (const ok of d.Successful ?? []) ackedDeletes.add(now[Number(ok.Id)]!.Body!);
              expect(d.Failed ?? []).toEqual([]);
            } catch (e) {
              for (const m of now) attemptedDeletes.add(m.Body!);
              throw e;
            }
          } catch {
            return;
          }
        }
      };
      const work = [producer(), consumer(), consumer()];
      await new Promise((r) => setTimeout(r, 600 + Math.random() * 800));
      await s.kill9();
      stop = true;
      await Promise.all(work);
    }
    // Restart, let every lease run out (the test clock), and drain.
    const s = await spawnSluice(dir, ['--test-clock'], port);
    try {
      const QueueUrl = `${s.endpoint}/000000000000/${QueueName}`;
      const r = await fetch(`${s.endpoint}/_sluice/clock?advanceMs=${(VISIBILITY_S + 1) * 1000}`, { method: 'POST' });
      expect(r.status).toBe(200);
      const present = new Set<string>();
      let empty = 0;
      while (empty < 2) {
        const got = await s.client.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 600 }));
        if (!got.Messages?.length) empty++;
        for (const m of got.Messages ?? []) present.add(m.Body!);
        // A FIFO group stays held while a message of it is in flight: delete to drain further.
        if (got.Messages?.length) {
          const Entries = got.Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! }));
          expect((await s.client.send(new DeleteMessageBatchCommand({ QueueUrl, Entries }))).Failed ?? []).toEqual([]);
        }
      }
      const twice = [...delivered].filter(([, n]) => n > 1).map(([b]) => b);
      const resurrected = [...ackedDeletes].filter((b) => present.has(b));
      const missing = [...ackedSends].filter((b) => !present.has(b) && !ackedDeletes.has(b) && !attemptedDeletes.has(b));
      console.log(
        `lease crash (${fifo ? 'FIFO' : 'standard'}): ${ROUNDS} kills, ${ackedSends.size} acknowledged sends, ` +
          `${delivered.size} delivered, ${ackedDeletes.size} acknowledged deletes, ${twice.length} delivered twice, ` +
          `${resurrected.length} resurrected, ${missing.length} missing`,
      );
      expect(ackedDeletes.size).toBeGreaterThan(ROUNDS * 5);
      expect(twice).toEqual([]);
      expect(resurrected).toEqual([]);
      expect(missing).toEqual([]);
    } finally {
      expect(await s.stop()).toBe(0);
    }
  }, 180_000);
});
