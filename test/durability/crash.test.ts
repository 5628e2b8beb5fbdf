// kill -9 under load, restart, count: every acknowledged send is still there (or was deleted
// by an acknowledged delete), and no acknowledged delete comes back. A message move task
// killed while it runs resumes with its count and neither loses nor duplicates a message;
// PurgeQueue's and DeleteQueue's 60 s cooldowns hold across a kill.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  StartMessageMoveTaskCommand,
  type ListMessageMoveTasksResultEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, spawnSluice, type Child } from '../helpers/process.js';
import { expectError } from '../helpers/sdk.js';

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

describe('crash: kill -9 keeps move tasks and cooldowns', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it(`a running move task survives ${ROUNDS} kills with its count, moving each message once`, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sluice-crash-move-'));
    dirs.push(dir);
    const seed = Number(process.env['SLUICE_CRASH_SEED'] ?? Date.now() % 1_000_000_007);
    const random = rng(seed);
    // --test-clock for the checkpoint endpoint: some rounds restart from a snapshot.
    const args = ['--workers', '2', '--test-clock'];
    let s = await spawnSluice(dir, args, await freePort());
    const url = (name: string) => `${s.endpoint}/000000000000/${name}`;
    const arn = (name: string) => `arn:aws:sqs:us-east-1:000000000000:${name}`;
    await s.client.send(new CreateQueueCommand({ QueueName: 'mv-dlq' }));
    await s.client.send(
      new CreateQueueCommand({
        QueueName: 'mv-src',
        Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arn('mv-dlq'), maxReceiveCount: 1 }) },
      }),
    );
    await s.client.send(new CreateQueueCommand({ QueueName: 'mv-dest' }));
    const bodies = Array.from({ length: MOVE_MESSAGES }, (_, i) => `mv-${i}`);
    for (let i = 0; i < bodies.length; i += 10) {
      const Entries = bodies.slice(i, i + 10).map((MessageBody, j) => ({ Id: String(j), MessageBody }));
      await s.client.send(new SendMessageBatchCommand({ QueueUrl: url('mv-dlq'), Entries }));
    }
    await s.client.send(
      new StartMessageMoveTaskCommand({ SourceArn: arn('mv-dlq'), DestinationArn: arn('mv-dest'), MaxNumberOfMessagesPerSecond: MOVE_RATE }),
    );
    let resumed = 0;
    for (let round = 0; round < ROUNDS; round++) {
      await new Promise((r) => setTimeout(r, 200 + random() * 600));
      if (random() < 0.5) expect((await fetch(`${s.endpoint}/_sluice/checkpoint`, { method: 'POST' })).status).toBe(200);
      await s.kill9();
      s = await spawnSluice(dir, args, await freePort());
      const seen = await consistentTask(s.client, arn('mv-dlq'), [url('mv-dlq'), url('mv-dest')]);
      // The task came back with the count its moved messages show: nothing lost, nothing twice.
      expect(seen.task).toMatchObject({ SourceArn: arn('mv-dlq'), DestinationArn: arn('mv-dest'), ApproximateNumberOfMessagesToMove: MOVE_MESSAGES });
      expect(seen.counts).toEqual([MOVE_MESSAGES - seen.task.ApproximateNumberOfMessagesMoved!, seen.task.ApproximateNumberOfMessagesMoved]);
      if (seen.task.Status === 'RUNNING' && seen.task.ApproximateNumberOfMessagesMoved! > 0) resumed++;
    }
    expect(resumed, `seed ${seed}: the task was never caught running after a kill`).toBeGreaterThan(0);
    // It finishes after the last restart, and every message is in the destination once.
    let task: ListMessageMoveTasksResultEntry | undefined;
    for (let i = 0; i < 200 && task?.Status !== 'COMPLETED'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      task = (await s.client.send(new ListMessageMoveTasksCommand({ SourceArn: arn('mv-dlq') }))).Results?.[0];
    }
    expect(task).toMatchObject({ Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: MOVE_MESSAGES });
    const got: string[] = [];
    for (;;) {
      const r = await s.client.send(new ReceiveMessageCommand({ QueueUrl: url('mv-dest'), MaxNumberOfMessages: 10, VisibilityTimeout: 600 }));
      if (!r.Messages?.length) break;
      got.push(...r.Messages.map((m) => m.Body!));
    }
    console.log(`move task crash test (seed ${seed}): ${ROUNDS} kills, caught running after ${resumed}, ${got.length} moved`);
    expect(got.sort()).toEqual([...bodies].sort());
    expect(await s.stop()).toBe(0);
  }, 120_000);

  it('PurgeQueue and DeleteQueue cooldowns hold across kill -9', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sluice-crash-cooldown-'));
    dirs.push(dir);
    let s = await spawnSluice(dir, ['--test-clock']);
    const { QueueUrl: purged } = await s.client.send(new CreateQueueCommand({ QueueName: 'cd-purge' }));
    const { QueueUrl: deleted } = await s.client.send(new CreateQueueCommand({ QueueName: 'cd-delete' }));
    await s.client.send(new SendMessageCommand({ QueueUrl: purged, MessageBody: 'x' }));
    await s.client.send(new PurgeQueueCommand({ QueueUrl: purged }));
    await s.client.send(new DeleteQueueCommand({ QueueUrl: deleted }));
    await s.kill9();
    s = await spawnSluice(dir, ['--test-clock']);
    await expectError(s.client.send(new PurgeQueueCommand({ QueueUrl: purged })), { name: 'PurgeQueueInProgress', status: 403 });
    await expectError(s.client.send(new CreateQueueCommand({ QueueName: 'cd-delete' })), { name: 'QueueDeletedRecently', status: 400 });
    // Killed again within the cooldown: still refused, and both end 60 s after the originals.
    await s.kill9();
    s = await spawnSluice(dir, ['--test-clock']);
    await expectError(s.client.send(new PurgeQueueCommand({ QueueUrl: purged })), { name: 'PurgeQueueInProgress', status: 403 });
    const r = await fetch(`${s.endpoint}/_sluice/clock?advanceMs=61000`, { method: 'POST' });
    expect(r.status).toBe(200);
    await s.client.send(new PurgeQueueCommand({ QueueUrl: purged }));
    await s.client.send(new CreateQueueCommand({ QueueName: 'cd-delete' }));
    expect(await s.stop()).toBe(0);
  }, 60_000);
});

/** Messages the move task test moves, and its rate: about 3 s of moving at full speed. */
const MOVE_MESSAGES = 300;
const MOVE_RATE = 100;

/**
 * The task and the visible counts of `urls`, read while the task did not move in between (the
 * moved count is the same before and after the counts), so they can be compared exactly.
 */
async function consistentTask(
  client: SQSClient,
  sourceArn: string,
  urls: string[],
): Promise<{ task: ListMessageMoveTasksResultEntry; counts: number[] }> {
  const task = async () => (await client.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn }))).Results![0]!;
  for (let attempt = 0; attempt < 50; attempt++) {
    const before = await task();
    const counts: number[] = [];
    for (const QueueUrl of urls) {
      const r = await client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
      counts.push(Number(r.Attributes!['ApproximateNumberOfMessages']));
    }
    const after = await task();
    if (after.ApproximateNumberOfMessagesMoved === before.ApproximateNumberOfMessagesMoved) return { task: after, counts };
  }
  throw new Error('the move task never paused between two reads');
}

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
