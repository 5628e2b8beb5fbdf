// The config file: precedence (file < env < flags), messages for bad configs, and queues the
// file asks for (created at start in dead-letter order, idempotent on restart).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetQueueAttributesCommand, GetQueueUrlCommand, ListQueueTagsCommand } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, DEFAULTS, type Config } from '../../src/config.js';
import { parseConfigDoc, resolveConfig } from '../../src/config-file.js';
import { creationOrder } from '../../src/provision.js';
import { startServer } from '../../src/server.js';
import { startTestServer } from '../helpers/server.js';

const MAIN = path.resolve(import.meta.dirname, '../../dist/src/main.js');
const dir = mkdtempSync(path.join(tmpdir(), 'sluice-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function file(doc: unknown): string {
  const p = path.join(dir, `c${n++}.json`);
  writeFileSync(p, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return p;
}

function fails(doc: unknown): string {
  try {
    parseConfigDoc(doc as never, 'x.json');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('config precedence', () => {
  const doc = {
    '//': 'comments are keys starting with //',
    listen: { host: '0.0.0.0', port: 1111, extraPorts: [4566] },
    region: 'eu-west-1',
    durability: 'relaxed',
    dataDir: '/var/lib/sluice',
    metrics: { enabled: true, port: 9100, queueSeriesMax: 50 },
    log: { level: 'warn', format: 'json', requests: true },
  };

  it('file over defaults', () => {
    const c = resolveConfig({ configFile: file(doc) }, {});
    expect(c).toMatchObject({
      host: '0.0.0.0',
      port: 1111,
      extraPorts: [4566],
      region: 'eu-west-1',
      durability: 'relaxed',
      dataDir: '/var/lib/sluice',
      metrics: true,
      metricsPort: 9100,
      metricsQueueSeriesMax: 50,
      logLevel: 'warn',
      logFormat: 'json',
      logRequests: true,
    });
    expect(c.accountId).toBe(DEFAULTS.accountId);
  });

  it('env over file, flags over env; SLUICE_CONFIG names the file', () => {
    const p = file(doc);
    const env = { SLUICE_CONFIG: p, SLUICE_PORT: '2222', SLUICE_REGION: 'us-west-2', SLUICE_EXTRA_PORTS: '4576,4577', SLUICE_LOG_REQUESTS: 'false' };
    const c = resolveConfig({ port: '3333' }, env);
    expect(c.configFile).toBe(p);
    expect(c.port).toBe(3333); // flag
    expect(c.region).toBe('us-west-2'); // env
    expect(c.extraPorts).toEqual([4576, 4577]); // env
    expect(c.logRequests).toBe(false); // env
    expect(c.durability).toBe('relaxed'); // file
    expect(c.host).toBe('0.0.0.0'); // file
    // --config beats SLUICE_CONFIG
    const other = file({ region: 'ap-south-1' });
    expect(resolveConfig({ configFile: other }, { SLUICE_CONFIG: p }).region).toBe('ap-south-1');
  });

  it('reads auth and users, users defaulting to the broker account', () => {
    const c = resolveConfig(
      { configFile: file({ auth: 'sigv4', accountId: '123456789012', users: [{ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 's3cret' }] }) },
      {},
    ) as Config & { auth: string; users: { accountId: string }[] };
    expect(c.auth).toBe('sigv4');
    expect(c.users[0]!.accountId).toBe('123456789012');
  });
});

describe('bad config', () => {
  it('names the key and what was wrong', () => {
    expect(fails({ listen: { port: 'abc' } })).toBe('config file x.json: listen.port: must be a number, not a string ("abc")');
    expect(fails({ listen: { port: 70000 } })).toBe('config file x.json: listen.port: must be a port number 0-65535 (got 70000)');
    expect(fails({ durability: 'sometimes' })).toBe('config file x.json: durability: must be fsync|relaxed|memory (got "sometimes")');
    expect(fails({ acountId: '1' })).toBe('config file x.json: acountId: unknown key');
    expect(fails({ metrics: { enable: true } })).toMatch(/^config file x\.json: metrics\.enable: unknown key \(known: metrics\.enabled/);
    expect(fails({ accountId: 12 })).toMatch(/accountId: must be a string, not a number/);
    expect(fails({ log: { requests: 'yes' } })).toMatch(/log\.requests: must be a boolean/);
    expect(fails({ queues: [{ name: 'a b' }] })).toMatch(/queues\[0\]\.name: must be a queue name/);
    expect(fails({ queues: [{ name: 'a', deadLetterQueue: 'b' }, { name: 'b', deadLetterQueue: 'a' }] })).toMatch(
      /queues \(a\): dead-letter queues form a cycle: a -> b -> a/,
    );
    expect(fails({ queues: [{ name: 'a', deadLetterQueue: { name: 'b', maxReceiveCount: 0 } }] })).toMatch(
      /queues\[0\]\.deadLetterQueue\.maxReceiveCount: must be a whole number 1-1000/,
    );
    expect(fails({ users: [{ accessKeyId: 'k', secretAccessKey: 's', password: 'p' }] })).toMatch(/users\[0\]\.password: unknown key/);
    expect(fails([1])).toMatch(/\(top level\): must be an object/);
  });

  it('env and flag errors name the variable', () => {
    expect(() => resolveConfig({}, { SLUICE_METRICS_PORT: 'x' })).toThrow('config SLUICE_METRICS_PORT: must be a port number 0-65535 (got "x")');
  });

  it('stops start-up with the message and exit code 2', async () => {
    const bad = file('{"listen": {"port": 9324,}}');
    const run = (args: string[]) =>
      new Promise<{ code: number | null; err: string }>((resolve) => {
        const p = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        p.stderr.on('data', (c: Buffer) => (err += c.toString()));
        p.on('exit', (code) => resolve({ code, err }));
      });
    const r1 = await run(['--config', bad]);
    expect(r1.code).toBe(2);
    expect(r1.err).toMatch(new RegExp(`^sluice: config file ${bad.replace(/[.]/g, '\\.')}: not valid JSON`));
    const r2 = await run(['--config', file({ log: { level: 'loud' } })]);
    expect(r2.code).toBe(2);
    expect(r2.err).toMatch(/log\.level: must be debug\|info\|warn\|error \(got "loud"\)/);
    const r3 = await run(['--config', path.join(dir, 'missing.json')]);
    expect(r3.code).toBe(2);
    expect(r3.err).toMatch(/missing\.json: cannot read it \(ENOENT\)/);
  });
});

describe('queues from the config file', () => {
  const queues = [
    { name: 'orders', attributes: { VisibilityTimeout: 60 }, tags: { team: 'shop' }, deadLetterQueue: { name: 'orders-dlq', maxReceiveCount: 3 } },
    { name: 'orders-dlq', attributes: { MessageRetentionPeriod: '1209600' } },
    { name: 'events.fifo', attributes: { ContentBasedDeduplication: true } },
  ];

  it('orders dead-letter queues first', () => {
    const specs = (parseConfigDoc({ queues }) as Config).queues;
    expect(creationOrder(specs).map((s) => s.name)).toEqual(['orders-dlq', 'orders', 'events.fifo']);
  });

  it('creates them at start, with attributes, tags and redrive, and again on restart', async () => {
    const specs = (parseConfigDoc({ queues }) as Config).queues;
    const t = await startTestServer({ queues: specs });
    const url = (name: string) => t.client.send(new GetQueueUrlCommand({ QueueName: name })).then((r) => r.QueueUrl!);
    const attrs = async (name: string) =>
      (await t.client.send(new GetQueueAttributesCommand({ QueueUrl: await url(name), AttributeNames: ['All'] }))).Attributes!;
    const a = await attrs('orders');
    expect(a['VisibilityTimeout']).toBe('60');
    expect(JSON.parse(a['RedrivePolicy']!)).toEqual({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:orders-dlq', maxReceiveCount: 3 });
    expect((await attrs('orders-dlq'))['MessageRetentionPeriod']).toBe('1209600');
    expect((await attrs('events.fifo'))['ContentBasedDeduplication']).toBe('true');
    expect((await t.client.send(new ListQueueTagsCommand({ QueueUrl: await url('orders') }))).Tags).toEqual({ team: 'shop' });
    const { dataDir } = t.config;
    t.client.destroy();
    await t.server.close();
    // Restart on the same data with a changed attribute: no error, and the file wins.
    const changed = specs.map((s) => (s.name === 'orders' ? { ...s, attributes: { VisibilityTimeout: '90' } } : s));
    const again = await startServer({ ...t.config, queues: changed, dataDir }, { info() {}, warn() {}, error() {} });
    try {
      const r = await fetch(`http://127.0.0.1:${again.port}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.GetQueueAttributes' },
        body: JSON.stringify({ QueueUrl: `http://127.0.0.1:${again.port}/000000000000/orders`, AttributeNames: ['VisibilityTimeout'] }),
      });
      expect(((await r.json()) as { Attributes: Record<string, string> }).Attributes['VisibilityTimeout']).toBe('90');
    } finally {
      await again.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a queue the core refuses stops start-up, naming the queue', async () => {
    const specs = (parseConfigDoc({ queues: [{ name: 'bad', attributes: { VisibilityTimeout: 999999 } }] }) as Config).queues;
    await expect(startTestServer({ queues: specs })).rejects.toThrow(/^config queues \(bad\): InvalidAttributeValue/);
  });
});
