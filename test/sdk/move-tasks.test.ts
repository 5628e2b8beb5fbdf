// Message move tasks: StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask.
import {
  CancelMessageMoveTaskCommand,
  ListMessageMoveTasksCommand,
  SendMessageBatchCommand,
  StartMessageMoveTaskCommand,
  type ListMessageMoveTasksResultEntry,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { E, attrs, counts, createQueue, expectError, receive, receiveAll, sleep } from '../helpers/sdk.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.close());

const arnOf = async (url: string) => (await attrs(t, url, ['QueueArn']))['QueueArn']!;

/** A dead-letter queue and a source queue whose messages go there on their second receive. */
async function pair() {
  const dlq = await createQueue(t, 'mt-dlq');
  const dlqArn = await arnOf(dlq);
  const src = await createQueue(t, 'mt-src', {
    VisibilityTimeout: '0',
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }),
  });
  return { dlq, dlqArn, src, srcArn: await arnOf(src) };
}

async function fill(url: string, n: number): Promise<void> {
  for (let i = 0; i < n; i += 10) {
    const Entries = Array.from({ length: Math.min(10, n - i) }, (_, j) => ({ Id: `m${j}`, MessageBody: `body-${i + j}` }));
    await t.client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries }));
  }
}

const list = async (SourceArn: string, MaxResults?: number) =>
  (await t.client.send(new ListMessageMoveTasksCommand({ SourceArn, ...(MaxResults ? { MaxResults } : {}) }))).Results ?? [];

async function until(SourceArn: string, status: string): Promise<ListMessageMoveTasksResultEntry> {
  for (let i = 0; i < 200; i++) {
    const [r] = await list(SourceArn);
    if (r?.Status === status) return r;
    await sleep(50);
  }
  throw new Error(`task on ${SourceArn} never reached ${status}: ${JSON.stringify(await list(SourceArn))}`);
}

describe('message move tasks', () => {
  it('moves dead letters back to their source queue by default', async () => {
    const { dlq, dlqArn, src } = await pair();
    await fill(src, 3);
    const first = await receiveAll(t, src, 3);
    expect(first).toHaveLength(3);
    // The second receive finds them over maxReceiveCount: they go to the DLQ.
    expect(await receive(t, src, { MaxNumberOfMessages: 10 })).toHaveLength(0);
    expect((await counts(t, dlq)).visible).toBe(3);

    const before = Date.now();
    const { TaskHandle } = await t.client.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn }));
    expect(TaskHandle).toEqual(expect.any(String));
    const done = await until(dlqArn, 'COMPLETED');
    expect(done).toMatchObject({ Status: 'COMPLETED', SourceArn: dlqArn, ApproximateNumberOfMessagesMoved: 3, ApproximateNumberOfMessagesToMove: 3 });
    expect(done.TaskHandle).toBeUndefined();
    expect(done.DestinationArn).toBeUndefined();
    expect(done.StartedTimestamp).toBeGreaterThanOrEqual(before - 1000);
    expect(done.StartedTimestamp).toBeLessThanOrEqual(Date.now());

    expect((await counts(t, dlq)).visible).toBe(0);
    const back = await receiveAll(t, src, 3, { MessageSystemAttributeNames: ['All'] });
    expect(back.map((m) => m.MessageId).sort()).toEqual(first.map((m) => m.MessageId).sort());
    expect(back.map((m) => m.Body).sort()).toEqual(['body-0', 'body-1', 'body-2']);
    for (const m of back) {
      // The receive count starts again, and the message is no dead letter any more.
      expect(m.Attributes!['ApproximateReceiveCount']).toBe('1');
      expect(m.Attributes!['DeadLetterQueueSourceArn']).toBeUndefined();
    }
    // A finished task cannot be cancelled.
    await expectError(t.client.send(new CancelMessageMoveTaskCommand({ TaskHandle })), {
      name: 'ResourceNotFoundException',
      status: 404,
      message: 'Task does not exist.',
    });
  });

  it('moves to a given destination at the given rate; one running task per source; cancel', async () => {
    const { dlq, dlqArn } = await pair();
    const dest = await createQueue(t, 'mt-dest');
    const destArn = await arnOf(dest);
    await fill(dlq, 30);
    const { TaskHandle } = await t.client.send(
      new StartMessageMoveTaskCommand({ SourceArn: dlqArn, DestinationArn: destArn, MaxNumberOfMessagesPerSecond: 1 }),
    );
    const [running] = await list(dlqArn);
    expect(running).toMatchObject({
      TaskHandle,
      Status: 'RUNNING',
      SourceArn: dlqArn,
      DestinationArn: destArn,
      MaxNumberOfMessagesPerSecond: 1,
      ApproximateNumberOfMessagesToMove: 30,
    });
    await expectError(
      t.client.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn })),
      E.invalidParameterValue('There is already a task running. Only one active task is allowed for a source queue arn at a given time.'),
    );
    await sleep(1_200);
    const { ApproximateNumberOfMessagesMoved: moved } = await t.client.send(new CancelMessageMoveTaskCommand({ TaskHandle }));
    // One message a second: about one in 1.2 s (the machine may be slow, never fast).
    expect(moved).toBeGreaterThanOrEqual(0);
    expect(moved).toBeLessThanOrEqual(2);
    const [cancelled] = await list(dlqArn);
    expect(cancelled).toMatchObject({ Status: 'CANCELLED', ApproximateNumberOfMessagesMoved: moved });
    expect(cancelled!.TaskHandle).toBeUndefined();
    expect((await counts(t, dest)).visible).toBe(moved);
    expect((await counts(t, dlq)).visible).toBe(30 - moved!);
    await expectError(t.client.send(new CancelMessageMoveTaskCommand({ TaskHandle })), {
      name: 'ResourceNotFoundException',
      status: 404,
      message: 'Task does not exist.',
    });

    // A new task may start now; at 500/s it empties the queue.
    await t.client.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn, DestinationArn: destArn, MaxNumberOfMessagesPerSecond: 500 }));
    const done = await until(dlqArn, 'COMPLETED');
    expect(done.ApproximateNumberOfMessagesMoved).toBe(30 - moved!);
    expect((await counts(t, dest)).visible).toBe(30);
    // Most recent first; MaxResults defaults to 1.
    expect((await list(dlqArn)).map((r) => r.Status)).toEqual(['COMPLETED']);
    expect((await list(dlqArn, 10)).map((r) => r.Status)).toEqual(['COMPLETED', 'CANCELLED']);
  });

  it("answers AWS's errors", async () => {
    const { dlqArn, srcArn } = await pair();
    const missingArn = `${srcArn}-missing`;
    const start = (input: Record<string, unknown>) => t.client.send(new StartMessageMoveTaskCommand(input as never));
    await expectError(start({ SourceArn: srcArn }), E.invalidParameterValue('Source queue must be configured as a Dead Letter Queue.'));
    await expectError(start({ SourceArn: missingArn }), {
      name: 'ResourceNotFoundException',
      code: 'ResourceNotFoundException',
      status: 404,
      message: "The resource that you specified for the SourceArn parameter doesn't exist.",
    });
    await expectError(start({ SourceArn: 'not-an-arn' }), E.invalidParameterValue(/^You must use this format to specify the SourceArn/));
    await expectError(start({ SourceArn: dlqArn, DestinationArn: missingArn }), {
      name: 'ResourceNotFoundException',
      status: 404,
      message: "The resource that you specified for the DestinationArn parameter doesn't exist.",
    });
    await expectError(start({ SourceArn: dlqArn, MaxNumberOfMessagesPerSecond: 0 }), E.invalidParameterValue(/MaxNumberOfMessagesPerSecond/));
    await expectError(start({ SourceArn: dlqArn, MaxNumberOfMessagesPerSecond: 501 }), E.invalidParameterValue(/MaxNumberOfMessagesPerSecond/));
    await expectError(
      t.client.send(new CancelMessageMoveTaskCommand({ TaskHandle: 'garbage!' })),
      E.invalidParameterValue('Value for parameter TaskHandle is invalid.'),
    );
    await expectError(t.client.send(new ListMessageMoveTasksCommand({ SourceArn: missingArn })), { name: 'ResourceNotFoundException', status: 404 });
    await expectError(t.client.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn, MaxResults: 11 })), E.invalidParameterValue(/MaxResults/));
    // No task yet: no Results.
    expect(await list(dlqArn)).toEqual([]);
    // An empty dead-letter queue: the task completes at once, having moved nothing.
    await start({ SourceArn: dlqArn });
    expect(await until(dlqArn, 'COMPLETED')).toMatchObject({ ApproximateNumberOfMessagesMoved: 0, ApproximateNumberOfMessagesToMove: 0 });
  });
});
