// Authentication and authorization end to end: the real AWS SDK (JSON protocol) and raw
// Query-protocol requests signed with @smithy/signature-v4, with right, wrong, expired and
// missing credentials; presigned URLs; two accounts and a queue policy between them.
import { createHash, createHmac } from 'node:crypto';
import {
  CreateQueueCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../src/auth/credentials.js';
import { iamUserId } from '../../src/auth/credentials.js';
import { expectError, uniq } from '../helpers/sdk.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const A = '111111111111';
const B = '222222222222';
const ROOT_A: User = { accessKeyId: 'AKIAROOTA', secretAccessKey: 'secret/A+root', accountId: A };
const ROOT_B: User = { accessKeyId: 'AKIAROOTB', secretAccessKey: 'secret/B+root', accountId: B };
const ALICE: User = {
  accessKeyId: 'AKIAALICE',
  secretAccessKey: 'alice-secret',
  accountId: A,
  userName: 'alice',
  policies: [
    { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['sqs:SendMessage', 'sqs:GetQueueUrl'], Resource: `arn:aws:sqs:*:${A}:*` }] },
  ],
};
const TEMP: User = { accessKeyId: 'ASIATEMP', secretAccessKey: 'temp-secret', accountId: A, sessionToken: 'FwoGZXIvYXdzEXAMPLETOKEN//+=' };

class Sha256 {
  private h;
  // The signer passes strings and Uint8Arrays only.
  constructor(secret?: unknown) {
    this.h = secret ? createHmac('sha256', secret as string | Uint8Array) : createHash('sha256');
  }
  update(d: unknown) {
    this.h.update(d as string | Uint8Array);
  }
  async digest() {
    return new Uint8Array(this.h.digest());
  }
}

let t: TestServer;
const clients: SQSClient[] = [];

function client(u: Pick<User, 'accessKeyId' | 'secretAccessKey' | 'sessionToken'>, extra: Record<string, unknown> = {}): SQSClient {
  const c = new SQSClient({
    endpoint: t.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: u.accessKeyId, secretAccessKey: u.secretAccessKey, ...(u.sessionToken ? { sessionToken: u.sessionToken } : {}) },
    maxAttempts: 1,
    ...extra,
  });
  clients.push(c);
  return c;
}

const E = {
  signature: { name: 'SignatureDoesNotMatch', code: 'SignatureDoesNotMatch', status: 403 },
  unknownKey: { name: 'InvalidClientTokenId', code: 'InvalidClientTokenId', status: 403, message: 'The security token included in the request is invalid.' },
  expired: { name: 'RequestExpired', code: 'RequestExpired', status: 400 },
  denied: (message: RegExp) => ({ name: 'AccessDenied', code: 'AccessDenied', status: 403, message }),
};

beforeAll(async () => {
  t = await startTestServer({ auth: 'sigv4', users: [ROOT_A, ROOT_B, ALICE, TEMP] });
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await t.close();
});

describe('SigV4 through the SDK (JSON protocol)', () => {
  it('right credentials work, and the queue lives under the caller account', async () => {
    const a = client(ROOT_A);
    const { QueueUrl } = await a.send(new CreateQueueCommand({ QueueName: uniq('auth-ok') }));
    expect(QueueUrl).toContain(`/${A}/`);
    await a.send(new SendMessageCommand({ QueueUrl, MessageBody: 'hi' }));
    const r = await a.send(new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ['SenderId'] }));
    expect(r.Messages?.[0]?.Attributes?.['SenderId']).toBe(A);
  });

  it('a wrong secret is SignatureDoesNotMatch', async () => {
    await expectError(client({ ...ROOT_A, secretAccessKey: 'wrong' }).send(new ListQueuesCommand({})), E.signature);
  });

  it('an unknown access key is InvalidClientTokenId', async () => {
    await expectError(client({ accessKeyId: 'AKIANOBODY', secretAccessKey: 'x' }).send(new ListQueuesCommand({})), E.unknownKey);
  });

  it('a request signed 20 minutes ago is RequestExpired', async () => {
    await expectError(client(ROOT_A, { systemClockOffset: -20 * 60_000 }).send(new ListQueuesCommand({})), E.expired);
  });

  it('a request signed 10 minutes off is within the skew', async () => {
    await client(ROOT_A, { systemClockOffset: -10 * 60_000 }).send(new ListQueuesCommand({}));
  });

  it('a region other than the server one is refused', async () => {
    const c = new SQSClient({ endpoint: t.endpoint, region: 'eu-west-1', credentials: ROOT_A, maxAttempts: 1 });
    clients.push(c);
    await expectError(c.send(new ListQueuesCommand({})), { ...E.signature, message: /scoped to a valid region/ });
  });

  it('no signature at all is MissingAuthenticationToken', async () => {
    const r = await fetch(t.endpoint, {
      method: 'POST',
      headers: { 'x-amz-target': 'AmazonSQS.ListQueues', 'content-type': 'application/x-amz-json-1.0' },
      body: '{}',
    });
    expect(r.status).toBe(403);
    expect(r.headers.get('x-amzn-query-error')).toBe('MissingAuthenticationToken;Sender');
    expect(((await r.json()) as { __type: string }).__type).toBe('com.amazonaws.sqs#MissingAuthenticationTokenException');
  });

  it('session tokens: the right one works, a wrong or missing one does not', async () => {
    await client(TEMP).send(new ListQueuesCommand({}));
    await expectError(client({ ...TEMP, sessionToken: 'other' }).send(new ListQueuesCommand({})), E.unknownKey);
    await expectError(client({ ...TEMP, sessionToken: undefined }).send(new ListQueuesCommand({})), E.unknownKey);
    await expectError(client({ ...ROOT_A, sessionToken: 'unexpected' }).send(new ListQueuesCommand({})), E.unknownKey);
  });
});

/** A Query-protocol request signed with @smithy/signature-v4, sent with fetch. */
async function query(
  u: User,
  params: Record<string, string>,
  how: 'post' | 'get' | 'presign',
  opts: { expiresIn?: number; signingDate?: Date; path?: string } = {},
): Promise<{ status: number; body: string }> {
  const url = new URL(t.endpoint);
  const signer = new SignatureV4({
    credentials: { accessKeyId: u.accessKeyId, secretAccessKey: u.secretAccessKey, ...(u.sessionToken ? { sessionToken: u.sessionToken } : {}) },
    region: 'us-east-1',
    service: 'sqs',
    sha256: Sha256,
  });
  const all = { Version: '2012-11-05', ...params };
  const base = { protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: opts.path ?? '/', headers: { host: url.host } };
  const enc = (o: Record<string, string>) =>
    Object.entries(o).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  let r: Response;
  if (how === 'post') {
    const body = enc(all);
    const signed = await signer.sign(
      { ...base, method: 'POST', query: {}, headers: { ...base.headers, 'content-type': 'application/x-www-form-urlencoded' }, body },
      opts.signingDate ? { signingDate: opts.signingDate } : {},
    );
    const { host: _, ...headers } = signed.headers;
    r = await fetch(`${t.endpoint}${base.path}`, { method: 'POST', headers, body });
  } else {
    const req = { ...base, method: 'GET', query: all };
    const signed =
      how === 'get'
        ? await signer.sign(req, opts.signingDate ? { signingDate: opts.signingDate } : {})
        : await signer.presign(req, { expiresIn: opts.expiresIn ?? 300, ...(opts.signingDate ? { signingDate: opts.signingDate } : {}) });
    const { host: _, ...headers } = signed.headers;
    r = await fetch(`${t.endpoint}${base.path}?${enc(signed.query as Record<string, string>)}`, { headers });
  }
  return { status: r.status, body: await r.text() };
}

describe('SigV4 on the Query protocol', () => {
  it.each(['post', 'get', 'presign'] as const)('%s: right credentials work', async (how) => {
    const name = uniq(`q-${how}`);
    const r = await query(ROOT_B, { Action: 'CreateQueue', QueueName: name }, how);
    expect(r.body).toContain(`/${B}/${name}</QueueUrl>`);
    expect(r.status).toBe(200);
    const s = await query(ROOT_B, { Action: 'SendMessage', QueueUrl: `${t.endpoint}/${B}/${name}`, MessageBody: 'a b+c&d=é' }, how);
    expect(s.status).toBe(200);
    const got = await query(ROOT_B, { Action: 'ReceiveMessage' }, how, { path: `/${B}/${name}` });
    expect(got.body).toContain('<Body>a b+c&amp;d=é</Body>');
  });

  it.each(['post', 'get', 'presign'] as const)('%s: a wrong secret is SignatureDoesNotMatch', async (how) => {
    const r = await query({ ...ROOT_B, secretAccessKey: 'nope' }, { Action: 'ListQueues' }, how);
    expect(r.status).toBe(403);
    expect(r.body).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it.each(['post', 'get', 'presign'] as const)('%s: an unknown key is InvalidClientTokenId', async (how) => {
    const r = await query({ ...ROOT_B, accessKeyId: 'AKIAUNKNOWN' }, { Action: 'ListQueues' }, how);
    expect(r.status).toBe(403);
    expect(r.body).toContain('<Code>InvalidClientTokenId</Code>');
  });

  it.each(['post', 'get'] as const)('%s: signed 20 minutes ago is RequestExpired', async (how) => {
    const r = await query(ROOT_B, { Action: 'ListQueues' }, how, { signingDate: new Date(Date.now() - 20 * 60_000) });
    expect(r.status).toBe(400);
    expect(r.body).toContain('<Code>RequestExpired</Code>');
  });

  it('a presigned URL works until X-Amz-Expires, then is RequestExpired', async () => {
    const live = await query(ROOT_B, { Action: 'ListQueues' }, 'presign', { expiresIn: 3600, signingDate: new Date(Date.now() - 30 * 60_000) });
    expect(live.status).toBe(200);
    const dead = await query(ROOT_B, { Action: 'ListQueues' }, 'presign', { expiresIn: 60, signingDate: new Date(Date.now() - 2 * 60_000) });
    expect(dead.status).toBe(400);
    expect(dead.body).toContain('<Code>RequestExpired</Code>');
  });

  it('a presigned URL with a session token', async () => {
    expect((await query(TEMP, { Action: 'ListQueues' }, 'presign')).status).toBe(200);
    const r = await query({ ...TEMP, sessionToken: 'forged' }, { Action: 'ListQueues' }, 'presign');
    expect(r.body).toContain('<Code>InvalidClientTokenId</Code>');
  });

  it('a tampered presigned URL does not verify', async () => {
    const r = await query(ROOT_B, { Action: 'ListQueues' }, 'presign');
    expect(r.status).toBe(200);
    // Same signature, different parameters.
    const url = new URL(t.endpoint);
    const signer = new SignatureV4({ credentials: ROOT_B, region: 'us-east-1', service: 'sqs', sha256: Sha256 });
    const p = await signer.presign({ protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/', method: 'GET', headers: { host: url.host }, query: { Action: 'ListQueues', Version: '2012-11-05' } });
    const q = new URLSearchParams(p.query as Record<string, string>);
    q.set('QueueNamePrefix', 'x');
    const res = await fetch(`${t.endpoint}/?${q}`);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('no signature at all is MissingAuthenticationToken', async () => {
    const r = await fetch(`${t.endpoint}/?Action=ListQueues&Version=2012-11-05`);
    expect(r.status).toBe(403);
    expect(await r.text()).toContain('<Code>MissingAuthenticationToken</Code>');
  });
});

describe('two accounts and a queue policy', () => {
  let queueUrl: string;
  let name: string;
  beforeAll(async () => {
    name = uniq('shared');
    ({ QueueUrl: queueUrl } = (await client(ROOT_A).send(new CreateQueueCommand({ QueueName: name }))) as { QueueUrl: string });
    const policy = {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'b-sends', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${B}:root` }, Action: 'sqs:SendMessage', Resource: `arn:aws:sqs:us-east-1:${A}:${name}` },
      ],
    };
    await client(ROOT_A).send(new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { Policy: JSON.stringify(policy) } }));
  });

  it('the other account can send', async () => {
    const b = client(ROOT_B);
    const r = await b.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'from B' }));
    expect(r.MessageId).toBeTruthy();
    const got = await client(ROOT_A).send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MessageSystemAttributeNames: ['SenderId'] }));
    expect(got.Messages?.[0]?.Body).toBe('from B');
    expect(got.Messages?.[0]?.Attributes?.['SenderId']).toBe(B);
  });

  it('the other account cannot receive', async () => {
    await expectError(
      client(ROOT_B).send(new ReceiveMessageCommand({ QueueUrl: queueUrl })),
      E.denied(new RegExp(`^User: arn:aws:iam::${B}:root is not authorized to perform: sqs:receivemessage on resource: arn:aws:sqs:us-east-1:${A}:${name} because no resource-based policy allows the sqs:receivemessage action$`)),
    );
  });

  it('the other account cannot look the queue up (the policy does not grant GetQueueUrl)', async () => {
    await expectError(
      client(ROOT_B).send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: A })),
      E.denied(/sqs:getqueueurl/),
    );
  });

  it('GetQueueUrl with QueueOwnerAWSAccountId works across accounts where the policy allows it', async () => {
    const n = uniq('lookup');
    const a = client(ROOT_A);
    const { QueueUrl } = await a.send(
      new CreateQueueCommand({
        QueueName: n,
        Attributes: {
          Policy: JSON.stringify({
            Statement: [{ Effect: 'Allow', Principal: { AWS: B }, Action: ['sqs:GetQueueUrl', 'sqs:ReceiveMessage'], Resource: `arn:aws:sqs:*:${A}:${n}` }],
          }),
        },
      }),
    );
    const b = client(ROOT_B);
    const got = await b.send(new GetQueueUrlCommand({ QueueName: n, QueueOwnerAWSAccountId: A }));
    expect(got.QueueUrl).toBe(QueueUrl);
    await b.send(new ReceiveMessageCommand({ QueueUrl }));
    await expectError(b.send(new SendMessageCommand({ QueueUrl, MessageBody: 'no' })), E.denied(/sqs:sendmessage/));
  });

  it('ListQueues shows only the caller account queues', async () => {
    const a = await client(ROOT_A).send(new ListQueuesCommand({}));
    const b = await client(ROOT_B).send(new ListQueuesCommand({}));
    expect(a.QueueUrls).toContain(queueUrl);
    expect((b.QueueUrls ?? []).every((u) => u.includes(`/${B}/`))).toBe(true);
    expect((a.QueueUrls ?? []).every((u) => u.includes(`/${A}/`))).toBe(true);
  });

  it('an IAM user gets what its identity policy allows, with an AIDA SenderId', async () => {
    const alice = client(ALICE);
    const { QueueUrl } = await alice.send(new GetQueueUrlCommand({ QueueName: name }));
    expect(QueueUrl).toBe(queueUrl);
    await alice.send(new SendMessageCommand({ QueueUrl, MessageBody: 'from alice' }));
    await expectError(
      alice.send(new ReceiveMessageCommand({ QueueUrl })),
      E.denied(/^User: arn:aws:iam::111111111111:user\/alice is not authorized to perform: sqs:receivemessage .* because no identity-based policy allows/),
    );
    await expectError(alice.send(new CreateQueueCommand({ QueueName: uniq('alice') })), E.denied(/sqs:createqueue/));
    const got = await client(ROOT_A).send(new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ['SenderId'], MaxNumberOfMessages: 10 }));
    const mine = got.Messages?.find((m) => m.Body === 'from alice');
    expect(mine?.Attributes?.['SenderId']).toBe(iamUserId(A, 'alice'));
    expect(mine?.Attributes?.['SenderId']).toMatch(/^AIDA[A-Z2-7]{17}$/);
  });

  it('a queue policy Deny stops even the owner, at once', async () => {
    const n = uniq('deny');
    const a = client(ROOT_A);
    const { QueueUrl } = await a.send(new CreateQueueCommand({ QueueName: n }));
    await a.send(new SendMessageCommand({ QueueUrl, MessageBody: 'before' }));
    const policy = { Statement: [{ Effect: 'Deny', Principal: '*', Action: 'sqs:SendMessage', Resource: '*' }] };
    await a.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: JSON.stringify(policy) } }));
    await expectError(a.send(new SendMessageCommand({ QueueUrl, MessageBody: 'after' })), E.denied(/with an explicit deny in a resource-based policy$/));
  });
});

describe('auth off', () => {
  let off: TestServer;
  beforeAll(async () => {
    off = await startTestServer({ users: [ROOT_B] });
  });
  afterAll(async () => {
    await off.close();
  });

  it('any signature is accepted; a configured key still picks its account', async () => {
    const mk = (u: Pick<User, 'accessKeyId' | 'secretAccessKey'>) => {
      const c = new SQSClient({ endpoint: off.endpoint, region: 'us-east-1', credentials: u, maxAttempts: 1 });
      clients.push(c);
      return c;
    };
    const b = await mk({ ...ROOT_B, secretAccessKey: 'not-checked' }).send(new CreateQueueCommand({ QueueName: uniq('off') }));
    expect(b.QueueUrl).toContain(`/${B}/`);
    const d = await mk({ accessKeyId: 'whatever', secretAccessKey: 'x' }).send(new CreateQueueCommand({ QueueName: uniq('off') }));
    expect(d.QueueUrl).toContain(`/${off.config.accountId}/`);
    const r = await fetch(`${off.endpoint}/?Action=ListQueues&Version=2012-11-05`);
    expect(r.status).toBe(200);
  });
});
