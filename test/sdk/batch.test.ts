// SendMessageBatch, DeleteMessageBatch and ChangeMessageVisibilityBatch: whole-request checks
// and per-entry failures.
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { counts, createQueue, expectError, md5, md5OfAttributes, receive, receiveAll, uniq } from '../helpers/sdk.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.close());

const sendBatch = (QueueUrl: string, Entries: SendMessageBatchRequestEntry[]) =>
  t.client.send(new SendMessageBatchCommand({ QueueUrl, Entries }));

describe('SendMessageBatch', () => {
  it('sends up to 10 entries, each with its own MD5s and attributes', async () => {
    const url = await createQueue(t, 'sb');
    const entries = Array.from({ length: 10 }, (_, i) => ({
      Id: `e_${i}-x`,
      MessageBody: `body ${i} ✓`,
      ...(i % 2 ? { MessageAttributes: { n: { DataType: 'Number', StringValue: String(i) } } } : {}),
    }));
    const r = await sendBatch(url, entries);
    expect(r.Failed ?? []).toEqual([]);
    expect(r.Successful).toHaveLength(10);
    for (const s of r.Successful!) {
      const e = entries.find((x) => x.Id === s.Id)!;
      expect(s.MD5OfMessageBody).toBe(md5(e.MessageBody));
      expect(s.MessageId).toMatch(/^[0-9a-f-]{36}$/);
      if (e.MessageAttributes) expect(s.MD5OfMessageAttributes).toBe(md5OfAttributes(e.MessageAttributes));
      else expect(s.MD5OfMessageAttributes).toBeUndefined();
    }
    expect(new Set(r.Successful!.map((s) => s.MessageId)).size).toBe(10);
    const got = await receiveAll(t, url, 10, { MessageAttributeNames: ['All'] });
    expect(got.map((m) => m.Body).sort()).toEqual(entries.map((e) => e.MessageBody).sort());
    for (const m of got) {
      const s = r.Successful!.find((x) => x.MessageId === m.MessageId)!;
      expect(m.MD5OfMessageAttributes).toBe(s.MD5OfMessageAttributes);
    }
  });

  it('fails only the bad entries; the others are sent', async () => {
    const url = await createQueue(t, 'sb-partial', { MaximumMessageSize: '1024' });
    const r = await sendBatch(url, [
      { Id: 'ok1', MessageBody: 'fine' },
      { Id: 'chars', MessageBody: 'bad \u0000 char' },
      { Id: 'big', MessageBody: 'x'.repeat(1025) },
      { Id: 'delay', MessageBody: 'x', DelaySeconds: 901 },
      { Id: 'attr', MessageBody: 'x', MessageAttributes: { a: { DataType: 'String', StringValue: '' } } },
      { Id: 'ok2', MessageBody: 'also fine' },
    ]);
    expect(r.Successful!.map((s) => s.Id).sort()).toEqual(['ok1', 'ok2']);
    const failed = Object.fromEntries(r.Failed!.map((f) => [f.Id, f]));
    expect(Object.keys(failed).sort()).toEqual(['attr', 'big', 'chars', 'delay']);
    expect(failed['chars']).toEqual({
      Id: 'chars',
      SenderFault: true,
      Code: 'InvalidMessageContents',
      Message: 'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF',
    });
    expect(failed['big']).toEqual({
      Id: 'big',
      SenderFault: true,
      Code: 'InvalidParameterValue',
      Message: 'One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.',
    });
    expect(failed['delay']).toMatchObject({ SenderFault: true, Code: 'InvalidParameterValue' });
    expect(failed['attr']).toMatchObject({ SenderFault: true, Code: 'InvalidParameterValue' });
    expect((await receiveAll(t, url, 10)).map((m) => m.Body).sort()).toEqual(['also fine', 'fine']);
  });

  it('a batch whose entries all fail is still a success response', async () => {
    const url = await createQueue(t, 'sb-allfail');
    const r = await sendBatch(url, [{ Id: 'a', MessageBody: '\u0001' }]);
    expect(r.$metadata.httpStatusCode).toBe(200);
    expect(r.Successful ?? []).toEqual([]);
    expect(r.Failed).toHaveLength(1);
  });

  it('rejects a batch over 1 MiB in total, even when each entry fits', async () => {
    const url = await createQueue(t, 'sb-toolong');
    const body = 'x'.repeat(600_000);
    await expectError(
      sendBatch(url, [
        { Id: 'a', MessageBody: body },
        { Id: 'b', MessageBody: body },
      ]),
      {
        name: 'BatchRequestTooLong',
        code: 'AWS.SimpleQueueService.BatchRequestTooLong',
        status: 400,
        message: 'Batch requests cannot be longer than 1048576 bytes. You have sent 1200000 bytes.',
      },
    );
    expect((await counts(t, url)).visible).toBe(0);
    // Exactly 1 MiB in total is fine.
    const r = await sendBatch(url, [
      { Id: 'a', MessageBody: 'x'.repeat(524_288) },
      { Id: 'b', MessageBody: 'x'.repeat(524_288) },
    ]);
    expect(r.Successful).toHaveLength(2);
  });
});

describe('whole-request batch checks', () => {
  let url: string;
  beforeAll(async () => {
    url = await createQueue(t, 'batch-checks');
  });

  const actions = {
    SendMessageBatch: (Entries: { Id: string }[]) =>
      t.client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: Entries.map((e) => ({ ...e, MessageBody: 'x' })) })),
    DeleteMessageBatch: (Entries: { Id: string }[]) =>
      t.client.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: Entries.map((e) => ({ ...e, ReceiptHandle: 'h' })) })),
    ChangeMessageVisibilityBatch: (Entries: { Id: string }[]) =>
      t.client.send(
        new ChangeMessageVisibilityBatchCommand({ QueueUrl: url, Entries: Entries.map((e) => ({ ...e, ReceiptHandle: 'h', VisibilityTimeout: 1 })) }),
      ),
  };

  describe.each(Object.keys(actions) as (keyof typeof actions)[])('%s', (action) => {
    const call = actions[action];

    it('rejects an empty batch', async () => {
      await expectError(call([]), {
        name: 'EmptyBatchRequest',
        code: 'AWS.SimpleQueueService.EmptyBatchRequest',
        status: 400,
        message: `There should be at least one ${action}RequestEntry in the request.`,
      });
    });

    it('rejects more than 10 entries', async () => {
      await expectError(call(Array.from({ length: 11 }, (_, i) => ({ Id: `i${i}` }))), {
        name: 'TooManyEntriesInBatchRequest',
        code: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
        status: 400,
        message: 'Maximum number of entries per request are 10. You have sent 11.',
      });
    });

    it.each([['a space', 'a b'], ['a dot', 'a.b'], ['81 characters', 'x'.repeat(81)], ['empty', '']])('rejects an id with %s', async (_why, Id) => {
      await expectError(call([{ Id: 'ok' }, { Id }]), {
        name: 'InvalidBatchEntryId',
        code: 'AWS.SimpleQueueService.InvalidBatchEntryId',
        status: 400,
        message: 'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
      });
    });

    it('rejects repeated ids', async () => {
      await expectError(call([{ Id: 'same' }, { Id: 'other' }, { Id: 'same' }]), {
        name: 'BatchEntryIdsNotDistinct',
        code: 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
        status: 400,
        message: 'Id same repeated.',
      });
    });

    it('answers QueueDoesNotExist for an unknown queue', async () => {
      const QueueUrl = `${t.endpoint}/000000000000/${uniq('nope')}`;
      const cmd =
        action === 'SendMessageBatch'
          ? new SendMessageBatchCommand({ QueueUrl, Entries: [{ Id: 'a', MessageBody: 'x' }] })
          : action === 'DeleteMessageBatch'
            ? new DeleteMessageBatchCommand({ QueueUrl, Entries: [{ Id: 'a', ReceiptHandle: 'h' }] })
            : new ChangeMessageVisibilityBatchCommand({ QueueUrl, Entries: [{ Id: 'a', ReceiptHandle: 'h', VisibilityTimeout: 1 }] });
      await expectError(t.client.send(cmd as never), {
        name: 'QueueDoesNotExist',
        code: 'AWS.SimpleQueueService.NonExistentQueue',
        status: 400,
        message: 'The specified queue does not exist.',
      });
    });

    it('accepts an 80-character id with hyphens and underscores', async () => {
      const r = (await call([{ Id: `${'a'.repeat(78)}-_` }])) as { Successful?: unknown[]; Failed?: unknown[] };
      expect((r.Successful?.length ?? 0) + (r.Failed?.length ?? 0)).toBe(1);
    });
  });
});

describe('DeleteMessageBatch', () => {
  it('deletes ten at once', async () => {
    const url = await createQueue(t, 'db10');
    await sendBatch(url, Array.from({ length: 10 }, (_, i) => ({ Id: `m${i}`, MessageBody: `m${i}` })));
    const got = await receiveAll(t, url, 10);
    expect(got).toHaveLength(10);
    const r = await t.client.send(
      new DeleteMessageBatchCommand({ QueueUrl: url, Entries: got.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })) }),
    );
    expect(r.Successful).toHaveLength(10);
    expect(r.Failed ?? []).toEqual([]);
    expect(await counts(t, url)).toEqual({ visible: 0, inflight: 0, delayed: 0 });
    expect(await receive(t, url, { VisibilityTimeout: 0 })).toHaveLength(0);
  });
});
