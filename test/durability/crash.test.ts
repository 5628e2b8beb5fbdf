// kill -9 under load, restart, count: every acknowledged send is still there (or was deleted
// by an acknowledged delete), and no acknowledged delete comes back.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, spawnSluice, type Child } from '../helpers/process.js';

const ROUNDS = Number(process.env['SLUICE_CRASH_ROUNDS'] ?? 6);
const URL_PATH = '/000000000000/crash';

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

describe('crash: kill -9 under load loses no acknowledged message', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it(`survives ${ROUNDS} kills`, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sluice-crash-'));
    dirs.push(dir);
    await killRounds(dir, false);
  }, 180_000);

  // Checkpoints back to back (the test endpoint, on one of the two worker threads) while the
  // other thread keeps serving: kills land inside checkpoints too (snapshot parts half written,
  // the rename pending, old segments half deleted).
  it(`survives ${ROUNDS} kills while checkpoints run`, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sluice-crash-ckpt-'));
    dirs.push(dir);
    const checkpoints = await killRounds(dir, true);
    expect(checkpoints).toBeGreaterThan(ROUNDS);
  }, 180_000);
});

/** Runs the kill rounds, then checks what survived; returns how many checkpoints finished. */
async function killRounds(dir: string, checkpointing: boolean): Promise<number> {
  const ackedSends = new Set<string>();
  const ackedDeletes = new Set<string>();
  // Deletes sent but not acknowledged (the server died meanwhile) may or may not have landed.
  const attemptedDeletes = new Set<string>();
  let seq = 0;
  let checkpoints = 0;
  // A new seed each run (printed, so a failure can be replayed with SLUICE_CRASH_SEED).
  const seed = Number(process.env['SLUICE_CRASH_SEED'] ?? Date.now() % 1_000_000_007);
  const random = rng(seed);
  for (let round = 0; round < ROUNDS; round++) {
    // Two HTTP worker threads share the core, as in production.
    const extra = checkpointing ? ['--workers', '2', '--test-clock'] : ['--workers', '2'];
    const s: Child = await spawnSluice(dir, extra, await freePort());
    const QueueUrl = s.endpoint + URL_PATH;
    await s.client.send(new CreateQueueCommand({ QueueName: 'crash', Attributes: { VisibilityTimeout: '1' } }));
    let stop = false;
    const producer = async () => {
      while (!stop) {
        const bodies = Array.from({ length: 1 + Math.floor(random() * 10) }, () => `m-${round}-${seq++}`);
        try {
          const r = await s.client.send(
            new SendMessageBatchCommand({ QueueUrl, Entries: bodies.map((b, i) => ({ Id: String(i), MessageBody: b })) }),
          );
          for (const ok of r.Successful ?? []) ackedSends.add(bodies[Number(ok.Id)]!);
        } catch {
          return; // the server died mid-request: not acknowledged
        }
      }
    };
    const consumer = async () => {
      while (!stop) {
        try {
          const r = await s.client.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
          const msgs = (r.Messages ?? []).filter(() => random() < 0.7);
          if (!msgs.length) continue;
          let d;
          try {
            d = await s.client.send(
              new DeleteMessageBatchCommand({ QueueUrl, Entries: msgs.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }),
            );
          } catch (e) {
            for (const m of msgs) attemptedDeletes.add(m.Body!);
            throw e;
          }
          for (const ok of d.Successful ?? []) ackedDeletes.add(msgs[Number(ok.Id)]!.Body!);
        } catch {
          return;
        }
      }
    };
    const checkpointer = async () => {
      while (!stop) {
        try {
          const r = await fetch(`${s.endpoint}/_sluice/checkpoint`, { method: 'POST' });
          if (r.status === 200) checkpoints++;
        } catch {
          return;
        }
      }
    };
    const work = [producer(), producer(), consumer(), consumer()];
    if (checkpointing) work.push(checkpointer());
    await new Promise((r) => setTimeout(r, 300 + random() * 900));
    await s.kill9();
    stop = true;
    await Promise.all(work);
  }
  // Restart once more and drain: leases from before the crash expire within 1 s.
  const s = await spawnSluice(dir);
  const QueueUrl = s.endpoint + URL_PATH;
  const present = new Set<string>();
  let empty = 0;
  while (empty < 3) {
    const r = await s.client.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2, VisibilityTimeout: 600 }));
    if (!r.Messages?.length) empty++;
    for (const m of r.Messages ?? []) present.add(m.Body!);
  }
  const missing = [...ackedSends].filter((b) => !present.has(b) && !ackedDeletes.has(b) && !attemptedDeletes.has(b));
  const resurrected = [...ackedDeletes].filter((b) => present.has(b));
  console.log(
    `crash test (seed ${seed}${checkpointing ? `, ${checkpoints} checkpoints` : ''}): ${ROUNDS} kills, ` +
      `${ackedSends.size} acknowledged sends, ${ackedDeletes.size} acknowledged deletes, ` +
      `${present.size} present after recovery, ${missing.length} missing, ${resurrected.length} resurrected`,
  );
  expect(ackedSends.size).toBeGreaterThan(ROUNDS * 10);
  expect(present.size).toBeGreaterThan(0);
  expect(missing).toEqual([]);
  expect(resurrected).toEqual([]);
  // The server still works after all that.
  await s.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'after' }));
  expect(await s.stop()).toBe(0);
  return checkpoints;
}
