// Message move tasks with several HTTP worker threads: the core holds one registry for all of
// them, so a task started through one worker is listed, refused a second start and cancelled
// through any other, and only one driver moves its messages (the rate holds).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CancelMessageMoveTaskCommand,
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  SendMessageBatchCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, spawnSluice, type Child } from '../helpers/process.js';
import { E, expectError, sleep } from '../helpers/sdk.js';

/** Clients on separate connections: SO_REUSEPORT spreads them over the workers. */
const CLIENTS = 8;

describe('move tasks across worker threads', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sluice-workers-moves-'));
  let s: Child;
  const clients: SQSClient[] = [];
  beforeAll(async () => {
    s = await spawnSluice(dir, ['--workers', '2'], await freePort());
    for (let i = 0; i < CLIENTS; i++) {
      clients.push(new SQSClient({ endpoint: s.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 }));
    }
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const client = (i: number) => clients[i % CLIENTS]!;

  async function dlqWithMessages(name: string, n: number): Promise<{ dlqArn: string; destUrl: string; destArn: string }> {
    const c = client(0);
    const arnOf = async (QueueUrl: string) =>
      (await c.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!['QueueArn']!;
    const { QueueUrl: dlqUrl } = await c.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
    const dlqArn = await arnOf(dlqUrl!);
    await c.send(
      new CreateQueueCommand({
        QueueName: `${name}-src`,
        Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }) },
      }),
    );
    const { QueueUrl: destUrl } = await c.send(new CreateQueueCommand({ QueueName: `${name}-dest` }));
    for (let i = 0; i < n; i += 10) {
      const Entries = Array.from({ length: Math.min(10, n - i) }, (_, j) => ({ Id: `m${j}`, MessageBody: `b${i + j}` }));
      await c.send(new SendMessageBatchCommand({ QueueUrl: dlqUrl, Entries }));
    }
    return { dlqArn, destUrl: destUrl!, destArn: await arnOf(destUrl!) };
  }

  it('lists, refuses and cancels a task through every worker', async () => {
    // Each round starts through another client and lists/cancels through all the others, so
    // with connections spread over two workers most pairs cross threads.
    for (let round = 0; round < 4; round++) {
      const { dlqArn, destArn } = await dlqWithMessages(`mt${round}`, 50);
      const { TaskHandle } = await client(round).send(
        new StartMessageMoveTaskCommand({ SourceArn: dlqArn, DestinationArn: destArn, MaxNumberOfMessagesPerSecond: 1 }),
      );
      for (let i = 1; i < CLIENTS; i++) {
        const c = client(round + i);
        const { Results } = await c.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn }));
        expect(Results?.map((r) => [r.TaskHandle, r.Status])).toEqual([[TaskHandle, 'RUNNING']]);
        await expectError(
          c.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn })),
          E.invalidParameterValue('There is already a task running. Only one active task is allowed for a source queue arn at a given time.'),
        );
      }
      const { ApproximateNumberOfMessagesMoved: moved } = await client(round + 1).send(new CancelMessageMoveTaskCommand({ TaskHandle }));
      for (let i = 0; i < CLIENTS; i++) {
        const { Results } = await client(i).send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn }));
        expect(Results?.map((r) => [r.Status, r.ApproximateNumberOfMessagesMoved])).toEqual([['CANCELLED', moved]]);
        await expectError(client(i).send(new CancelMessageMoveTaskCommand({ TaskHandle })), {
          name: 'ResourceNotFoundException',
          status: 404,
          message: 'Task does not exist.',
        });
      }
    }
  });

  it('drives a task once, however many workers there are', async () => {
    const { dlqArn, destArn, destUrl } = await dlqWithMessages('rate', 200);
    const { TaskHandle } = await client(3).send(
      new StartMessageMoveTaskCommand({ SourceArn: dlqArn, DestinationArn: destArn, MaxNumberOfMessagesPerSecond: 10 }),
    );
    const started = Date.now();
    await sleep(2_000);
    const { ApproximateNumberOfMessagesMoved: moved } = await client(4).send(new CancelMessageMoveTaskCommand({ TaskHandle }));
    const seconds = (Date.now() - started) / 1000;
    // 10 a second: a second driver would double it; a slow machine only lowers it.
    expect(moved).toBeGreaterThan(0);
    expect(moved).toBeLessThanOrEqual(Math.ceil(10 * seconds) + 1);
    const { Attributes } = await client(5).send(
      new GetQueueAttributesCommand({ QueueUrl: destUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    expect(Number(Attributes!['ApproximateNumberOfMessages'])).toBe(moved);
  });
});
