// Shared helpers for the SDK suite: creating queues, asserting AWS errors exactly as the SDK
// surfaces them, draining queues, and an independent implementation of AWS's
// MD5OfMessageAttributes algorithm to check the broker against.
import { createHash } from 'node:crypto';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type MessageAttributeValue,
  type QueueAttributeName,
  type ReceiveMessageCommandInput,
} from '@aws-sdk/client-sqs';
import { expect } from 'vitest';
import type { TestServer } from './server.js';

let counter = 0;
/** A queue name unique within the test process. */
export function uniq(base: string, fifo = false): string {
  counter += 1;
  return `${base}-${process.pid}-${counter}${fifo ? '.fifo' : ''}`;
}

export async function createQueue(
  t: TestServer,
  base: string,
  attributes: Record<string, string> = {},
): Promise<string> {
  const fifo = attributes['FifoQueue'] === 'true';
  const { QueueUrl } = await t.client.send(
    new CreateQueueCommand({ QueueName: uniq(base, fifo), Attributes: attributes }),
  );
  expect(QueueUrl).toBeTruthy();
  return QueueUrl!;
}

export async function attrs(t: TestServer, QueueUrl: string, names: string[] = ['All']): Promise<Record<string, string>> {
  const r = await t.client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: names as QueueAttributeName[] }));
  return r.Attributes ?? {};
}

export async function counts(t: TestServer, QueueUrl: string): Promise<{ visible: number; inflight: number; delayed: number }> {
  const a = await attrs(t, QueueUrl, [
    'ApproximateNumberOfMessages',
    'ApproximateNumberOfMessagesNotVisible',
    'ApproximateNumberOfMessagesDelayed',
  ]);
  return {
    visible: Number(a['ApproximateNumberOfMessages']),
    inflight: Number(a['ApproximateNumberOfMessagesNotVisible']),
    delayed: Number(a['ApproximateNumberOfMessagesDelayed']),
  };
}

export async function receive(
  t: TestServer,
  QueueUrl: string,
  extra: Omit<ReceiveMessageCommandInput, 'QueueUrl'> = {},
): Promise<Message[]> {
  const r = await t.client.send(new ReceiveMessageCommand({ QueueUrl, ...extra }));
  return r.Messages ?? [];
}

/** Receives until `n` messages are collected or a receive comes back empty. */
export async function receiveAll(
  t: TestServer,
  QueueUrl: string,
  n: number,
  extra: Omit<ReceiveMessageCommandInput, 'QueueUrl'> = {},
): Promise<Message[]> {
  const out: Message[] = [];
  while (out.length < n) {
    const got = await receive(t, QueueUrl, { MaxNumberOfMessages: Math.min(10, n - out.length), ...extra });
    if (got.length === 0) break;
    out.push(...got);
  }
  return out;
}

export async function deleteAll(t: TestServer, QueueUrl: string, msgs: Message[]): Promise<void> {
  for (let i = 0; i < msgs.length; i += 10) {
    const chunk = msgs.slice(i, i + 10);
    const r = await t.client.send(
      new DeleteMessageBatchCommand({
        QueueUrl,
        Entries: chunk.map((m, j) => ({ Id: `d${j}`, ReceiptHandle: m.ReceiptHandle })),
      }),
    );
    expect(r.Failed ?? []).toEqual([]);
  }
}

export interface ExpectedError {
  /** `err.name`: the model's exception name for modeled errors, else the legacy query code. */
  name: string;
  /** `err.Code`: the legacy query code the SDK reads from x-amzn-query-error. */
  code?: string;
  status: number;
  /** Exact message, or a RegExp. */
  message?: string | RegExp;
}

/** Awaits `p`, which must reject with exactly this AWS error (not a crash, not a hang). */
export async function expectError(p: Promise<unknown>, want: ExpectedError): Promise<Error & Record<string, unknown>> {
  let err: (Error & Record<string, unknown>) | undefined;
  try {
    await p;
  } catch (e) {
    err = e as Error & Record<string, unknown>;
  }
  if (!err) throw new Error(`expected ${want.name} but the call succeeded`);
  const meta = err['$metadata'] as { httpStatusCode?: number } | undefined;
  const got = { name: err.name, code: err['Code'], status: meta?.httpStatusCode, message: err.message };
  expect(got.name, JSON.stringify(got)).toBe(want.name);
  expect(got.status, JSON.stringify(got)).toBe(want.status);
  if (want.code !== undefined) expect(got.code, JSON.stringify(got)).toBe(want.code);
  if (typeof want.message === 'string') expect(got.message).toBe(want.message);
  else if (want.message) expect(got.message).toMatch(want.message);
  return err;
}

/** Errors that the model declares, as the SDK names them (name) and their query codes (code). */
export const E = {
  queueDoesNotExist: {
    name: 'QueueDoesNotExist',
    code: 'AWS.SimpleQueueService.NonExistentQueue',
    status: 400,
    message: 'The specified queue does not exist.',
  },
  invalidParameterValue: (message?: string | RegExp): ExpectedError => ({
    name: 'InvalidParameterValue',
    code: 'InvalidParameterValue',
    status: 400,
    ...(message !== undefined ? { message } : {}),
  }),
  missingParameter: (param: string): ExpectedError => ({
    name: 'MissingParameter',
    code: 'MissingParameter',
    status: 400,
    message: `The request must contain the parameter ${param}.`,
  }),
  invalidAttributeName: (message: string | RegExp): ExpectedError => ({
    name: 'InvalidAttributeName',
    code: 'InvalidAttributeName',
    status: 400,
    message,
  }),
  invalidAttributeValue: (message: string | RegExp): ExpectedError => ({
    name: 'InvalidAttributeValue',
    code: 'InvalidAttributeValue',
    status: 400,
    message,
  }),
};

/** AWS's MD5OfMessageAttributes, written independently of the broker's implementation. */
export function md5OfAttributes(attrs: Record<string, MessageAttributeValue>): string {
  const h = createHash('md5');
  const put = (b: Uint8Array) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    h.update(len);
    h.update(b);
  };
  for (const name of Object.keys(attrs).sort()) {
    const v = attrs[name]!;
    put(Buffer.from(name, 'utf8'));
    put(Buffer.from(v.DataType!, 'utf8'));
    if (v.BinaryValue !== undefined) {
      h.update(Uint8Array.of(2));
      put(v.BinaryValue);
    } else {
      h.update(Uint8Array.of(1));
      put(Buffer.from(v.StringValue!, 'utf8'));
    }
  }
  return h.digest('hex');
}

export function md5(s: string): string {
  return createHash('md5').update(s, 'utf8').digest('hex');
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
