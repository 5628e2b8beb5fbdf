// Every action Sluice serves, through a real Query-protocol client: boto3/botocore 1.34.89 (the
// last release whose SQS model is "protocol":"query"). boto_client.py checks the MD5s the way
// the Java and .NET SDKs do, since botocore does not.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { Boto, bytes, ensureClient, unavailable } from './boto.js';

const skip = unavailable();
if (skip) console.warn(`test/query/boto.test.ts skipped: ${skip}`);

describe.skipIf(skip !== null)('Query protocol through boto3 1.34.89', () => {
  let t: TestServer;
  let b: Boto;
  beforeAll(async () => {
    ensureClient();
    t = await startTestServer();
    b = new Boto(t.endpoint);
  });
  afterAll(async () => {
    await b?.close();
    await t?.close();
  });

  const create = async (QueueName: string, extra: Record<string, unknown> = {}) =>
    (await b.ok('CreateQueue', { QueueName, ...extra })).QueueUrl as string;

  it('is a Query client', async () => {
    const info = await b.ok('__info__');
    expect(info['protocol']).toBe('query');
    expect(info['botocore']).toBe('1.34.89');
    await b.ok('ListQueues');
    const wire = await b.wire();
    expect(wire).toContain('Action=ListQueues');
    expect(wire).toContain('Version=2012-11-05');
  });

  it('CreateQueue, GetQueueUrl, ListQueues (prefix and pages), DeleteQueue', async () => {
    const url = await create('q-life', { Attributes: { VisibilityTimeout: '45' }, tags: { team: 'a' } });
    expect(url).toMatch(/\/000000000000\/q-life$/);
    expect(await b.wire()).toContain('Attribute.1.Name=VisibilityTimeout');
    expect((await b.ok('GetQueueUrl', { QueueName: 'q-life' })).QueueUrl).toBe(url);
    for (const n of ['q-list-a', 'q-list-b', 'q-list-c']) await create(n);
    const all = await b.ok('ListQueues', { QueueNamePrefix: 'q-list-' });
    expect(all.QueueUrls.map((u: string) => u.split('/').pop())).toEqual(['q-list-a', 'q-list-b', 'q-list-c']);
    expect(all.NextToken).toBeUndefined();
    const p1 = await b.ok('ListQueues', { QueueNamePrefix: 'q-list-', MaxResults: 2 });
    expect(p1.QueueUrls).toHaveLength(2);
    expect(p1.NextToken).toEqual(expect.any(String));
    const p2 = await b.ok('ListQueues', { QueueNamePrefix: 'q-list-', MaxResults: 2, NextToken: p1.NextToken });
    expect(p2.QueueUrls.map((u: string) => u.split('/').pop())).toEqual(['q-list-c']);
    const none = await b.ok('ListQueues', { QueueNamePrefix: 'no-such-prefix' });
    expect(none.QueueUrls).toBeUndefined();
    await b.ok('DeleteQueue', { QueueUrl: url });
    const e = await b.err('GetQueueUrl', { QueueName: 'q-life' });
    expect(e).toMatchObject({
      Code: 'AWS.SimpleQueueService.NonExistentQueue',
      Message: 'The specified queue does not exist for this wsdl version.',
      Type: 'Sender',
      HTTPStatusCode: 400,
    });
  });

  it('CreateQueue again: same attributes is fine, different ones are QueueAlreadyExists', async () => {
    const url = await create('q-again', { Attributes: { DelaySeconds: '5' } });
    expect(await create('q-again', { Attributes: { DelaySeconds: '5' } })).toBe(url);
    const e = await b.err('CreateQueue', { QueueName: 'q-again', Attributes: { DelaySeconds: '6' } });
    expect(e).toMatchObject({ Code: 'QueueAlreadyExists', HTTPStatusCode: 400, Type: 'Sender' });
    expect(e.Message).toContain('DelaySeconds');
  });

  it('QueueDeletedRecently: recreating within 60 s of a delete', async () => {
    const url = await create('q-recent');
    await b.ok('DeleteQueue', { QueueUrl: url });
    const e = await b.err('CreateQueue', { QueueName: 'q-recent' });
    expect(e).toMatchObject({ Code: 'AWS.SimpleQueueService.QueueDeletedRecently', HTTPStatusCode: 400, Type: 'Sender' });
    await t.advance(61_000);
    expect(await create('q-recent')).toBe(url);
  });

  it('GetQueueAttributes and SetQueueAttributes', async () => {
    const url = await create('q-attrs');
    await b.ok('SetQueueAttributes', {
      QueueUrl: url,
      Attributes: { VisibilityTimeout: '60', MaximumMessageSize: '2048', ReceiveMessageWaitTimeSeconds: '1' },
    });
    const all = (await b.ok('GetQueueAttributes', { QueueUrl: url, AttributeNames: ['All'] })).Attributes;
    expect(all).toMatchObject({
      VisibilityTimeout: '60',
      MaximumMessageSize: '2048',
      ReceiveMessageWaitTimeSeconds: '1',
      QueueArn: 'arn:aws:sqs:us-east-1:000000000000:q-attrs',
      ApproximateNumberOfMessages: '0',
    });
    const two = (await b.ok('GetQueueAttributes', { QueueUrl: url, AttributeNames: ['VisibilityTimeout', 'DelaySeconds'] })).Attributes;
    expect(two).toEqual({ VisibilityTimeout: '60', DelaySeconds: '0' });
    expect(await b.wire()).toMatch(/AttributeName\.1=VisibilityTimeout&AttributeName\.2=DelaySeconds/);
    const bad = await b.err('GetQueueAttributes', { QueueUrl: url, AttributeNames: ['Nope'] });
    expect(bad).toMatchObject({ Code: 'InvalidAttributeName', HTTPStatusCode: 400 });
    const badSet = await b.err('SetQueueAttributes', { QueueUrl: url, Attributes: { VisibilityTimeout: '99999' } });
    expect(badSet).toMatchObject({ Code: 'InvalidAttributeValue', HTTPStatusCode: 400 });
  });

  it('SendMessage and ReceiveMessage with message attributes (MD5s verified)', async () => {
    const url = await create('q-msg');
    const body = 'line one\r\nline two & <three> "quoted" \'single\' ✓ 😀';
    const MessageAttributes = {
      s: { DataType: 'String', StringValue: 'a <b> & c\r\n' },
      n: { DataType: 'Number', StringValue: '12.5' },
      bin: { DataType: 'Binary', BinaryValue: bytes([0, 1, 2, 255]) },
      'ns.custom': { DataType: 'String.custom', StringValue: 'x' },
    };
    const sent = await b.ok('SendMessage', { QueueUrl: url, MessageBody: body, MessageAttributes });
    expect(sent.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(sent.MD5OfMessageBody).toBe(createHash('md5').update(body).digest('hex'));
    expect(sent.MD5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    const wire = await b.wire();
    expect(wire).toContain('MessageAttribute.1.Name=');
    expect(wire).toContain('.Value.DataType=');
    const got = await b.ok('ReceiveMessage', {
      QueueUrl: url,
      MessageAttributeNames: ['All'],
      AttributeNames: ['All'],
      MaxNumberOfMessages: 10,
    });
    expect(got.Messages).toHaveLength(1);
    const m = got.Messages[0];
    expect(m.Body).toBe(body);
    expect(m.MessageId).toBe(sent.MessageId);
    expect(m.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
    expect(m.MessageAttributes).toEqual({
      s: { DataType: 'String', StringValue: 'a <b> & c\r\n' },
      n: { DataType: 'Number', StringValue: '12.5' },
      bin: { DataType: 'Binary', BinaryValue: bytes([0, 1, 2, 255]) },
      'ns.custom': { DataType: 'String.custom', StringValue: 'x' },
    });
    expect(m.Attributes).toMatchObject({ ApproximateReceiveCount: '1', SenderId: expect.any(String), SentTimestamp: expect.stringMatching(/^\d+$/) });
    // A subset of attributes by name and by prefix: the MD5 covers only those returned.
    await b.ok('ChangeMessageVisibility', { QueueUrl: url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 });
    const some = await b.ok('ReceiveMessage', { QueueUrl: url, MessageAttributeNames: ['s', 'ns.*'], AttributeNames: ['ApproximateReceiveCount'] });
    expect(Object.keys(some.Messages[0].MessageAttributes).sort()).toEqual(['ns.custom', 's']);
    expect(some.Messages[0].Attributes).toEqual({ ApproximateReceiveCount: '2' });
    await b.ok('DeleteMessage', { QueueUrl: url, ReceiptHandle: some.Messages[0].ReceiptHandle });
    expect((await b.ok('ReceiveMessage', { QueueUrl: url, VisibilityTimeout: 0 })).Messages).toBeUndefined();
  });

  it('ReceiveMessage: long polling wakes on a send', async () => {
    const url = await create('q-wait');
    const started = Date.now();
    const pending = b.ok('ReceiveMessage', { QueueUrl: url, WaitTimeSeconds: 5, AttributeNames: ['SentTimestamp'] });
    await new Promise((r) => setTimeout(r, 200));
    // A second client, so the first can wait.
    const b2 = new Boto(t.endpoint);
    try {
      await b2.ok('SendMessage', { QueueUrl: url, MessageBody: 'wake' });
    } finally {
      await b2.close();
    }
    const got = await pending;
    expect(got.Messages[0].Body).toBe('wake');
    expect(Object.keys(got.Messages[0].Attributes)).toEqual(['SentTimestamp']);
    expect(Date.now() - started).toBeLessThan(4000);
    // Nothing to get: the wait runs out and the answer is an empty result.
    const empty = await b.ok('ReceiveMessage', { QueueUrl: url, WaitTimeSeconds: 1 });
    expect(empty.Messages).toBeUndefined();
  });

  it('FIFO: groups, dedup ids, sequence numbers', async () => {
    const url = await create('q-fifo.fifo', { Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'true' } });
    const a = await b.ok('SendMessage', { QueueUrl: url, MessageBody: 'one', MessageGroupId: 'g' });
    const dup = await b.ok('SendMessage', { QueueUrl: url, MessageBody: 'one', MessageGroupId: 'g' });
    expect(dup.MessageId).toBe(a.MessageId);
    expect(a.SequenceNumber).toMatch(/^\d+$/);
    const got = await b.ok('ReceiveMessage', { QueueUrl: url, AttributeNames: ['All'], MaxNumberOfMessages: 10 });
    expect(got.Messages).toHaveLength(1);
    expect(got.Messages[0].Attributes).toMatchObject({ MessageGroupId: 'g', SequenceNumber: a.SequenceNumber });
    const e = await b.err('SendMessage', { QueueUrl: url, MessageBody: 'x' });
    expect(e).toMatchObject({ Code: 'MissingParameter', HTTPStatusCode: 400 });
  });

  it('SendMessageBatch with successes and failures; batch errors', async () => {
    const url = await create('q-batch');
    const res = await b.ok('SendMessageBatch', {
      QueueUrl: url,
      Entries: [
        { Id: 'a', MessageBody: 'first', MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } } },
        { Id: 'b', MessageBody: 'second', DelaySeconds: 0 },
        { Id: 'bad', MessageBody: 'x', DelaySeconds: 901 },
      ],
    });
    expect(await b.wire()).toContain('SendMessageBatchRequestEntry.3.DelaySeconds=901');
    expect(res.Successful.map((s: any) => s.Id).sort()).toEqual(['a', 'b']);
    expect(res.Failed).toEqual([{ Id: 'bad', SenderFault: true, Code: expect.any(String), Message: expect.any(String) }]);
    expect(res.Failed[0].Code).toBe('InvalidParameterValue');
    const empty = await b.err('SendMessageBatch', { QueueUrl: url, Entries: [] });
    expect(empty).toMatchObject({ Code: 'AWS.SimpleQueueService.EmptyBatchRequest', HTTPStatusCode: 400 });
    const many = await b.err('SendMessageBatch', {
      QueueUrl: url,
      Entries: Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, MessageBody: 'x' })),
    });
    expect(many).toMatchObject({ Code: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest', HTTPStatusCode: 400 });
    const same = await b.err('SendMessageBatch', {
      QueueUrl: url,
      Entries: [{ Id: 'x', MessageBody: '1' }, { Id: 'x', MessageBody: '2' }],
    });
    expect(same).toMatchObject({ Code: 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct', HTTPStatusCode: 400 });
    const badId = await b.err('SendMessageBatch', { QueueUrl: url, Entries: [{ Id: 'not ok!', MessageBody: '1' }] });
    expect(badId).toMatchObject({ Code: 'AWS.SimpleQueueService.InvalidBatchEntryId', HTTPStatusCode: 400 });
  });

  it('DeleteMessageBatch and ChangeMessageVisibilityBatch with failures', async () => {
    const url = await create('q-batch2');
    await b.ok('SendMessageBatch', {
      QueueUrl: url,
      Entries: [1, 2, 3].map((i) => ({ Id: `m${i}`, MessageBody: `body ${i}` })),
    });
    const got = await b.ok('ReceiveMessage', { QueueUrl: url, MaxNumberOfMessages: 10 });
    expect(got.Messages).toHaveLength(3);
    const [m1, m2, m3] = got.Messages;
    const cv = await b.ok('ChangeMessageVisibilityBatch', {
      QueueUrl: url,
      Entries: [
        { Id: 'one', ReceiptHandle: m1.ReceiptHandle, VisibilityTimeout: 0 },
        { Id: 'two', ReceiptHandle: m2.ReceiptHandle, VisibilityTimeout: 120 },
        { Id: 'junk', ReceiptHandle: 'not-a-handle', VisibilityTimeout: 10 },
      ],
    });
    expect(cv.Successful.map((s: any) => s.Id).sort()).toEqual(['one', 'two']);
    expect(cv.Failed).toHaveLength(1);
    expect(cv.Failed[0]).toMatchObject({ Id: 'junk', SenderFault: true, Code: 'ReceiptHandleIsInvalid' });
    const del = await b.ok('DeleteMessageBatch', {
      QueueUrl: url,
      Entries: [
        { Id: 'd2', ReceiptHandle: m2.ReceiptHandle },
        { Id: 'd3', ReceiptHandle: m3.ReceiptHandle },
        { Id: 'dx', ReceiptHandle: 'garbage' },
      ],
    });
    expect(del.Successful.map((s: any) => s.Id).sort()).toEqual(['d2', 'd3']);
    expect(del.Failed).toEqual([{ Id: 'dx', SenderFault: true, Code: 'ReceiptHandleIsInvalid', Message: expect.any(String) }]);
    const again = await b.ok('ReceiveMessage', { QueueUrl: url, MaxNumberOfMessages: 10 });
    expect(again.Messages.map((m: any) => m.Body)).toEqual(['body 1']);
  });

  it('ChangeMessageVisibility and DeleteMessage errors', async () => {
    const url = await create('q-vis');
    await b.ok('SendMessage', { QueueUrl: url, MessageBody: 'v' });
    const m = (await b.ok('ReceiveMessage', { QueueUrl: url })).Messages[0];
    await b.ok('ChangeMessageVisibility', { QueueUrl: url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 });
    const m2 = (await b.ok('ReceiveMessage', { QueueUrl: url })).Messages[0];
    expect(m2.MessageId).toBe(m.MessageId);
    const range = await b.err('ChangeMessageVisibility', { QueueUrl: url, ReceiptHandle: m2.ReceiptHandle, VisibilityTimeout: 43201 });
    expect(range).toMatchObject({ Code: 'InvalidParameterValue', HTTPStatusCode: 400 });
    const bad = await b.err('DeleteMessage', { QueueUrl: url, ReceiptHandle: 'bogus' });
    expect(bad).toMatchObject({ Code: 'ReceiptHandleIsInvalid', HTTPStatusCode: 404 });
    await b.ok('DeleteMessage', { QueueUrl: url, ReceiptHandle: m2.ReceiptHandle });
  });

  it('PurgeQueue, and PurgeQueueInProgress within 60 s', async () => {
    const url = await create('q-purge');
    await b.ok('SendMessage', { QueueUrl: url, MessageBody: 'p' });
    await b.ok('PurgeQueue', { QueueUrl: url });
    expect((await b.ok('ReceiveMessage', { QueueUrl: url })).Messages).toBeUndefined();
    const e = await b.err('PurgeQueue', { QueueUrl: url });
    expect(e).toMatchObject({ Code: 'AWS.SimpleQueueService.PurgeQueueInProgress', HTTPStatusCode: 403 });
  });

  it('TagQueue, UntagQueue, ListQueueTags, and tags on CreateQueue', async () => {
    const url = await create('q-tags', { tags: { env: 'test', 'cost-center': '42' } });
    expect(await b.wire()).toContain('Tag.1.Key=');
    expect((await b.ok('ListQueueTags', { QueueUrl: url })).Tags).toEqual({ env: 'test', 'cost-center': '42' });
    await b.ok('TagQueue', { QueueUrl: url, Tags: { owner: 'me & you' } });
    await b.ok('UntagQueue', { QueueUrl: url, TagKeys: ['env'] });
    expect(await b.wire()).toContain('TagKey.1=env');
    expect((await b.ok('ListQueueTags', { QueueUrl: url })).Tags).toEqual({ 'cost-center': '42', owner: 'me & you' });
    await b.ok('UntagQueue', { QueueUrl: url, TagKeys: ['cost-center', 'owner'] });
    expect((await b.ok('ListQueueTags', { QueueUrl: url })).Tags).toBeUndefined();
  });

  it('dead-letter queues: RedrivePolicy, ListDeadLetterSourceQueues, the move on receive', async () => {
    const dlq = await create('q-dlq');
    const dlqArn = (await b.ok('GetQueueAttributes', { QueueUrl: dlq, AttributeNames: ['QueueArn'] })).Attributes.QueueArn;
    const redrive = JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 });
    const src = await create('q-src', { Attributes: { RedrivePolicy: redrive } });
    const src2 = await create('q-src2', { Attributes: { RedrivePolicy: redrive } });
    const list = await b.ok('ListDeadLetterSourceQueues', { QueueUrl: dlq });
    expect(list.queueUrls).toEqual([src, src2]);
    const page = await b.ok('ListDeadLetterSourceQueues', { QueueUrl: dlq, MaxResults: 1 });
    expect(page.queueUrls).toEqual([src]);
    expect(page.NextToken).toEqual(expect.any(String));
    await b.ok('SendMessage', { QueueUrl: src, MessageBody: 'doomed' });
    expect((await b.ok('ReceiveMessage', { QueueUrl: src, VisibilityTimeout: 0 })).Messages).toHaveLength(1);
    expect((await b.ok('ReceiveMessage', { QueueUrl: src })).Messages).toBeUndefined();
    const moved = await b.ok('ReceiveMessage', { QueueUrl: dlq, AttributeNames: ['All'] });
    expect(moved.Messages[0].Body).toBe('doomed');
    expect(moved.Messages[0].Attributes.DeadLetterQueueSourceArn).toBe('arn:aws:sqs:us-east-1:000000000000:q-src');
    const e = await b.err('ListDeadLetterSourceQueues', { QueueUrl: dlq.replace('q-dlq', 'q-none') });
    expect(e.Code).toBe('AWS.SimpleQueueService.NonExistentQueue');
  });

  it('QueueDoesNotExist from every queue action', async () => {
    const QueueUrl = `${t.endpoint}/000000000000/no-such-queue`;
    const calls: [string, Record<string, unknown>][] = [
      ['DeleteQueue', { QueueUrl }],
      ['GetQueueAttributes', { QueueUrl, AttributeNames: ['All'] }],
      ['SetQueueAttributes', { QueueUrl, Attributes: { DelaySeconds: '1' } }],
      ['PurgeQueue', { QueueUrl }],
      ['SendMessage', { QueueUrl, MessageBody: 'x' }],
      ['SendMessageBatch', { QueueUrl, Entries: [{ Id: 'a', MessageBody: 'x' }] }],
      ['ReceiveMessage', { QueueUrl }],
      ['ListQueueTags', { QueueUrl }],
      ['TagQueue', { QueueUrl, Tags: { a: 'b' } }],
      ['UntagQueue', { QueueUrl, TagKeys: ['a'] }],
    ];
    for (const [op, params] of calls) {
      const e = await b.err(op, params);
      expect({ op, ...e }).toMatchObject({
        op,
        Code: 'AWS.SimpleQueueService.NonExistentQueue',
        Message: 'The specified queue does not exist for this wsdl version.',
        Type: 'Sender',
        HTTPStatusCode: 400,
      });
    }
  });

  it('validation errors keep their Query codes', async () => {
    const badName = await b.err('CreateQueue', { QueueName: 'bad name!' });
    expect(badName).toMatchObject({ Code: 'InvalidParameterValue', HTTPStatusCode: 400, Type: 'Sender' });
    const missing = await b.err('CreateQueue', {});
    expect(missing).toMatchObject({ Code: 'MissingParameter', HTTPStatusCode: 400 });
    const url = await create('q-valid');
    const recv = await b.err('ReceiveMessage', { QueueUrl: url, MaxNumberOfMessages: 11 });
    expect(recv).toMatchObject({ Code: 'InvalidParameterValue', HTTPStatusCode: 400 });
    const contents = await b.err('SendMessage', { QueueUrl: url, MessageBody: 'bad \u0001 char' });
    expect(contents).toMatchObject({ Code: 'InvalidMessageContents', HTTPStatusCode: 400 });
    const ownerOnly = await b.err('AddPermission', { QueueUrl: url, Label: 'l', AWSAccountIds: ['111122223333'], Actions: ['DeleteQueue'] });
    expect(ownerOnly).toMatchObject({ Code: 'InvalidParameterValue', HTTPStatusCode: 400, Type: 'Sender' });
  });
});
