// AddPermission / RemovePermission, RedriveAllowPolicy and message move tasks through a real
// Query-protocol client (boto3/botocore 1.34.89), the companion of boto.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { Boto, ensureClient, unavailable } from './boto.js';

const skip = unavailable();
if (skip) console.warn(`test/query/boto-extra.test.ts skipped: ${skip}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(skip !== null)('Query protocol through boto3 1.34.89: permissions and move tasks', () => {
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
  const arnOf = async (QueueUrl: string) =>
    (await b.ok('GetQueueAttributes', { QueueUrl, AttributeNames: ['QueueArn'] })).Attributes.QueueArn as string;
  const policyOf = async (QueueUrl: string) => {
    const a = (await b.ok('GetQueueAttributes', { QueueUrl, AttributeNames: ['Policy'] })).Attributes;
    return a?.Policy === undefined ? undefined : JSON.parse(a.Policy);
  };

  it('AddPermission and RemovePermission edit the Policy; their errors', async () => {
    const url = await create('qx-perm');
    const arn = await arnOf(url);
    await b.ok('AddPermission', { QueueUrl: url, Label: 'p1', AWSAccountIds: ['111122223333', '444455556666'], Actions: ['SendMessage', 'ReceiveMessage'] });
    const wire = await b.wire();
    expect(wire).toContain('Action=AddPermission');
    expect(wire).toContain('AWSAccountId.2=444455556666');
    expect(wire).toContain('ActionName.1=SendMessage');
    expect(await policyOf(url)).toEqual({
      Version: '2012-10-17',
      Id: `${arn}/SQSDefaultPolicy`,
      Statement: [
        {
          Sid: 'p1',
          Effect: 'Allow',
          Principal: { AWS: ['arn:aws:iam::111122223333:root', 'arn:aws:iam::444455556666:root'] },
          Action: ['SQS:SendMessage', 'SQS:ReceiveMessage'],
          Resource: arn,
        },
      ],
    });
    const dup = await b.err('AddPermission', { QueueUrl: url, Label: 'p1', AWSAccountIds: ['111122223333'], Actions: ['SendMessage'] });
    expect(dup).toEqual(
      expect.objectContaining({ Code: 'InvalidParameterValue', Type: 'Sender', HTTPStatusCode: 400, Message: 'Value p1 for parameter Label is invalid. Reason: Already exists.' }),
    );
    const over = await b.err('AddPermission', { QueueUrl: url, Label: 'p2', AWSAccountIds: ['111122223333'], Actions: Array(8).fill('SendMessage') });
    expect(over).toMatchObject({ Code: 'OverLimit', HTTPStatusCode: 403, Message: '8 Actions were found, maximum allowed is 7.' });
    const missing = await b.err('RemovePermission', { QueueUrl: url, Label: 'p9' });
    expect(missing).toMatchObject({
      Code: 'InvalidParameterValue',
      HTTPStatusCode: 400,
      Message: "Value p9 for parameter Label is invalid. Reason: can't find label on existing policy.",
    });
    await b.ok('RemovePermission', { QueueUrl: url, Label: 'p1' });
    expect(await policyOf(url)).toBeUndefined();
    const gone = await b.err('RemovePermission', { QueueUrl: `${url}-none`, Label: 'p1' });
    expect(gone).toMatchObject({ Code: 'AWS.SimpleQueueService.NonExistentQueue', Message: 'The specified queue does not exist for this wsdl version.' });
  });

  it('RedriveAllowPolicy: denyAll and byQueue refuse other source queues', async () => {
    const deny = await create('qx-deny', { Attributes: { RedriveAllowPolicy: '{"redrivePermission":"denyAll"}' } });
    const redrive = (arn: string) => JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: 2 });
    const e1 = await b.err('CreateQueue', { QueueName: 'qx-deny-src', Attributes: { RedrivePolicy: redrive(await arnOf(deny)) } });
    expect(e1).toMatchObject({ Code: 'InvalidParameterValue', HTTPStatusCode: 400 });
    expect(e1.Message).toMatch(/for parameter RedrivePolicy is invalid/);
    const src = await create('qx-src');
    const byq = await create('qx-byq', { Attributes: { RedriveAllowPolicy: JSON.stringify({ redrivePermission: 'byQueue', sourceQueueArns: [await arnOf(src)] }) } });
    const other = await create('qx-other');
    await b.ok('SetQueueAttributes', { QueueUrl: src, Attributes: { RedrivePolicy: redrive(await arnOf(byq)) } });
    const e2 = await b.err('SetQueueAttributes', { QueueUrl: other, Attributes: { RedrivePolicy: redrive(await arnOf(byq)) } });
    expect(e2).toMatchObject({ Code: 'InvalidParameterValue', HTTPStatusCode: 400 });
  });

  it('StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask', async () => {
    const dlq = await create('qx-mt-dlq');
    const dlqArn = await arnOf(dlq);
    const src = await create('qx-mt-src', {
      Attributes: { VisibilityTimeout: '0', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }) },
    });
    await b.ok('SendMessageBatch', { QueueUrl: src, Entries: [0, 1].map((i) => ({ Id: `m${i}`, MessageBody: `b${i}` })) });
    expect((await b.ok('ReceiveMessage', { QueueUrl: src, MaxNumberOfMessages: 10 })).Messages).toHaveLength(2);
    expect((await b.ok('ReceiveMessage', { QueueUrl: src, MaxNumberOfMessages: 10 })).Messages).toBeUndefined();

    const { TaskHandle } = await b.ok('StartMessageMoveTask', { SourceArn: dlqArn, MaxNumberOfMessagesPerSecond: 100 });
    expect(TaskHandle).toEqual(expect.any(String));
    let done: Record<string, any> | undefined;
    for (let i = 0; i < 100 && done?.Status !== 'COMPLETED'; i++) {
      [done] = (await b.ok('ListMessageMoveTasks', { SourceArn: dlqArn, MaxResults: 10 })).Results;
      if (done?.Status !== 'COMPLETED') await sleep(50);
    }
    expect(done).toMatchObject({
      Status: 'COMPLETED',
      SourceArn: dlqArn,
      MaxNumberOfMessagesPerSecond: 100,
      ApproximateNumberOfMessagesMoved: 2,
      ApproximateNumberOfMessagesToMove: 2,
      StartedTimestamp: expect.any(Number),
    });
    expect(done!['TaskHandle']).toBeUndefined();
    const back = await b.ok('ReceiveMessage', { QueueUrl: src, MaxNumberOfMessages: 10, AttributeNames: ['All'] });
    expect(back.Messages.map((m: { Body: string }) => m.Body).sort()).toEqual(['b0', 'b1']);

    const cancel = await b.err('CancelMessageMoveTask', { TaskHandle });
    expect(cancel).toMatchObject({ Code: 'ResourceNotFoundException', HTTPStatusCode: 404, Message: 'Task does not exist.' });
    const notDlq = await b.err('StartMessageMoveTask', { SourceArn: await arnOf(src) });
    expect(notDlq).toMatchObject({ Code: 'InvalidParameterValue', Message: 'Source queue must be configured as a Dead Letter Queue.' });
    const noSource = await b.err('StartMessageMoveTask', { SourceArn: `${dlqArn}-none` });
    expect(noSource).toMatchObject({ Code: 'ResourceNotFoundException', HTTPStatusCode: 404, Type: 'Sender' });

    // A slow task to a given destination, then cancelled.
    const dest = await create('qx-mt-dest');
    await b.ok('SendMessageBatch', { QueueUrl: dlq, Entries: [0, 1, 2].map((i) => ({ Id: `m${i}`, MessageBody: `x${i}` })) });
    const slow = await b.ok('StartMessageMoveTask', { SourceArn: dlqArn, DestinationArn: await arnOf(dest), MaxNumberOfMessagesPerSecond: 1 });
    const busy = await b.err('StartMessageMoveTask', { SourceArn: dlqArn });
    expect(busy).toMatchObject({
      Code: 'InvalidParameterValue',
      Message: 'There is already a task running. Only one active task is allowed for a source queue arn at a given time.',
    });
    const [running] = (await b.ok('ListMessageMoveTasks', { SourceArn: dlqArn })).Results;
    expect(running).toMatchObject({ TaskHandle: slow.TaskHandle, Status: 'RUNNING', DestinationArn: await arnOf(dest), ApproximateNumberOfMessagesToMove: 3 });
    const c = await b.ok('CancelMessageMoveTask', { TaskHandle: slow.TaskHandle });
    expect(c.ApproximateNumberOfMessagesMoved).toEqual(expect.any(Number));
    const all = (await b.ok('ListMessageMoveTasks', { SourceArn: dlqArn, MaxResults: 10 })).Results;
    expect(all.map((r: { Status: string }) => r.Status)).toEqual(['CANCELLED', 'COMPLETED']);
  });
  // Issue 13's last fidelity gaps, as the JSON protocol's SDK tests check them.
  it('FifoQueue=false on CreateQueue of a standard queue is refused; FifoQueue=true on a FIFO queue changes nothing', async () => {
    const refused = await b.err('CreateQueue', { QueueName: 'qx-std-fifofalse', Attributes: { FifoQueue: 'false' } });
    expect(refused).toMatchObject({ Code: 'InvalidAttributeName', Type: 'Sender', HTTPStatusCode: 400, Message: 'Unknown Attribute FifoQueue.' });
    expect((await b.err('GetQueueUrl', { QueueName: 'qx-std-fifofalse' })).Code).toBe('AWS.SimpleQueueService.NonExistentQueue');
    const url = await create('qx-same.fifo', { Attributes: { FifoQueue: 'true' } });
    const before = (await b.ok('GetQueueAttributes', { QueueUrl: url, AttributeNames: ['All'] })).Attributes;
    await t.advance(2_000);
    await b.ok('SetQueueAttributes', { QueueUrl: url, Attributes: { FifoQueue: 'true' } });
    expect((await b.ok('GetQueueAttributes', { QueueUrl: url, AttributeNames: ['All'] })).Attributes).toEqual(before);
    const change = await b.err('SetQueueAttributes', { QueueUrl: url, Attributes: { FifoQueue: 'false' } });
    expect(change).toMatchObject({
      Code: 'InvalidAttributeValue',
      Message: 'Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.',
    });
  });

  it('ReceiveMessage with Hel.* returns the attributes whose names start with Hel (boto checks their MD5)', async () => {
    const url = await create('qx-hel', { Attributes: { VisibilityTimeout: '0' } });
    await b.ok('SendMessage', {
      QueueUrl: url,
      MessageBody: 'hel',
      MessageAttributes: {
        Hello: { DataType: 'String', StringValue: 'w' },
        'Help.Me': { DataType: 'Number', StringValue: '1' },
        Other: { DataType: 'String', StringValue: 'o' },
      },
    });
    const got = await b.ok('ReceiveMessage', { QueueUrl: url, MessageAttributeNames: ['Hel.*'] });
    expect(Object.keys(got.Messages[0].MessageAttributes).sort()).toEqual(['Hello', 'Help.Me']);
    expect(await b.wire()).toContain('MessageAttributeName.1=Hel.%2A');
    const all = await b.ok('ReceiveMessage', { QueueUrl: url, MessageAttributeNames: ['.*'] });
    expect(Object.keys(all.Messages[0].MessageAttributes).sort()).toEqual(['Hello', 'Help.Me', 'Other']);
  });

  it('FIFO DelaySeconds: the single send quotes the value with a final period, a batch entry has the bare text', async () => {
    const url = await create('qx-delay.fifo', { Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'true' } });
    const single = await b.err('SendMessage', { QueueUrl: url, MessageBody: 'x', MessageGroupId: 'g', DelaySeconds: 2 });
    expect(single).toMatchObject({
      Code: 'InvalidParameterValue',
      Message: 'Value 2 for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.',
    });
    const batch = await b.ok('SendMessageBatch', {
      QueueUrl: url,
      Entries: [{ Id: 'a', MessageBody: 'a', MessageGroupId: 'g' }, { Id: 'b', MessageBody: 'b', MessageGroupId: 'g', DelaySeconds: 2 }],
    });
    expect(batch.Failed).toEqual([
      { Id: 'b', SenderFault: true, Code: 'InvalidParameterValue', Message: 'The request include parameter that is not valid for this queue type' },
    ]);
  });
});
