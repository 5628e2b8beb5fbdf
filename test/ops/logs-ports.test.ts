// Structured logs (JSON lines, pretty mode, request lines with nothing secret) and extra ports.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config.js';
import { createLog } from '../../src/log.js';
import { startServer } from '../../src/server.js';

function api(endpoint: string, action: string, input: object, headers: Record<string, string> = {}) {
  return fetch(`${endpoint}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${action}`, ...headers },
    body: JSON.stringify(input),
  });
}

describe('logs', () => {
  it('writes JSON lines with level and time, honouring the level', () => {
    const lines: string[] = [];
    const log = createLog({ level: 'warn', format: 'json', write: (l) => lines.push(l) });
    log.info('hidden');
    log.warn('shown');
    expect(lines).toHaveLength(1);
    const o = JSON.parse(lines[0]!);
    expect(o).toMatchObject({ level: 'warn', msg: 'shown' });
    expect(new Date(o.time).toISOString()).toBe(o.time);
  });

  it('has a pretty mode for terminals', () => {
    const lines: string[] = [];
    const log = createLog({ level: 'info', format: 'auto', tty: true, write: (l) => lines.push(l) });
    log.request({ requestId: 'r1', action: 'SendMessage', protocol: 'json', queue: 'q', status: 200, latencyMs: 1.25 });
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} .*INFO.* SendMessage 200 1\.3ms {2}requestId=r1 action=SendMessage protocol=json queue=q status=200\n$/);
  });

  it('logs requests when asked, without bodies, credentials or headers', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'sluice-log-'));
    const lines: string[] = [];
    const log = createLog({ level: 'info', format: 'json', write: (l) => lines.push(l) });
    const s = await startServer({ ...DEFAULTS, port: 0, dataDir, logRequests: true }, log);
    try {
      const e = `http://127.0.0.1:${s.port}`;
      const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
      const auth = { authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=${secret}` };
      await api(e, 'CreateQueue', { QueueName: 'logged' }, auth);
      await api(e, 'SendMessage', { QueueUrl: `${e}/000000000000/logged`, MessageBody: 'top-secret-body' }, auth);
      await api(e, 'GetQueueUrl', { QueueName: 'missing' }, auth);
      const reqs = lines.map((l) => JSON.parse(l)).filter((o) => o.msg === 'request');
      expect(reqs).toHaveLength(3);
      expect(reqs[1]).toMatchObject({ level: 'info', action: 'SendMessage', protocol: 'json', queue: 'logged', status: 200 });
      expect(typeof reqs[1].requestId).toBe('string');
      expect(typeof reqs[1].latencyMs).toBe('number');
      expect(reqs[2]).toMatchObject({ action: 'GetQueueUrl', status: 400, error: 'QueueDoesNotExist' });
      const all = lines.join('');
      expect(all).not.toContain('top-secret-body');
      expect(all).not.toContain(secret);
      expect(all).not.toContain('AKIDEXAMPLE');
    } finally {
      await s.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('logs no request lines by default', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'sluice-log-'));
    const lines: string[] = [];
    const s = await startServer({ ...DEFAULTS, port: 0, dataDir }, createLog({ level: 'debug', format: 'json', write: (l) => lines.push(l) }));
    try {
      await api(`http://127.0.0.1:${s.port}`, 'ListQueues', {});
      expect(lines.filter((l) => l.includes('"request"'))).toEqual([]);
    } finally {
      await s.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('extra ports', () => {
  it('serves the same API on every extra port', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'sluice-ports-'));
    const s = await startServer({ ...DEFAULTS, port: 0, dataDir, extraPorts: [0, 0] }, { info() {}, warn() {}, error() {} });
    try {
      expect(s.extraPorts).toHaveLength(2);
      await api(`http://127.0.0.1:${s.port}`, 'CreateQueue', { QueueName: 'shared' });
      for (const p of s.extraPorts) {
        const r = await api(`http://127.0.0.1:${p}`, 'GetQueueUrl', { QueueName: 'shared' });
        expect(r.status).toBe(200);
        expect(((await r.json()) as { QueueUrl: string }).QueueUrl).toBe(`http://127.0.0.1:${p}/000000000000/shared`);
      }
    } finally {
      await s.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
