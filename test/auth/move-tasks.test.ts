// Message move tasks name queues by ARN or task handle, not QueueUrl: authorization must still
// apply to the source (and to the destination, which receives the messages).
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  StartMessageMoveTaskCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../src/auth/credentials.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const A = '111111111111';
const B = '222222222222';
const ROOT_A: User = { accessKeyId: 'AKIAMOVEA', secretAccessKey: 'move/A', accountId: A };
const ROOT_B: User = { accessKeyId: 'AKIAMOVEB', secretAccessKey: 'move/B', accountId: B };

describe('move tasks under sigv4', () => {
  let t: TestServer;
  const clients: SQSClient[] = [];
  const client = (u: User) => {
    const c = new SQSClient({ endpoint: t.endpoint, region: 'us-east-1', credentials: u, maxAttempts: 1 });
    clients.push(c);
    return c;
  };
  let dlqArn = '';
  beforeAll(async () => {
    t = await startTestServer({ auth: 'sigv4', users: [ROOT_A, ROOT_B] });
    const a = client(ROOT_A);
    const dlq = (await a.send(new CreateQueueCommand({ QueueName: 'mv-dlq' }))).QueueUrl!;
    dlqArn = (await a.send(new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ['QueueArn'] }))).Attributes!['QueueArn']!;
    await a.send(new CreateQueueCommand({
      QueueName: 'mv-src',
      Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }) },
    }));
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await t.close();
  });

  it("another account cannot start, or list, tasks on a queue it has no policy for", async () => {
    const b = client(ROOT_B);
    await expect(b.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 403 },
    });
    await expect(b.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 403 },
    });
  });

  it('the owner can', async () => {
    const a = client(ROOT_A);
    const started = await a.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn }));
    expect(started.TaskHandle).toBeTruthy();
  });
});
