// Metrics after a known workload: exact counts, scraped over HTTP and parsed.
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { AggregatorRegistry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { parseProm, value } from './prom.js';

async function scrape(url: string) {
  const r = await fetch(url);
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseProm(await r.text());
}

describe('metrics', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ metricsPort: 0 });
  });
  afterAll(() => t.close());

  it('counts a known workload exactly', async () => {
    const c = t.client;
    const { QueueUrl } = await c.send(new CreateQueueCommand({ QueueName: 'm1' }));
    const q = { QueueUrl: QueueUrl! };
    await c.send(new SendMessageCommand({ ...q, MessageBody: 'a' }));
    await c.send(new SendMessageCommand({ ...q, MessageBody: 'bb' }));
    await c.send(
      new SendMessageCommand({ ...q, MessageBody: 'hello', MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } } }),
    );
    await c.send(
      new SendMessageBatchCommand({ ...q, Entries: ['1', '2', '3', '4'].map((Id) => ({ Id, MessageBody: 'x' })) }),
    );
    await c.send(new SendMessageCommand({ ...q, MessageBody: 'd', DelaySeconds: 60 }));
    const got = await c.send(new ReceiveMessageCommand({ ...q, MaxNumberOfMessages: 10, VisibilityTimeout: 300 }));
    expect(got.Messages).toHaveLength(7);
    const none = await c.send(new ReceiveMessageCommand({ ...q, WaitTimeSeconds: 0 }));
    expect(none.Messages ?? []).toHaveLength(0);
    const handles = got.Messages!.map((m) => m.ReceiptHandle!);
    await c.send(new DeleteMessageCommand({ ...q, ReceiptHandle: handles[0]! }));
    await c.send(new DeleteMessageCommand({ ...q, ReceiptHandle: handles[1]! }));
    await c.send(
      new DeleteMessageBatchCommand({ ...q, Entries: handles.slice(2, 5).map((ReceiptHandle, i) => ({ Id: String(i), ReceiptHandle })) }),
    );
    await expect(c.send(new GetQueueUrlCommand({ QueueName: 'nope' }))).rejects.toThrow();
    const query = await fetch(`${t.endpoint}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=ListQueues&Version=2012-11-05',
    });
    expect(query.status).toBe(200);

    const s = await scrape(`${t.endpoint}/metrics`);
    const m1 = { queue: 'm1', account: '000000000000' };
    expect(value(s, 'sqs_number_of_messages_sent_total', m1)).toBe(8);
    expect(value(s, 'sqs_number_of_messages_received_total', m1)).toBe(7);
    expect(value(s, 'sqs_number_of_empty_receives_total', m1)).toBe(1);
    expect(value(s, 'sqs_number_of_messages_deleted_total', m1)).toBe(5);
    expect(value(s, 'sqs_sent_message_size_bytes_count', m1)).toBe(8);
    // 'a' + 'bb' + ('hello' + 'k' + 'String' + 'v') + 4 × 'x' + 'd'
    expect(value(s, 'sqs_sent_message_size_bytes_sum', m1)).toBe(1 + 2 + 13 + 4 + 1);
    expect(value(s, 'sqs_approximate_number_of_messages_visible', m1)).toBe(0);
    expect(value(s, 'sqs_approximate_number_of_messages_not_visible', m1)).toBe(2);
    expect(value(s, 'sqs_approximate_number_of_messages_delayed', m1)).toBe(1);
    expect(value(s, 'sqs_approximate_age_of_oldest_message_seconds', m1)).toBeGreaterThanOrEqual(0);
    expect(value(s, 'sluice_queues')).toBe(1);

    const req = (action: string, outcome: string, protocol = 'json') => value(s, 'sluice_requests_total', { action, protocol, outcome });
    expect(req('SendMessage', 'ok')).toBe(4);
    expect(req('SendMessageBatch', 'ok')).toBe(1);
    expect(req('ReceiveMessage', 'ok')).toBe(2);
    expect(req('DeleteMessage', 'ok')).toBe(2);
    expect(req('DeleteMessageBatch', 'ok')).toBe(1);
    expect(req('CreateQueue', 'ok')).toBe(1);
    expect(req('GetQueueUrl', 'QueueDoesNotExist')).toBe(1);
    expect(req('ListQueues', 'ok', 'query')).toBe(1);
    expect(value(s, 'sluice_request_duration_seconds_count', { action: 'SendMessage', protocol: 'json' })).toBe(4);
    // No request counts its own scrape, health or metrics endpoints.
    expect(s.filter((x) => x.name === 'sluice_requests_total').reduce((n, x) => n + x.value, 0)).toBe(13);

    expect(value(s, 'sluice_wal_appends_total')).toBeGreaterThan(0);
    expect(value(s, 'sluice_wal_fsyncs_total')).toBeGreaterThan(0);
    expect(value(s, 'sluice_wal_bytes_written_total')).toBeGreaterThan(0);
    expect(value(s, 'sluice_wal_fsync_seconds_total')).toBeGreaterThanOrEqual(0);
    expect(value(s, 'sluice_recovery_seconds')).toBeGreaterThanOrEqual(0);
    expect(value(s, 'sluice_long_polls_parked')).toBe(0);
  });

  it('shows parked long polls', async () => {
    const { QueueUrl } = await t.client.send(new CreateQueueCommand({ QueueName: 'm2' }));
    const poll = t.client.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 10 }));
    let parked = 0;
    for (let i = 0; i < 50 && parked === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      parked = value(await scrape(`${t.endpoint}/metrics`), 'sluice_long_polls_parked') ?? 0;
    }
    expect(parked).toBe(1);
    await t.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'wake' }));
    expect((await poll).Messages).toHaveLength(1);
  });

  it('serves /metrics on the separate metrics port too, and nothing else there', async () => {
    const base = `http://127.0.0.1:${t.server.metricsPort}`;
    const s = await scrape(`${base}/metrics`);
    expect(value(s, 'sluice_queues')).toBe(2);
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/`, { method: 'POST' })).status).toBe(404);
  });

  it("exports this thread's registry as JSON that AggregatorRegistry can sum", async () => {
    const json = await t.server.metrics.json();
    const text = await AggregatorRegistry.aggregate([json, json]).metrics();
    const s = parseProm(text);
    expect(value(s, 'sqs_number_of_messages_sent_total', { queue: 'm1' })).toBe(16);
    // The core's gauges are not in the per-thread registry (append coreMetricsText once).
    expect(s.some((x) => x.name.startsWith('sqs_approximate'))).toBe(false);
  });
});

describe('metrics queue series cap', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ metricsQueueSeriesMax: 1 });
  });
  afterAll(() => t.close());

  it('sums queues beyond the cap under queue="_other"', async () => {
    for (const name of ['ca', 'cb', 'cc']) {
      const { QueueUrl } = await t.client.send(new CreateQueueCommand({ QueueName: name }));
      await t.client.send(new SendMessageCommand({ QueueUrl, MessageBody: name }));
    }
    const s = parseProm(await (await fetch(`${t.endpoint}/metrics`)).text());
    const sent = s.filter((x) => x.name === 'sqs_number_of_messages_sent_total');
    expect(sent.map((x) => [x.labels['queue'], x.value])).toEqual([
      ['ca', 1],
      ['_other', 2],
    ]);
    const visible = s.filter((x) => x.name === 'sqs_approximate_number_of_messages_visible');
    expect(visible).toHaveLength(2);
    expect(value(s, 'sqs_approximate_number_of_messages_visible', { queue: '_other' })).toBe(2);
    expect(visible.reduce((n, x) => n + x.value, 0)).toBe(3);
  });

  it('can be turned off', async () => {
    const off = await startTestServer({ metrics: false });
    try {
      expect((await fetch(`${off.endpoint}/metrics`)).status).not.toBe(200);
    } finally {
      await off.close();
    }
  });
});
