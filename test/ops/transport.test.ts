// Issue 13: on every Node line, `npm start` serves, and its first request does not kill it.
// uWebSockets.js runs only where its real binary exists for this Node ABI; elsewhere the server
// falls back to node:http and says why. Run by CI under each supported Node line.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { CreateQueueCommand, DeleteMessageCommand, ListQueuesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSluice, type Child } from '../helpers/process.js';
import { UWS_BINARY_HERE } from '../helpers/uws.js';

const uwsHere = UWS_BINARY_HERE;
const MAIN = path.resolve(import.meta.dirname, '../../dist/src/main.js');

describe(`transport on Node ${process.version} (ABI ${process.versions.modules})`, () => {
  let child: Child | null = null;
  const dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(path.join(tmpdir(), 'sluice-transport-'));
    dirs.push(d);
    return d;
  };
  afterEach(async () => {
    await child?.stop();
    child = null;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('auto picks uWS only where its binary loads, logs why, and serves SDK requests', async () => {
    child = await spawnSluice(dir());
    const want = uwsHere ? 'uws' : 'node';
    expect(child.log()).toMatch(new RegExp(`listening on http://[^ ]+ \\(${want},`));
    if (uwsHere) expect(child.log()).toContain('transport: uWebSockets.js, its native binary loads');
    else expect(child.log()).toContain(`transport: node:http, because uWebSockets.js has no native binary for Node ${process.version}`);
    // The crash on Node 22/24 came with the first request of any kind.
    const c = child.client;
    expect((await c.send(new ListQueuesCommand({}))).QueueUrls ?? []).toEqual([]);
    const { QueueUrl } = await c.send(new CreateQueueCommand({ QueueName: 'first' }));
    await c.send(new SendMessageCommand({ QueueUrl, MessageBody: 'hello' }));
    const got = await c.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    expect(got.Messages?.map((m) => m.Body)).toEqual(['hello']);
    await c.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: got.Messages![0]!.ReceiptHandle! }));
    expect(child.proc.exitCode).toBe(null);
    expect(child.log()).not.toContain('Falling back to a NodeJS implementation');
  });

  it('--transport uws stops start-up with the reason where no binary loads; --transport node is honoured', async () => {
    if (uwsHere) {
      child = await spawnSluice(dir(), ['--transport', 'uws']);
      expect(child.log()).toMatch(/listening on http:\/\/[^ ]+ \(uws,/);
      await child.stop();
    } else {
      const proc = spawn(process.execPath, [MAIN, '--port', '0', '--data-dir', dir(), '--transport', 'uws'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
      const code = await new Promise<number | null>((r) => proc.once('exit', r));
      expect(code).toBe(1);
      expect(err).toContain(`--transport uws: uWebSockets.js has no native binary for Node ${process.version}`);
    }
    child = await spawnSluice(dir(), ['--transport', 'node']);
    expect(child.log()).toMatch(/listening on http:\/\/[^ ]+ \(node,/);
    expect(child.log()).toContain('transport: node:http, as configured');
  });
});
