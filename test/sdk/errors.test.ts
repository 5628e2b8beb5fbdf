// Bad input gets the AWS error an SDK expects: status, code (err.name as the SDK derives it, and
// the legacy query code in err.Code), and message; never a crash or a hang. Protocol-level cases
// (unknown action, malformed JSON, oversized body) go over raw HTTP, since the SDK cannot send them.
import {
  ReceiveMessageCommand,
  SendMessageCommand,
  type MessageAttributeValue,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createQueue, E, expectError, uniq } from '../helpers/sdk.js';

let t: TestServer;
let url: string;
beforeAll(async () => {
  t = await startTestServer();
  url = await createQueue(t, 'errors');
});
afterAll(async () => t.close());

const send = (MessageBody: string | undefined, extra: Record<string, unknown> = {}) =>
  t.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody, ...extra } as never));

async function raw(target: string | null, body: string | Buffer, headers: Record<string, string> = {}) {
  const h: Record<string, string> = { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-query-mode': 'true', ...headers };
  if (target !== null) h['x-amz-target'] = target;
  const r = await fetch(`${t.endpoint}/`, { method: 'POST', headers: h, body });
  const text = await r.text();
  return { status: r.status, headers: r.headers, text, json: (() => { try { return JSON.parse(text) as Record<string, string>; } catch { return null; } })() };
}

describe('SendMessage input', () => {
  it.each([['missing', undefined], ['empty', '']])('a %s MessageBody is MissingParameter', async (_why, body) => {
    await expectError(send(body), E.missingParameter('MessageBody'));
  });

  it.each([
    ['NUL', 'a\u0000b'],
    ['a control character', 'a\u0008b'],
    ['U+FFFE', 'a\uFFFEb'],
    ['a lone surrogate', 'a\uD800b'],
  ])('a body with %s is InvalidMessageContents', async (_why, body) => {
    await expectError(send(body), {
      name: 'InvalidMessageContents',
      code: 'InvalidMessageContents',
      status: 400,
      message: 'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF',
    });
  });

  it('MessageDeduplicationId on a standard queue is rejected', async () => {
    await expectError(
      send('x', { MessageDeduplicationId: 'd' }),
      E.invalidParameterValue('Value d for parameter MessageDeduplicationId is invalid. Reason: The request include parameter that is not valid for this queue type.'),
    );
  });

  it('MessageGroupId is accepted on a standard queue (fair queues), but validated', async () => {
    await send('x', { MessageGroupId: 'tenant-1' });
    await expectError(
      send('x', { MessageGroupId: 'has space' }),
      E.invalidParameterValue('Value has space for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.'),
    );
    await expectError(send('x', { MessageGroupId: 'g'.repeat(129) }), E.invalidParameterValue(/MessageGroupId can only include alphanumeric and punctuation characters\. 1 to 128 in length\./));
  });
});

describe('message attribute input', () => {
  const withAttrs = (MessageAttributes: Record<string, MessageAttributeValue>) => send('x', { MessageAttributes });

  it('more than 10 attributes', async () => {
    const eleven = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`a${i}`, { DataType: 'String', StringValue: 'v' }]));
    await expectError(withAttrs(eleven), E.invalidParameterValue('Number of message attributes [11] exceeds the allowed maximum [10].'));
  });

  it.each([['AWS.reserved'], ['amazon.reserved'], ['.leading'], ['trailing.'], ['double..dot'], ['bad name'], ['bad/char'], ['x'.repeat(257)]])(
    'an invalid attribute name %s',
    async (name) => {
      await expectError(withAttrs({ [name]: { DataType: 'String', StringValue: 'v' } }), E.invalidParameterValue());
    },
  );

  it('an attribute name of 256 characters is fine', async () => {
    await withAttrs({ ['n'.repeat(256)]: { DataType: 'String', StringValue: 'v' } });
  });

  it.each([['String'], ['Number'], ['String.custom']])('an empty %s value', async (DataType) => {
    await expectError(
      withAttrs({ a: { DataType, StringValue: '' } }),
      E.invalidParameterValue(`Message (user) attribute 'a' must contain a non-empty value of type '${DataType}'.`),
    );
  });

  it('a String attribute without StringValue', async () => {
    await expectError(withAttrs({ a: { DataType: 'String' } }), E.invalidParameterValue("Message (user) attribute 'a' must contain a non-empty value of type 'String'."));
  });

  it('a Binary attribute without BinaryValue', async () => {
    await expectError(withAttrs({ a: { DataType: 'Binary' } }), E.invalidParameterValue());
  });

  it.each([['abc'], ['1.2.3'], ['1'.repeat(39)]])('a Number attribute %s that is not a number AWS accepts', async (v) => {
    await expectError(withAttrs({ a: { DataType: 'Number', StringValue: v } }), E.invalidParameterValue());
  });

  it('Number attributes in the forms AWS accepts', async () => {
    for (const v of ['0', '-1', '+3.14', '1e10', '.5', '1'.repeat(38)]) await withAttrs({ a: { DataType: 'Number', StringValue: v } });
  });

  it.each([['Integer'], ['string'], ['']])('an unknown DataType %j', async (DataType) => {
    await expectError(withAttrs({ a: { DataType, StringValue: 'v' } }), E.invalidParameterValue());
  });

  it('list values are not supported', async () => {
    await expectError(withAttrs({ a: { DataType: 'String', StringListValues: ['a', 'b'] } }), {
      name: 'UnsupportedOperation',
      code: 'AWS.SimpleQueueService.UnsupportedOperation',
      status: 400,
      message: 'Message attribute list values in SendMessage operation are not supported.',
    });
  });
});

describe('ReceiveMessage input', () => {
  it.each([0, 11])('MaxNumberOfMessages %i', async (MaxNumberOfMessages) => {
    await expectError(
      t.client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages })),
      E.invalidParameterValue(`Value ${MaxNumberOfMessages} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`),
    );
  });

  it.each([-1, 43_201])('VisibilityTimeout %i', async (VisibilityTimeout) => {
    await expectError(
      t.client.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout })),
      E.invalidParameterValue(`Value ${VisibilityTimeout} for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.`),
    );
  });

  it('illegal MessageAttributeNames are ignored, not rejected', async () => {
    const r = await t.client.send(new ReceiveMessageCommand({ QueueUrl: url, MessageAttributeNames: ['bad name!', '..'] }));
    expect(r.$metadata.httpStatusCode).toBe(200);
  });
});

describe('unknown queue', () => {
  it('every queue action answers QueueDoesNotExist, also for a missing QueueUrl', async () => {
    const QueueUrl = `${t.endpoint}/000000000000/${uniq('nope')}`;
    await expectError(t.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' })), E.queueDoesNotExist);
    await expectError(t.client.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 })), E.queueDoesNotExist);
    await expectError(t.client.send(new SendMessageCommand({ MessageBody: 'x' } as never)), E.queueDoesNotExist);
  });
});

describe('protocol-level errors (raw HTTP)', () => {
  it('every response carries x-amzn-RequestId, errors carry x-amzn-query-error', async () => {
    const ok = await raw('AmazonSQS.ListQueues', '{}');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    const bad = await raw('AmazonSQS.GetQueueUrl', JSON.stringify({ QueueName: uniq('nope') }));
    expect(bad.status).toBe(400);
    expect(bad.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(bad.headers.get('x-amzn-query-error')).toBe('AWS.SimpleQueueService.NonExistentQueue;Sender');
    expect(bad.json).toEqual({ __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: 'The specified queue does not exist.' });
  });

  it('an unknown action is UnknownOperationException (query code InvalidAction)', async () => {
    for (const target of ['AmazonSQS.Frobnicate', 'SomethingElse.ListQueues']) {
      const r = await raw(target, '{}');
      expect(r.status).toBe(400);
      expect(r.json?.['__type']).toMatch(/#UnknownOperationException$/);
      expect(r.headers.get('x-amzn-query-error')).toBe('InvalidAction;Sender');
      expect(r.headers.get('x-amzn-requestid')).toBeTruthy();
    }
  });

  it('malformed JSON, or JSON that is not an object, is SerializationException', async () => {
    for (const body of ['{not json', '[1,2]', '"str"', 'null']) {
      const r = await raw('AmazonSQS.ListQueues', body);
      expect(r.status, body).toBe(400);
      expect(r.json?.['__type'], body).toMatch(/#SerializationException$/);
      expect(r.headers.get('x-amzn-query-error'), body).toBe('MalformedInput;Sender');
    }
  });

  it('a member of the wrong JSON type is SerializationException, not a crash', async () => {
    const r = await raw('AmazonSQS.ReceiveMessage', JSON.stringify({ QueueUrl: url, MaxNumberOfMessages: 'ten' }));
    expect(r.status).toBe(400);
    expect(r.json?.['__type']).toMatch(/#(SerializationException|InvalidParameterValueException)$/);
    const s = await raw('AmazonSQS.SendMessage', JSON.stringify({ QueueUrl: url, MessageBody: { nested: true } }));
    expect(s.status).toBe(400);
    expect(s.json?.['__type']).toMatch(/#SerializationException$/);
  });

  it('an oversized request body is RequestEntityTooLarge (413), with a request id', async () => {
    const r = await raw('AmazonSQS.SendMessage', JSON.stringify({ QueueUrl: url, MessageBody: 'x'.repeat(5 * 1024 * 1024) }));
    expect(r.status).toBe(413);
    expect(r.headers.get('x-amzn-requestid')).toBeTruthy();
    expect(r.headers.get('x-amzn-query-error')).toBe('RequestEntityTooLarge;Sender');
  });

  it('the server keeps answering after all of the above', async () => {
    const r = await raw('AmazonSQS.ListQueues', '{}');
    expect(r.status).toBe(200);
  });
});
