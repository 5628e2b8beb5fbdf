// GetQueueAttributes and SetQueueAttributes through the AWS SDK.
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  type QueueAttributeName,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { attrs, createQueue, E, expectError, receive, uniq } from '../helpers/sdk.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.close());

const set = (QueueUrl: string, Attributes: Record<string, string>) =>
  t.client.send(new SetQueueAttributesCommand({ QueueUrl, Attributes }));

describe('GetQueueAttributes', () => {
  it('returns nothing when no names are asked for', async () => {
    const url = await createQueue(t, 'ga-none');
    const r = await t.client.send(new GetQueueAttributesCommand({ QueueUrl: url }));
    expect(r.Attributes ?? {}).toEqual({});
  });

  it('returns only the names asked for', async () => {
    const url = await createQueue(t, 'ga-some');
    const r = await attrs(t, url, ['VisibilityTimeout', 'DelaySeconds']);
    expect(r).toEqual({ VisibilityTimeout: '30', DelaySeconds: '0' });
  });

  it('returns every attribute for All, and leaves FIFO-only attributes off a standard queue', async () => {
    const url = await createQueue(t, 'ga-all');
    const a = await attrs(t, url, ['All']);
    for (const k of [
      'QueueArn',
      'ApproximateNumberOfMessages',
      'ApproximateNumberOfMessagesNotVisible',
      'ApproximateNumberOfMessagesDelayed',
      'CreatedTimestamp',
      'LastModifiedTimestamp',
      'VisibilityTimeout',
      'MaximumMessageSize',
      'MessageRetentionPeriod',
      'DelaySeconds',
      'ReceiveMessageWaitTimeSeconds',
    ]) {
      expect(a, k).toHaveProperty(k);
    }
    for (const k of ['FifoQueue', 'ContentBasedDeduplication', 'DeduplicationScope', 'FifoThroughputLimit']) {
      expect(a, k).not.toHaveProperty(k);
    }
    // A FIFO attribute asked for by name on a standard queue is left out too.
    expect(await attrs(t, url, ['FifoQueue'])).toEqual({});
  });

  it('returns the FIFO attributes with their defaults on a FIFO queue', async () => {
    const url = await createQueue(t, 'ga-fifo', { FifoQueue: 'true' });
    expect(await attrs(t, url, ['FifoQueue', 'ContentBasedDeduplication', 'DeduplicationScope', 'FifoThroughputLimit'])).toEqual({
      FifoQueue: 'true',
      ContentBasedDeduplication: 'false',
      DeduplicationScope: 'queue',
      FifoThroughputLimit: 'perQueue',
    });
  });

  it('rejects an unknown attribute name', async () => {
    const url = await createQueue(t, 'ga-unknown');
    await expectError(
      t.client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['Bogus' as QueueAttributeName] })),
      E.invalidAttributeName('Unknown Attribute Bogus.'),
    );
  });

  it('answers QueueDoesNotExist for an unknown queue', async () => {
    await expectError(
      t.client.send(new GetQueueAttributesCommand({ QueueUrl: `${t.endpoint}/000000000000/${uniq('nope')}`, AttributeNames: ['All'] })),
      E.queueDoesNotExist,
    );
  });

  it('reports CreatedTimestamp and LastModifiedTimestamp in epoch seconds; a change moves only the latter', async () => {
    const before = Math.floor(Date.now() / 1000);
    // The clock is shared by this process's tests: measure the broker's offset with a message.
    const url = await createQueue(t, 'ga-times');
    await t.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'clock' }));
    const [m] = await receive(t, url, { MessageSystemAttributeNames: ['SentTimestamp'] });
    const brokerNowS = Math.floor(Number(m!.Attributes!['SentTimestamp']) / 1000);
    expect(brokerNowS).toBeGreaterThanOrEqual(before);
    const a = await attrs(t, url, ['CreatedTimestamp', 'LastModifiedTimestamp']);
    const created = Number(a['CreatedTimestamp']);
    expect(a['CreatedTimestamp']).toMatch(/^\d{10}$/);
    expect(Math.abs(created - brokerNowS)).toBeLessThanOrEqual(2);
    expect(Number(a['LastModifiedTimestamp'])).toBe(created);

    await t.advance(5_000);
    await set(url, { VisibilityTimeout: '10' });
    const b = await attrs(t, url, ['CreatedTimestamp', 'LastModifiedTimestamp']);
    expect(Number(b['CreatedTimestamp'])).toBe(created);
    expect(Number(b['LastModifiedTimestamp'])).toBeGreaterThanOrEqual(created + 4);
  });
});

describe('SetQueueAttributes', () => {
  it('sets every settable attribute of a standard queue and reads it back', async () => {
    const url = await createQueue(t, 'sa-all');
    const dlq = await createQueue(t, 'sa-dlq');
    const dlqArn = (await attrs(t, dlq, ['QueueArn']))['QueueArn']!;
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: '*', Action: 'sqs:SendMessage', Resource: '*' }],
    });
    const values = {
      DelaySeconds: '900',
      MaximumMessageSize: '1024',
      MessageRetentionPeriod: '60',
      ReceiveMessageWaitTimeSeconds: '20',
      VisibilityTimeout: '43200',
      Policy: policy,
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1000 }),
      RedriveAllowPolicy: JSON.stringify({ redrivePermission: 'denyAll' }),
      SqsManagedSseEnabled: 'false',
    };
    await set(url, values);
    const got = await attrs(t, url);
    for (const [k, v] of Object.entries(values)) {
      if (k === 'RedrivePolicy' || k === 'RedriveAllowPolicy' || k === 'Policy') expect(JSON.parse(got[k]!), k).toEqual(JSON.parse(v));
      else expect(got[k], k).toBe(v);
    }
    // The other ends of the ranges.
    await set(url, { DelaySeconds: '0', MaximumMessageSize: '1048576', MessageRetentionPeriod: '1209600', ReceiveMessageWaitTimeSeconds: '0', VisibilityTimeout: '0' });
    expect(await attrs(t, url, ['DelaySeconds', 'MaximumMessageSize', 'MessageRetentionPeriod', 'ReceiveMessageWaitTimeSeconds', 'VisibilityTimeout'])).toEqual({
      DelaySeconds: '0',
      MaximumMessageSize: '1048576',
      MessageRetentionPeriod: '1209600',
      ReceiveMessageWaitTimeSeconds: '0',
      VisibilityTimeout: '0',
    });
  });

  it('an empty RedrivePolicy removes it', async () => {
    const dlq = await createQueue(t, 'sa-rm-dlq');
    const arn = (await attrs(t, dlq, ['QueueArn']))['QueueArn']!;
    const url = await createQueue(t, 'sa-rm', { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: 2 }) });
    expect(await attrs(t, url, ['RedrivePolicy'])).toHaveProperty('RedrivePolicy');
    await set(url, { RedrivePolicy: '' });
    expect(await attrs(t, url, ['RedrivePolicy'])).toEqual({});
  });

  it.each([
    ['DelaySeconds', '-1'],
    ['DelaySeconds', '901'],
    ['DelaySeconds', 'abc'],
    ['MaximumMessageSize', '1023'],
    ['MaximumMessageSize', '1048577'],
    ['MessageRetentionPeriod', '59'],
    ['MessageRetentionPeriod', '1209601'],
    ['ReceiveMessageWaitTimeSeconds', '21'],
    ['VisibilityTimeout', '43201'],
    ['VisibilityTimeout', '1.5'],
    ['KmsDataKeyReusePeriodSeconds', '59'],
    ['KmsDataKeyReusePeriodSeconds', '86401'],
    ['SqsManagedSseEnabled', 'yes'],
  ])('rejects %s=%s with InvalidAttributeValue and changes nothing', async (name, value) => {
    const url = await createQueue(t, 'sa-range');
    await expectError(set(url, { VisibilityTimeout: '7', [name]: value }), E.invalidAttributeValue(`Invalid value for the parameter ${name}.`));
    // All or nothing: the valid attribute in the same request was not applied.
    expect((await attrs(t, url, ['VisibilityTimeout']))['VisibilityTimeout']).toBe('30');
    // CreateQueue applies the same rules.
    await expectError(
      t.client.send(new CreateQueueCommand({ QueueName: uniq('ca-range'), Attributes: { [name]: value } })),
      E.invalidAttributeValue(`Invalid value for the parameter ${name}.`),
    );
  });

  it('rejects unknown and read-only attribute names', async () => {
    const url = await createQueue(t, 'sa-names');
    for (const name of ['Bogus', 'QueueArn', 'ApproximateNumberOfMessages', 'CreatedTimestamp', 'LastModifiedTimestamp']) {
      await expectError(set(url, { [name]: '1' }), E.invalidAttributeName(`Unknown Attribute ${name}.`));
    }
  });

  it('rejects FIFO attributes on a standard queue', async () => {
    const url = await createQueue(t, 'sa-std-fifo');
    await expectError(set(url, { FifoQueue: 'true' }), E.invalidAttributeName('Unknown Attribute FifoQueue.'));
    await expectError(set(url, { FifoQueue: 'false' }), E.invalidAttributeName('Unknown Attribute FifoQueue.'));
    await expectError(set(url, { ContentBasedDeduplication: 'true' }), E.invalidAttributeName('Unknown Attribute ContentBasedDeduplication.'));
    await expectError(
      set(url, { DeduplicationScope: 'queue' }),
      E.invalidAttributeName('You can specify the DeduplicationScope only when FifoQueue is set to true.'),
    );
    await expectError(
      set(url, { FifoThroughputLimit: 'perQueue' }),
      E.invalidAttributeName('You can specify the FifoThroughputLimit only when FifoQueue is set to true.'),
    );
  });

  it('refuses to change the queue type of a FIFO queue', async () => {
    const url = await createQueue(t, 'sa-fifo-type', { FifoQueue: 'true' });
    await expectError(
      set(url, { FifoQueue: 'false' }),
      E.invalidAttributeValue('Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.'),
    );
  });

  it('accepts FifoQueue=true on a FIFO queue and changes nothing (issue 13)', async () => {
    const url = await createQueue(t, 'sa-fifo-same', { FifoQueue: 'true' });
    const before = await attrs(t, url);
    await t.advance(2_000);
    await set(url, { FifoQueue: 'true' });
    expect(await attrs(t, url)).toEqual(before);
    // With other attributes, those change and FifoQueue stays.
    await set(url, { FifoQueue: 'true', VisibilityTimeout: '45' });
    expect(await attrs(t, url, ['FifoQueue', 'VisibilityTimeout'])).toEqual({ FifoQueue: 'true', VisibilityTimeout: '45' });
  });

  it('CreateQueue refuses FifoQueue=false for a standard queue, as any FIFO attribute (issue 13)', async () => {
    const QueueName = uniq('sa-std-fifofalse');
    await expectError(
      t.client.send(new CreateQueueCommand({ QueueName, Attributes: { FifoQueue: 'false' } })),
      E.invalidAttributeName('Unknown Attribute FifoQueue.'),
    );
    await expectError(
      t.client.send(new GetQueueAttributesCommand({ QueueUrl: `${t.endpoint}/000000000000/${QueueName}` })),
      E.queueDoesNotExist,
    );
  });

  it('sets the FIFO attributes, enforcing messageGroup scope with perMessageGroupId', async () => {
    const url = await createQueue(t, 'sa-fifo', { FifoQueue: 'true' });
    await set(url, { ContentBasedDeduplication: 'true', DeduplicationScope: 'messageGroup', FifoThroughputLimit: 'perMessageGroupId' });
    expect(await attrs(t, url, ['ContentBasedDeduplication', 'DeduplicationScope', 'FifoThroughputLimit'])).toEqual({
      ContentBasedDeduplication: 'true',
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
    });
    await expectError(set(url, { DeduplicationScope: 'bogus' }), E.invalidAttributeValue('Invalid value for the parameter DeduplicationScope.'));
    await expectError(set(url, { FifoThroughputLimit: 'bogus' }), E.invalidAttributeValue('Invalid value for the parameter FifoThroughputLimit.'));
    await expectError(set(url, { ContentBasedDeduplication: 'maybe' }), E.invalidAttributeValue('Invalid value for the parameter ContentBasedDeduplication.'));
    await expectError(
      t.client.send(
        new CreateQueueCommand({
          QueueName: uniq('sa-fifo-bad', true),
          Attributes: { FifoQueue: 'true', DeduplicationScope: 'messageGroup', FifoThroughputLimit: 'perQueue' },
        }),
      ),
      { name: 'InvalidAttributeValue', code: 'InvalidAttributeValue', status: 400, message: /FifoThroughputLimit/ },
    );
  });

  it('rejects KMS together with SQS-managed SSE', async () => {
    const url = await createQueue(t, 'sa-sse');
    await expectError(
      set(url, { KmsMasterKeyId: 'alias/aws/sqs', SqsManagedSseEnabled: 'true' }),
      E.invalidAttributeName('You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE.'),
    );
  });

  it('rejects a Policy that is not JSON', async () => {
    const url = await createQueue(t, 'sa-policy');
    await expectError(set(url, { Policy: '{not json' }), E.invalidAttributeValue(/^Invalid value for the parameter Policy\./));
  });

  describe('RedrivePolicy validation', () => {
    let dlqArn: string;
    let url: string;
    beforeAll(async () => {
      const dlq = await createQueue(t, 'rp-dlq');
      dlqArn = (await attrs(t, dlq, ['QueueArn']))['QueueArn']!;
      url = await createQueue(t, 'rp-src');
    });

    it('rejects a target that is not an ARN', async () => {
      const v = JSON.stringify({ deadLetterTargetArn: 'not-an-arn', maxReceiveCount: 3 });
      await expectError(set(url, { RedrivePolicy: v }), E.invalidParameterValue(`Value ${v} for parameter RedrivePolicy is invalid. Reason: Invalid value for deadLetterTargetArn.`));
    });

    it.each([0, 1001])('rejects maxReceiveCount %i', async (n) => {
      const v = JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: n });
      await expectError(
        set(url, { RedrivePolicy: v }),
        E.invalidParameterValue(`Value ${v} for parameter RedrivePolicy is invalid. Reason: Invalid value for maxReceiveCount: ${n}, valid values are from 1 to 1000 both inclusive.`),
      );
    });

    it('rejects a missing key', async () => {
      const v = JSON.stringify({ deadLetterTargetArn: dlqArn });
      await expectError(
        set(url, { RedrivePolicy: v }),
        E.invalidParameterValue(`Value ${v} for parameter RedrivePolicy is invalid. Reason: The required parameter 'maxReceiveCount' is missing`),
      );
    });

    it('rejects a target queue that does not exist', async () => {
      const v = JSON.stringify({ deadLetterTargetArn: `arn:aws:sqs:us-east-1:000000000000:${uniq('nope')}`, maxReceiveCount: 3 });
      await expectError(set(url, { RedrivePolicy: v }), E.invalidParameterValue(/^Value .* for parameter RedrivePolicy is invalid\. Reason: /));
    });

    it('accepts maxReceiveCount given as a string', async () => {
      await set(url, { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: '5' }) });
      expect(JSON.parse((await attrs(t, url, ['RedrivePolicy']))['RedrivePolicy']!)).toMatchObject({ deadLetterTargetArn: dlqArn });
    });
  });

  it('rejects a bad RedriveAllowPolicy', async () => {
    const url = await createQueue(t, 'rap');
    for (const p of [
      { redrivePermission: 'byQueue' },
      { redrivePermission: 'sometimes' },
      { redrivePermission: 'allowAll', sourceQueueArns: ['arn:aws:sqs:us-east-1:000000000000:x'] },
      { redrivePermission: 'byQueue', sourceQueueArns: Array.from({ length: 11 }, (_, i) => `arn:aws:sqs:us-east-1:000000000000:q${i}`) },
    ]) {
      const v = JSON.stringify(p);
      await expectError(set(url, { RedriveAllowPolicy: v }), E.invalidParameterValue(/^Value .* for parameter RedriveAllowPolicy is invalid\. Reason: /));
    }
    // A valid byQueue policy is accepted.
    await set(url, {
      RedriveAllowPolicy: JSON.stringify({ redrivePermission: 'byQueue', sourceQueueArns: ['arn:aws:sqs:us-east-1:000000000000:x'] }),
    });
    expect(JSON.parse((await attrs(t, url, ['RedriveAllowPolicy']))['RedriveAllowPolicy']!)).toMatchObject({ redrivePermission: 'byQueue' });
  });

  it('answers QueueDoesNotExist for an unknown queue', async () => {
    await expectError(set(`${t.endpoint}/000000000000/${uniq('nope')}`, { VisibilityTimeout: '1' }), E.queueDoesNotExist);
  });

  it('a changed VisibilityTimeout applies to the next receive', async () => {
    const url = await createQueue(t, 'sa-applies');
    await set(url, { VisibilityTimeout: '0' });
    await t.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }));
    expect(await receive(t, url)).toHaveLength(1);
    // Visibility 0: visible again at once.
    expect(await receive(t, url)).toHaveLength(1);
  });
});
