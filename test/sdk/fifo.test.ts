// FIFO queues through the AWS SDK: naming rules, group ordering and locking, deduplication,
// sequence numbers, receive request attempt ids, and a randomized multi-producer/consumer run.
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  type Message,
  type SendMessageBatchRequestEntry,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { attrs, counts, createQueue, deleteAll, E, expectError, receive, receiveAll, sleep, uniq } from '../helpers/sdk.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.close());

const FIFO = { FifoQueue: 'true' };
const CBD = { FifoQueue: 'true', ContentBasedDeduplication: 'true' };
const send = (QueueUrl: string, MessageBody: string, MessageGroupId: string | undefined, extra: Record<string, unknown> = {}) =>
  t.client.send(new SendMessageCommand({ QueueUrl, MessageBody, MessageGroupId, ...extra }));
const sendBatch = (QueueUrl: string, Entries: SendMessageBatchRequestEntry[]) =>
  t.client.send(new SendMessageBatchCommand({ QueueUrl, Entries }));
const bodies = (ms: Message[]) => ms.map((m) => m.Body);
const ALL = { MessageSystemAttributeNames: ['All' as const] };

describe('FIFO queue creation', () => {
  it('a .fifo name needs FifoQueue=true, and FifoQueue=true needs a .fifo name', async () => {
    // Which of AWS's two name messages this case gets is unrecorded; the code is.
    await expectError(t.client.send(new CreateQueueCommand({ QueueName: uniq('nofifoattr', true) })), E.invalidParameterValue());
    await expectError(
      t.client.send(new CreateQueueCommand({ QueueName: uniq('nofifosuffix'), Attributes: FIFO })),
      E.invalidParameterValue(/FIFO queue.*\.fifo suffix/),
    );
    await expectError(
      t.client.send(new CreateQueueCommand({ QueueName: uniq('fifofalse', true), Attributes: { FifoQueue: 'false' } })),
      E.invalidParameterValue(),
    );
    const name = uniq('ok', true);
    const { QueueUrl } = await t.client.send(new CreateQueueCommand({ QueueName: name, Attributes: FIFO }));
    expect(QueueUrl!.endsWith(`/${name}`)).toBe(true);
    expect((await attrs(t, QueueUrl!, ['FifoQueue', 'QueueArn']))).toEqual({
      FifoQueue: 'true',
      QueueArn: `arn:aws:sqs:us-east-1:000000000000:${name}`,
    });
  });

  it('a FIFO queue dead-letter queue must be FIFO, and a standard one standard', async () => {
    const fifoDlq = await createQueue(t, 'fdlq', FIFO);
    const stdDlq = await createQueue(t, 'sdlq');
    const fifoArn = (await attrs(t, fifoDlq, ['QueueArn']))['QueueArn']!;
    const stdArn = (await attrs(t, stdDlq, ['QueueArn']))['QueueArn']!;
    const rp = (arn: string) => JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: 3 });
    await expectError(
      t.client.send(new CreateQueueCommand({ QueueName: uniq('fsrc', true), Attributes: { ...FIFO, RedrivePolicy: rp(stdArn) } })),
      E.invalidParameterValue(/^Value .* for parameter RedrivePolicy is invalid\. Reason: /),
    );
    await expectError(
      t.client.send(new CreateQueueCommand({ QueueName: uniq('ssrc'), Attributes: { RedrivePolicy: rp(fifoArn) } })),
      E.invalidParameterValue(/^Value .* for parameter RedrivePolicy is invalid\. Reason: /),
    );
    const src = await createQueue(t, 'fsrc-ok', FIFO);
    await expectError(
      t.client.send(new SetQueueAttributesCommand({ QueueUrl: src, Attributes: { RedrivePolicy: rp(stdArn) } })),
      E.invalidParameterValue(/^Value .* for parameter RedrivePolicy is invalid\. Reason: /),
    );
    await t.client.send(new SetQueueAttributesCommand({ QueueUrl: src, Attributes: { RedrivePolicy: rp(fifoArn) } }));
  });
});

describe('FIFO send rules', () => {
  it('MessageGroupId is required', async () => {
    const url = await createQueue(t, 'nogroup', CBD);
    await expectError(send(url, 'x', undefined), E.missingParameter('MessageGroupId'));
    // In a batch the whole request fails, with InvalidParameterValue.
    await expectError(
      sendBatch(url, [
        { Id: 'a', MessageBody: 'a', MessageGroupId: 'g' },
        { Id: 'b', MessageBody: 'b' },
      ]),
      E.invalidParameterValue('The request must contain the parameter MessageGroupId.'),
    );
    expect((await counts(t, url)).visible).toBe(0);
  });

  it('MessageDeduplicationId is required unless content-based deduplication is on', async () => {
    const url = await createQueue(t, 'nodedup', FIFO);
    const msg = 'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly';
    await expectError(send(url, 'x', 'g'), E.invalidParameterValue(msg));
    await expectError(
      sendBatch(url, [
        { Id: 'a', MessageBody: 'a', MessageGroupId: 'g', MessageDeduplicationId: 'a' },
        { Id: 'b', MessageBody: 'b', MessageGroupId: 'g' },
      ]),
      E.invalidParameterValue(msg),
    );
    expect((await counts(t, url)).visible).toBe(0);
  });

  it('per-message DelaySeconds is rejected (0 is allowed); the queue delay works', async () => {
    const url = await createQueue(t, 'fdelay', { ...CBD, DelaySeconds: '30' });
    await expectError(
      send(url, 'x', 'g', { DelaySeconds: 5 }),
      E.invalidParameterValue('Value 5 for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.'),
    );
    const r = await sendBatch(url, [
      { Id: 'a', MessageBody: 'a', MessageGroupId: 'g' },
      { Id: 'b', MessageBody: 'b', MessageGroupId: 'g', DelaySeconds: 5 },
    ]);
    expect(r.Successful!.map((s) => s.Id)).toEqual(['a']);
    expect(r.Failed).toEqual([
      {
        Id: 'b',
        SenderFault: true,
        Code: 'InvalidParameterValue',
        // A batch entry gets AWS's bare sentence: no value quoted, no final period.
        Message: 'The request include parameter that is not valid for this queue type',
      },
    ]);
    await send(url, 'zero', 'g', { DelaySeconds: 0 });
    expect(await receive(t, url)).toHaveLength(0);
    expect((await counts(t, url)).delayed).toBe(2);
    await t.advance(31_000);
    expect(bodies(await receive(t, url, { MaxNumberOfMessages: 10 }))).toEqual(['a', 'zero']);
  });

  it('validates MessageGroupId and MessageDeduplicationId characters and length', async () => {
    const url = await createQueue(t, 'ftokens', FIFO);
    await expectError(
      send(url, 'x', 'g', { MessageDeduplicationId: 'd'.repeat(129) }),
      E.invalidParameterValue(/^Value d+ for parameter MessageDeduplicationId is invalid\. Reason: MessageDeduplicationId can only include alphanumeric and punctuation characters\. 1 to 128 in length\.$/),
    );
    await expectError(
      send(url, 'x', 'g ü', { MessageDeduplicationId: 'd' }),
      E.invalidParameterValue(/MessageGroupId can only include alphanumeric and punctuation characters\. 1 to 128 in length\./),
    );
    const punct = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
    await send(url, 'x', punct, { MessageDeduplicationId: punct + 'a'.repeat(96) });
  });
});

describe('FIFO ordering and group locking', () => {
  it('delivers a group in send order', async () => {
    const url = await createQueue(t, 'order', CBD);
    for (let i = 0; i < 15; i++) await send(url, `m${i}`, 'g');
    const first = await receiveAll(t, url, 15);
    // The group is held while these ten are in flight.
    expect(bodies(first)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
    await deleteAll(t, url, first);
    const rest = await receiveAll(t, url, 15);
    expect(bodies(rest)).toEqual(Array.from({ length: 5 }, (_, i) => `m${i + 10}`));
  });

  it('holds a group while a message of it is in flight; other groups go on', async () => {
    const url = await createQueue(t, 'hold', CBD);
    await send(url, 'a1', 'A');
    await send(url, 'a2', 'A');
    await send(url, 'b1', 'B');
    const [first] = await receive(t, url);
    expect(first!.Body).toBe('a1');
    // A is held: the next receives give only B.
    expect(bodies(await receive(t, url, { MaxNumberOfMessages: 10 }))).toEqual(['b1']);
    expect(await receive(t, url, { MaxNumberOfMessages: 10 })).toHaveLength(0);
    await t.client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first!.ReceiptHandle }));
    expect(bodies(await receive(t, url, { MaxNumberOfMessages: 10 }))).toEqual(['a2']);
  });

  it('a group reopens when visibility expires, with the same messages first, in order', async () => {
    const url = await createQueue(t, 'expiry', { ...CBD, VisibilityTimeout: '5' });
    for (let i = 0; i < 5; i++) await send(url, `m${i}`, 'g');
    const first = await receive(t, url, { MaxNumberOfMessages: 3, ...ALL });
    expect(bodies(first)).toEqual(['m0', 'm1', 'm2']);
    expect(await receive(t, url, { MaxNumberOfMessages: 10 })).toHaveLength(0);
    await t.advance(5_500);
    const again = await receive(t, url, { MaxNumberOfMessages: 10, ...ALL });
    expect(bodies(again)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(again.map((m) => m.Attributes!['ApproximateReceiveCount'])).toEqual(['2', '2', '2', '1', '1']);
  });

  it('ChangeMessageVisibility 0 reopens the group with that message first', async () => {
    const url = await createQueue(t, 'cmv0', CBD);
    await send(url, 'm0', 'g');
    await send(url, 'm1', 'g');
    const [m] = await receive(t, url);
    await t.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m!.ReceiptHandle, VisibilityTimeout: 0 }));
    expect(bodies(await receive(t, url, { MaxNumberOfMessages: 10 }))).toEqual(['m0', 'm1']);
  });

  it('a receive of 10 spans groups, keeping each group in order', async () => {
    const url = await createQueue(t, 'span', CBD);
    const r = await sendBatch(
      url,
      Array.from({ length: 10 }, (_, i) => ({ Id: `e${i}`, MessageBody: `${i % 3}:${i}`, MessageGroupId: `g${i % 3}` })),
    );
    expect(r.Successful).toHaveLength(10);
    const got = await receive(t, url, { MaxNumberOfMessages: 10, ...ALL });
    expect(got).toHaveLength(10);
    for (const g of ['g0', 'g1', 'g2']) {
      const seq = got.filter((m) => m.Attributes!['MessageGroupId'] === g).map((m) => Number(m.Body!.split(':')[1]));
      expect(seq, g).toEqual([...seq].sort((a, b) => a - b));
      expect(seq.length).toBeGreaterThan(0);
    }
  });

  it('a failed entry in a batch does not break the order of the others', async () => {
    const url = await createQueue(t, 'batchfail', CBD);
    const r = await sendBatch(url, [
      { Id: 'a', MessageBody: 'one', MessageGroupId: 'g' },
      { Id: 'b', MessageBody: 'bad \u0000', MessageGroupId: 'g' },
      { Id: 'c', MessageBody: 'two', MessageGroupId: 'g' },
      { Id: 'd', MessageBody: 'three', MessageGroupId: 'g' },
    ]);
    expect(r.Failed!.map((f) => f.Id)).toEqual(['b']);
    expect(bodies(await receive(t, url, { MaxNumberOfMessages: 10 }))).toEqual(['one', 'two', 'three']);
  });

  it('deleting with a handle whose visibility expired fails with "The receipt handle has expired."', async () => {
    const url = await createQueue(t, 'fexpired', { ...CBD, VisibilityTimeout: '1' });
    await send(url, 'x', 'g');
    const [m] = await receive(t, url);
    await t.advance(1_500);
    await expectError(
      t.client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m!.ReceiptHandle })),
      E.invalidParameterValue(`Value ${m!.ReceiptHandle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.`),
    );
    expect((await receive(t, url))[0]?.MessageId).toBe(m!.MessageId);
  });
});

describe('FIFO deduplication', () => {
  it('a repeated dedup id within 5 minutes returns the original MessageId and is not delivered again; after, it is new', async () => {
    const url = await createQueue(t, 'dedup', FIFO);
    const a = await send(url, 'first', 'g', { MessageDeduplicationId: 'd1' });
    await t.advance(60_000);
    const b = await send(url, 'second body, same id', 'g', { MessageDeduplicationId: 'd1' });
    expect(b.MessageId).toBe(a.MessageId);
    expect(b.SequenceNumber).toBe(a.SequenceNumber);
    expect((await counts(t, url)).visible).toBe(1);
    const got = await receiveAll(t, url, 10);
    expect(bodies(got)).toEqual(['first']);
    await deleteAll(t, url, got);
    // Still deduplicated after the original was consumed, within the window (from the first send).
    const c = await send(url, 'third', 'g', { MessageDeduplicationId: 'd1' });
    expect(c.MessageId).toBe(a.MessageId);
    expect(await receive(t, url, { MaxNumberOfMessages: 10 })).toHaveLength(0);
    await t.advance(4 * 60_000 + 1);
    const d = await send(url, 'fourth', 'g', { MessageDeduplicationId: 'd1' });
    expect(d.MessageId).not.toBe(a.MessageId);
    expect(BigInt(d.SequenceNumber!)).toBeGreaterThan(BigInt(a.SequenceNumber!));
    expect(bodies(await receive(t, url))).toEqual(['fourth']);
  });

  it('the window is 5 minutes: deduplicated just before, new just after', async () => {
    const url = await createQueue(t, 'window', FIFO);
    const a = await send(url, 'x', 'g', { MessageDeduplicationId: 'w' });
    await t.advance(5 * 60 * 1000 - 1_000);
    expect((await send(url, 'x', 'g', { MessageDeduplicationId: 'w' })).MessageId).toBe(a.MessageId);
    await t.advance(1_001);
    expect((await send(url, 'x', 'g', { MessageDeduplicationId: 'w' })).MessageId).not.toBe(a.MessageId);
  });

  it('a duplicate within a batch, and across batches', async () => {
    const url = await createQueue(t, 'dedup-batch', FIFO);
    const r = await sendBatch(url, [
      { Id: 'a', MessageBody: 'a', MessageGroupId: 'g', MessageDeduplicationId: 'x' },
      { Id: 'b', MessageBody: 'b', MessageGroupId: 'g', MessageDeduplicationId: 'x' },
      { Id: 'c', MessageBody: 'c', MessageGroupId: 'g', MessageDeduplicationId: 'y' },
    ]);
    expect(r.Successful).toHaveLength(3);
    const id = (k: string) => r.Successful!.find((s) => s.Id === k)!.MessageId;
    expect(id('b')).toBe(id('a'));
    const r2 = await sendBatch(url, [{ Id: 'c', MessageBody: 'c2', MessageGroupId: 'g', MessageDeduplicationId: 'y' }]);
    expect(r2.Successful![0]!.MessageId).toBe(id('c'));
    expect(bodies(await receiveAll(t, url, 10))).toEqual(['a', 'c']);
  });

  it('content-based deduplication uses the body; an explicit id wins over it', async () => {
    const url = await createQueue(t, 'cbd', CBD);
    const a = await send(url, 'same body', 'g');
    const b = await send(url, 'same body', 'g');
    expect(b.MessageId).toBe(a.MessageId);
    // Attributes are not part of the content hash.
    const c = await send(url, 'same body', 'g', { MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } } });
    expect(c.MessageId).toBe(a.MessageId);
    const d = await send(url, 'other body', 'g');
    expect(d.MessageId).not.toBe(a.MessageId);
    const e = await send(url, 'same body', 'g', { MessageDeduplicationId: 'explicit' });
    expect(e.MessageId).not.toBe(a.MessageId);
    const got = await receiveAll(t, url, 10, ALL);
    expect(bodies(got)).toEqual(['same body', 'other body', 'same body']);
    // The content hash is reported as the dedup id: SHA-256 of the body, hex.
    expect(got[0]!.Attributes!['MessageDeduplicationId']).toMatch(/^[0-9a-f]{64}$/);
    expect(got[2]!.Attributes!['MessageDeduplicationId']).toBe('explicit');
  });

  it('DeduplicationScope messageGroup deduplicates within each group only', async () => {
    const url = await createQueue(t, 'scope-group', { ...FIFO, DeduplicationScope: 'messageGroup', FifoThroughputLimit: 'perMessageGroupId' });
    const a = await send(url, 'a', 'g1', { MessageDeduplicationId: 'same' });
    const b = await send(url, 'b', 'g2', { MessageDeduplicationId: 'same' });
    const c = await send(url, 'c', 'g1', { MessageDeduplicationId: 'same' });
    expect(b.MessageId).not.toBe(a.MessageId);
    expect(c.MessageId).toBe(a.MessageId);
    expect(bodies(await receiveAll(t, url, 10)).sort()).toEqual(['a', 'b']);
  });

  it('DeduplicationScope queue deduplicates across groups', async () => {
    const url = await createQueue(t, 'scope-queue', FIFO);
    const a = await send(url, 'a', 'g1', { MessageDeduplicationId: 'same' });
    const b = await send(url, 'b', 'g2', { MessageDeduplicationId: 'same' });
    expect(b.MessageId).toBe(a.MessageId);
    expect(bodies(await receiveAll(t, url, 10))).toEqual(['a']);
  });
});

describe('SequenceNumber and system attributes', () => {
  it('is large and strictly increasing per queue, returned on send and on receive', async () => {
    const url = await createQueue(t, 'seq', CBD);
    const seqs: bigint[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await send(url, `m${i}`, `g${i % 2}`);
      expect(r.SequenceNumber).toMatch(/^\d{20,128}$/);
      seqs.push(BigInt(r.SequenceNumber!));
    }
    const b = await sendBatch(url, [
      { Id: 'x', MessageBody: 'x', MessageGroupId: 'g0' },
      { Id: 'y', MessageBody: 'y', MessageGroupId: 'g1' },
    ]);
    for (const s of b.Successful!) seqs.push(BigInt(s.SequenceNumber!));
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThan(seqs[i - 1]!);
    const got = await receiveAll(t, url, 10, { ...ALL, MessageAttributeNames: ['All'] });
    expect(got).toHaveLength(7);
    for (const m of got) {
      expect(m.Attributes!['SequenceNumber']).toMatch(/^\d+$/);
      expect(m.Attributes!['MessageGroupId']).toMatch(/^g[01]$/);
      expect(m.Attributes!['MessageDeduplicationId']).toMatch(/^[0-9a-f]{64}$/);
    }
    const bySeq = got.map((m) => BigInt(m.Attributes!['SequenceNumber']!)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    expect(bySeq).toEqual(seqs);
  });
});

describe('ReceiveRequestAttemptId', () => {
  it('a retried receive with the same attempt id returns the same messages', async () => {
    const url = await createQueue(t, 'attempt', CBD);
    for (let i = 0; i < 4; i++) await send(url, `m${i}`, 'g');
    const first = await receive(t, url, { MaxNumberOfMessages: 2, ReceiveRequestAttemptId: 'attempt-1' });
    expect(bodies(first)).toEqual(['m0', 'm1']);
    // The response was "lost": retry with the same id.
    const retry = await receive(t, url, { MaxNumberOfMessages: 2, ReceiveRequestAttemptId: 'attempt-1' });
    expect(retry.map((m) => m.MessageId)).toEqual(first.map((m) => m.MessageId));
    // The retry's handles work: deleting them opens the group.
    await t.client.send(
      new DeleteMessageBatchCommand({ QueueUrl: url, Entries: retry.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })) }),
    );
    const next = await receive(t, url, { MaxNumberOfMessages: 10, ReceiveRequestAttemptId: 'attempt-2' });
    expect(bodies(next)).toEqual(['m2', 'm3']);
  });

  it('a different attempt id does not get the held messages', async () => {
    const url = await createQueue(t, 'attempt-other', CBD);
    await send(url, 'm0', 'g');
    await receive(t, url, { ReceiveRequestAttemptId: 'one' });
    expect(await receive(t, url, { ReceiveRequestAttemptId: 'two' })).toHaveLength(0);
  });

  it('rejects an invalid attempt id', async () => {
    const url = await createQueue(t, 'attempt-bad', CBD);
    await expectError(receive(t, url, { ReceiveRequestAttemptId: 'has space' }), E.invalidParameterValue(/ReceiveRequestAttemptId/));
    await expectError(receive(t, url, { ReceiveRequestAttemptId: 'a'.repeat(129) }), E.invalidParameterValue(/ReceiveRequestAttemptId/));
  });
});

describe('randomized: many producers and consumers', () => {
  it('never violates per-group order and never delivers a deduplicated message twice', { timeout: 40_000 }, async () => {
    const url = await createQueue(t, 'random', FIFO);
    const GROUPS = 16;
    const PER_GROUP = 25;
    const PRODUCERS = 4;
    const CONSUMERS = 6;
    const total = GROUPS * PER_GROUP;
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };

    // Each group belongs to one producer, which sends it in order; ~15% of sends are repeated
    // with the same dedup id (a client retry), sometimes much later.
    const producers = Array.from({ length: PRODUCERS }, async (_, p) => {
      const mine = Array.from({ length: GROUPS }, (_, g) => g).filter((g) => g % PRODUCERS === p);
      const next = new Map(mine.map((g) => [g, 0]));
      const retries: SendMessageBatchRequestEntry[] = [];
      while ([...next.values()].some((i) => i < PER_GROUP)) {
        const entries: SendMessageBatchRequestEntry[] = [];
        const n = 1 + Math.floor(rand() * 9);
        for (let k = 0; k < n; k++) {
          const open = mine.filter((g) => next.get(g)! < PER_GROUP);
          if (open.length === 0) break;
          const g = open[Math.floor(rand() * open.length)]!;
          const i = next.get(g)!;
          next.set(g, i + 1);
          const e = { Id: `e${k}`, MessageBody: `${g}:${i}`, MessageGroupId: `g${g}`, MessageDeduplicationId: `d-${g}-${i}` };
          entries.push(e);
          if (rand() < 0.15) retries.push({ ...e });
        }
        if (rand() < 0.5 && retries.length) entries.push({ ...retries.shift()!, Id: 'retry' });
        if (rand() < 0.3) {
          for (const e of entries) {
            const r = await send(url, e.MessageBody!, e.MessageGroupId!, { MessageDeduplicationId: e.MessageDeduplicationId });
            expect(r.MessageId).toBeTruthy();
          }
        } else {
          const r = await sendBatch(url, entries);
          expect(r.Failed ?? []).toEqual([]);
        }
      }
      for (const e of retries) await send(url, e.MessageBody!, e.MessageGroupId!, { MessageDeduplicationId: e.MessageDeduplicationId });
    });

    const nextExpected = new Array<number>(GROUPS).fill(0);
    const holder = new Array<number | null>(GROUPS).fill(null);
    const deliveries = new Map<string, number>();
    const failures = new Map<string, number>();
    const violations: string[] = [];
    let done = 0;
    const deadline = Date.now() + 30_000;

    const consumers = Array.from({ length: CONSUMERS }, async (_, c) => {
      while (done < total && Date.now() < deadline) {
        const got = await receive(t, url, { MaxNumberOfMessages: 1 + Math.floor(rand() * 10), WaitTimeSeconds: 1, VisibilityTimeout: 10 });
        const byGroup = new Map<number, { i: number; m: Message }[]>();
        for (const m of got) {
          const [g, i] = m.Body!.split(':').map(Number) as [number, number];
          deliveries.set(m.Body!, (deliveries.get(m.Body!) ?? 0) + 1);
          if (!byGroup.has(g)) byGroup.set(g, []);
          byGroup.get(g)!.push({ i, m });
        }
        for (const [g, list] of byGroup) {
          if (holder[g] !== null) violations.push(`group ${g} delivered to ${c} while held by ${holder[g]}`);
          holder[g] = c;
          list.forEach(({ i }, k) => {
            if (i !== nextExpected[g]! + k) violations.push(`group ${g}: got ${i}, expected ${nextExpected[g]! + k}`);
          });
        }
        await Promise.all(
          [...byGroup].map(async ([g, list]) => {
            for (let k = 0; k < list.length; k++) {
              const { m } = list[k]!;
              if (rand() < 0.1) {
                // Failure: give back this message and every later one of its group in this batch.
                const rest = list.slice(k);
                for (const r of rest) failures.set(r.m.Body!, (failures.get(r.m.Body!) ?? 0) + 1);
                const abandon = rand() < 0.4;
                holder[g] = null;
                for (const r of rest) {
                  // Either release now, or shorten the lease to 1 s and let it expire.
                  await t.client.send(
                    new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: r.m.ReceiptHandle, VisibilityTimeout: abandon ? 1 : 0 }),
                  );
                }
                return;
              }
              nextExpected[g]! += 1;
              if (k === list.length - 1) holder[g] = null;
              await t.client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
              done++;
            }
          }),
        );
      }
    });

    await Promise.all([...producers, ...consumers]);
    expect(violations).toEqual([]);
    expect(done).toBe(total);
    expect(nextExpected).toEqual(new Array(GROUPS).fill(PER_GROUP));
    for (let g = 0; g < GROUPS; g++) {
      for (let i = 0; i < PER_GROUP; i++) {
        const k = `${g}:${i}`;
        expect(deliveries.get(k), k).toBe(1 + (failures.get(k) ?? 0));
      }
    }
    await sleep(50);
    expect(await counts(t, url)).toEqual({ visible: 0, inflight: 0, delayed: 0 });
  });
});
