// Queue lifecycle through the AWS SDK: CreateQueue, GetQueueUrl, ListQueues, DeleteQueue,
// PurgeQueue, tags and ListDeadLetterSourceQueues.
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  ListQueueTagsCommand,
  ListQueuesCommand,
  PurgeQueueCommand,
  SendMessageCommand,
  SQSClient,
  SetQueueAttributesCommand,
  TagQueueCommand,
  UntagQueueCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { attrs, counts, createQueue, E, expectError, receive, uniq } from '../helpers/sdk.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.close());

describe('CreateQueue', () => {
  it('returns an AWS-shaped URL and ARN', async () => {
    const name = uniq('create');
    const { QueueUrl } = await t.client.send(new CreateQueueCommand({ QueueName: name }));
    const host = new URL(t.endpoint).host;
    expect(QueueUrl).toBe(`http://${host}/000000000000/${name}`);
    const a = await attrs(t, QueueUrl!, ['QueueArn']);
    expect(a['QueueArn']).toBe(`arn:aws:sqs:us-east-1:000000000000:${name}`);
  });

  it('is idempotent with the same attributes, or with none given', async () => {
    const name = uniq('idem');
    const Attributes = { VisibilityTimeout: '45', DelaySeconds: '2' };
    const a = await t.client.send(new CreateQueueCommand({ QueueName: name, Attributes }));
    const b = await t.client.send(new CreateQueueCommand({ QueueName: name, Attributes }));
    expect(b.QueueUrl).toBe(a.QueueUrl);
    const c = await t.client.send(new CreateQueueCommand({ QueueName: name }));
    expect(c.QueueUrl).toBe(a.QueueUrl);
    // Attributes are not changed by a repeated create.
    expect((await attrs(t, a.QueueUrl!, ['VisibilityTimeout']))['VisibilityTimeout']).toBe('45');
  });

  it('refuses an existing name with a different attribute value', async () => {
    const name = uniq('differ');
    await t.client.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '45' } }));
    await expectError(t.client.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '46' } })), {
      name: 'QueueNameExists',
      code: 'QueueAlreadyExists',
      status: 400,
      message: 'A queue already exists with the same name and a different value for attribute VisibilityTimeout',
    });
  });

  it('applies the AWS defaults to a new queue', async () => {
    const url = await createQueue(t, 'defaults');
    const a = await attrs(t, url);
    expect(a).toMatchObject({
      VisibilityTimeout: '30',
      MaximumMessageSize: '1048576',
      MessageRetentionPeriod: '345600',
      DelaySeconds: '0',
      ReceiveMessageWaitTimeSeconds: '0',
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
      ApproximateNumberOfMessagesDelayed: '0',
      SqsManagedSseEnabled: 'true',
    });
    expect(a['FifoQueue']).toBeUndefined();
    expect(a['RedrivePolicy']).toBeUndefined();
  });

  it.each([
    ['empty', ''],
    ['too long', 'a'.repeat(81)],
    ['a space', 'bad name'],
    ['a dot', 'bad.name'],
    ['a slash', 'bad/name'],
  ])('rejects a queue name with %s', async (_why, QueueName) => {
    await expectError(
      t.client.send(new CreateQueueCommand({ QueueName })),
      E.invalidParameterValue('Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length'),
    );
  });

  it('accepts a name of exactly 80 characters (the .fifo suffix counts)', async () => {
    const name = `n${process.pid}`.padEnd(80, 'x');
    const { QueueUrl } = await t.client.send(new CreateQueueCommand({ QueueName: name }));
    expect(QueueUrl!.endsWith(`/${name}`)).toBe(true);
    const fifoName = `f${process.pid}`.padEnd(75, 'y') + '.fifo';
    expect(fifoName).toHaveLength(80);
    const f = await t.client.send(new CreateQueueCommand({ QueueName: fifoName, Attributes: { FifoQueue: 'true' } }));
    expect(f.QueueUrl!.endsWith(`/${fifoName}`)).toBe(true);
    await expectError(
      t.client.send(new CreateQueueCommand({ QueueName: 'z'.repeat(76) + '.fifo', Attributes: { FifoQueue: 'true' } })),
      E.invalidParameterValue(/^The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with \.fifo suffix and be 1 to 80 in length/),
    );
  });

  it('rejects unknown and read-only attributes', async () => {
    await expectError(
      t.client.send(new CreateQueueCommand({ QueueName: uniq('bad-attr'), Attributes: { Bogus: '1' } })),
      E.invalidAttributeName('Unknown Attribute Bogus.'),
    );
    await expectError(
      t.client.send(new CreateQueueCommand({ QueueName: uniq('bad-attr'), Attributes: { QueueArn: 'x' } })),
      E.invalidAttributeName('Unknown Attribute QueueArn.'),
    );
  });

  it('creates a queue with tags', async () => {
    const { QueueUrl } = await t.client.send(
      new CreateQueueCommand({ QueueName: uniq('tagged'), tags: { team: 'core', env: 'test' } }),
    );
    const r = await t.client.send(new ListQueueTagsCommand({ QueueUrl }));
    expect(r.Tags).toEqual({ team: 'core', env: 'test' });
  });
});

describe('GetQueueUrl', () => {
  it('finds a queue by name', async () => {
    const url = await createQueue(t, 'geturl');
    const name = url.split('/').pop()!;
    const r = await t.client.send(new GetQueueUrlCommand({ QueueName: name }));
    expect(r.QueueUrl).toBe(url);
    const owned = await t.client.send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: '000000000000' }));
    expect(owned.QueueUrl).toBe(url);
  });

  it('answers QueueDoesNotExist for an unknown name', async () => {
    await expectError(t.client.send(new GetQueueUrlCommand({ QueueName: uniq('missing') })), E.queueDoesNotExist);
  });

  it('answers QueueDoesNotExist for another account', async () => {
    const url = await createQueue(t, 'other-acct');
    const name = url.split('/').pop()!;
    await expectError(
      t.client.send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: '111111111111' })),
      E.queueDoesNotExist,
    );
  });
});

describe('queue URLs', () => {
  it('resolves a URL with another host but a known path', async () => {
    const url = await createQueue(t, 'otherhost');
    const foreign = url.replace(/^http:\/\/[^/]+/, 'http://sqs.elsewhere.example:4566');
    await t.client.send(new SendMessageCommand({ QueueUrl: foreign, MessageBody: 'via foreign host' }));
    const [m] = await receive(t, url);
    expect(m?.Body).toBe('via foreign host');
  });

  it('answers QueueDoesNotExist for an unknown queue, another account, or a malformed URL', async () => {
    const url = await createQueue(t, 'urls');
    for (const QueueUrl of [
      `${t.endpoint}/000000000000/${uniq('nope')}`,
      url.replace('/000000000000/', '/111111111111/'),
      `${t.endpoint}/not-a-queue-url`,
    ]) {
      await expectError(t.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' })), E.queueDoesNotExist);
    }
  });

  it('returns URLs whose host follows the Host header the client used', async () => {
    const port = new URL(t.endpoint).port;
    const viaLocalhost = new SQSClient({
      endpoint: `http://localhost:${port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
    try {
      const name = uniq('hosthdr');
      const { QueueUrl } = await viaLocalhost.send(new CreateQueueCommand({ QueueName: name }));
      expect(QueueUrl).toBe(`http://localhost:${port}/000000000000/${name}`);
      const r = await t.client.send(new GetQueueUrlCommand({ QueueName: name }));
      expect(r.QueueUrl).toBe(`http://127.0.0.1:${port}/000000000000/${name}`);
    } finally {
      viaLocalhost.destroy();
    }
  });
});

describe('ListQueues', () => {
  const prefix = `lst${process.pid}`;
  const names = Array.from({ length: 7 }, (_, i) => `${prefix}-${String(i).padStart(2, '0')}`);
  beforeAll(async () => {
    for (const QueueName of names) await t.client.send(new CreateQueueCommand({ QueueName }));
    await t.client.send(new CreateQueueCommand({ QueueName: `${prefix.toUpperCase()}-upper` }));
  });

  it('lists by case-sensitive prefix', async () => {
    const r = await t.client.send(new ListQueuesCommand({ QueueNamePrefix: prefix }));
    expect(r.QueueUrls?.map((u) => u.split('/').pop()).sort()).toEqual(names);
    expect(r.NextToken).toBeUndefined();
    const all = await t.client.send(new ListQueuesCommand({}));
    expect(all.QueueUrls!.length).toBeGreaterThanOrEqual(names.length + 1);
  });

  it('pages with MaxResults and NextToken, visiting each queue once', async () => {
    const seen: string[] = [];
    let NextToken: string | undefined;
    let pages = 0;
    do {
      const r = await t.client.send(new ListQueuesCommand({ QueueNamePrefix: prefix, MaxResults: 3, NextToken }));
      expect(r.QueueUrls!.length).toBeLessThanOrEqual(3);
      seen.push(...r.QueueUrls!.map((u) => u.split('/').pop()!));
      NextToken = r.NextToken;
      pages++;
    } while (NextToken && pages < 10);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual(names);
  });

  it('returns no QueueUrls when nothing matches', async () => {
    const r = await t.client.send(new ListQueuesCommand({ QueueNamePrefix: 'no-such-prefix-xyz' }));
    expect(r.QueueUrls ?? []).toEqual([]);
  });

  it('rejects MaxResults out of range', async () => {
    for (const MaxResults of [0, 1001]) {
      await expectError(t.client.send(new ListQueuesCommand({ MaxResults })), E.invalidParameterValue(/MaxResults/));
    }
  });
});

describe('DeleteQueue', () => {
  it('deletes the queue and its messages; the name is then unknown', async () => {
    const url = await createQueue(t, 'del');
    await t.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }));
    await t.client.send(new DeleteQueueCommand({ QueueUrl: url }));
    const name = url.split('/').pop()!;
    await expectError(t.client.send(new GetQueueUrlCommand({ QueueName: name })), E.queueDoesNotExist);
    await expectError(t.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' })), E.queueDoesNotExist);
    await expectError(t.client.send(new DeleteQueueCommand({ QueueUrl: url })), E.queueDoesNotExist);
    const r = await t.client.send(new ListQueuesCommand({ QueueNamePrefix: name }));
    expect(r.QueueUrls ?? []).toEqual([]);
  });

  it('refuses to recreate the name within 60 seconds, and allows it after', async () => {
    const url = await createQueue(t, 'recreate');
    const name = url.split('/').pop()!;
    await t.client.send(new DeleteQueueCommand({ QueueUrl: url }));
    await expectError(t.client.send(new CreateQueueCommand({ QueueName: name })), {
      name: 'QueueDeletedRecently',
      code: 'AWS.SimpleQueueService.QueueDeletedRecently',
      status: 400,
      message: 'You must wait 60 seconds after deleting a queue before you can create another with the same name.',
    });
    await t.advance(61_000);
    const again = await t.client.send(new CreateQueueCommand({ QueueName: name }));
    expect(again.QueueUrl).toBe(url);
    expect((await counts(t, url)).visible).toBe(0);
  });
});

describe('PurgeQueue', () => {
  it('removes visible and in-flight messages, and allows one purge per 60 seconds', async () => {
    const url = await createQueue(t, 'purge');
    for (let i = 0; i < 5; i++) await t.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: `m${i}` }));
    const inflight = await receive(t, url, { MaxNumberOfMessages: 2 });
    expect(inflight).toHaveLength(2);
    await t.client.send(new PurgeQueueCommand({ QueueUrl: url }));
    expect(await counts(t, url)).toEqual({ visible: 0, inflight: 0, delayed: 0 });
    expect(await receive(t, url, { VisibilityTimeout: 0 })).toHaveLength(0);
    const name = url.split('/').pop()!;
    await expectError(t.client.send(new PurgeQueueCommand({ QueueUrl: url })), {
      name: 'PurgeQueueInProgress',
      code: 'AWS.SimpleQueueService.PurgeQueueInProgress',
      status: 403,
      message: `Only one PurgeQueue operation on ${name} is allowed every 60 seconds.`,
    });
    // Messages sent after the purge are kept.
    await t.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'after' }));
    expect((await receive(t, url))[0]?.Body).toBe('after');
    await t.advance(61_000);
    await t.client.send(new PurgeQueueCommand({ QueueUrl: url }));
  });

  it('answers QueueDoesNotExist for an unknown queue', async () => {
    await expectError(
      t.client.send(new PurgeQueueCommand({ QueueUrl: `${t.endpoint}/000000000000/${uniq('nope')}` })),
      E.queueDoesNotExist,
    );
  });
});

describe('tags', () => {
  it('tags, overwrites, lists and untags (keys case-sensitive; unknown keys ignored)', async () => {
    const url = await createQueue(t, 'tags');
    expect((await t.client.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags).toBeUndefined();
    await t.client.send(new TagQueueCommand({ QueueUrl: url, Tags: { a: '1', B: '2' } }));
    await t.client.send(new TagQueueCommand({ QueueUrl: url, Tags: { a: 'one', b: '3' } }));
    expect((await t.client.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags).toEqual({ a: 'one', B: '2', b: '3' });
    await t.client.send(new UntagQueueCommand({ QueueUrl: url, TagKeys: ['B', 'not-there'] }));
    expect((await t.client.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags).toEqual({ a: 'one', b: '3' });
    await t.client.send(new UntagQueueCommand({ QueueUrl: url, TagKeys: ['a', 'b'] }));
    expect((await t.client.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags).toBeUndefined();
  });

  it('rejects more than 50 tags on a queue', async () => {
    const url = await createQueue(t, 'manytags');
    const tags = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']));
    await t.client.send(new TagQueueCommand({ QueueUrl: url, Tags: tags }));
    await expectError(t.client.send(new TagQueueCommand({ QueueUrl: url, Tags: { extra: 'v' } })), E.invalidParameterValue());
    expect(Object.keys((await t.client.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags!)).toHaveLength(50);
  });

  it('tag actions on an unknown queue answer QueueDoesNotExist', async () => {
    const QueueUrl = `${t.endpoint}/000000000000/${uniq('nope')}`;
    await expectError(t.client.send(new TagQueueCommand({ QueueUrl, Tags: { a: 'b' } })), E.queueDoesNotExist);
    await expectError(t.client.send(new UntagQueueCommand({ QueueUrl, TagKeys: ['a'] })), E.queueDoesNotExist);
    await expectError(t.client.send(new ListQueueTagsCommand({ QueueUrl })), E.queueDoesNotExist);
  });
});

describe('ListDeadLetterSourceQueues', () => {
  it('lists the queues whose RedrivePolicy targets the queue, with paging', async () => {
    const dlq = await createQueue(t, 'dlq-target');
    const arn = (await attrs(t, dlq, ['QueueArn']))['QueueArn']!;
    const RedrivePolicy = JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: 3 });
    const empty = await t.client.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq }));
    expect(empty.queueUrls ?? []).toEqual([]);
    const sources: string[] = [];
    for (let i = 0; i < 3; i++) sources.push(await createQueue(t, `dlq-src${i}`, { RedrivePolicy }));
    // One more source via SetQueueAttributes.
    const late = await createQueue(t, 'dlq-late');
    await t.client.send(new SetQueueAttributesCommand({ QueueUrl: late, Attributes: { RedrivePolicy } }));
    sources.push(late);
    const all = await t.client.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq }));
    expect([...all.queueUrls!].sort()).toEqual([...sources].sort());
    expect(all.NextToken).toBeUndefined();

    const seen: string[] = [];
    let NextToken: string | undefined;
    let pages = 0;
    do {
      const r = await t.client.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq, MaxResults: 3, NextToken }));
      seen.push(...r.queueUrls!);
      NextToken = r.NextToken;
      pages++;
    } while (NextToken && pages < 5);
    expect(pages).toBe(2);
    expect(seen.sort()).toEqual([...sources].sort());

    // Removing the policy removes the source.
    await t.client.send(new SetQueueAttributesCommand({ QueueUrl: late, Attributes: { RedrivePolicy: '' } }));
    const after = await t.client.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq }));
    expect(after.queueUrls).not.toContain(late);
    expect(after.queueUrls).toHaveLength(3);
  });

  it('answers QueueDoesNotExist for an unknown queue', async () => {
    await expectError(
      t.client.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: `${t.endpoint}/000000000000/${uniq('nope')}` })),
      E.queueDoesNotExist,
    );
  });
});
