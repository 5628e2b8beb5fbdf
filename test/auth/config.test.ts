// Auth settings: --auth / SLUICE_AUTH, --user KEY:SECRET:ACCOUNT (repeatable), config-file users;
// errors never repeat a secret.
import { describe, expect, it } from 'vitest';
import { authenticate } from '../../src/auth/index.js';
import { checkUsers, iamUserId, parseUserFlag } from '../../src/auth/credentials.js';
import { parseConfigDoc } from '../../src/config-file.js';
import { ConfigError, DEFAULTS, loadConfig } from '../../src/config.js';
import type { HttpRequest } from '../../src/transport/types.js';

const message = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('auth config', () => {
  it('defaults to auth off and no users', () => {
    expect(DEFAULTS.auth).toBe('off');
    expect(DEFAULTS.users).toEqual([]);
  });

  it('SLUICE_AUTH and --user (joined by the flag parser)', () => {
    const c = loadConfig({ users: 'AK1:s/1+x:111111111111,AK2:s2:222222222222' }, { SLUICE_AUTH: 'sigv4' });
    expect(c.auth).toBe('sigv4');
    expect(c.users).toEqual([
      { accessKeyId: 'AK1', secretAccessKey: 's/1+x', accountId: '111111111111' },
      { accessKeyId: 'AK2', secretAccessKey: 's2', accountId: '222222222222' },
    ]);
    expect(message(() => loadConfig({ auth: 'on' }, {}))).toMatch(/must be off\|sigv4/);
  });

  it('a bad --user never echoes the secret', () => {
    for (const bad of ['AK:TOPSECRET', 'AK:TOPSECRET:12', ':TOPSECRET:111111111111', 'AK::111111111111']) {
      expect(message(() => parseUserFlag(bad))).not.toContain('TOPSECRET');
    }
    expect(message(() => loadConfig({ users: 'AK:TOPSECRET:1,AK:TOPSECRET:111111111111' }, {}))).not.toContain('TOPSECRET');
    expect(message(() => loadConfig({ users: 'AK:TOPSECRET:111111111111,AK:OTHER:111111111111' }, {}))).toMatch(/listed twice/);
  });

  it('config-file users with policies are checked', () => {
    const file = parseConfigDoc({
      auth: 'sigv4',
      users: [
        {
          accessKeyId: 'AKIAALICE',
          secretAccessKey: 'TOPSECRET',
          accountId: '111111111111',
          userName: 'alice',
          policies: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }] }],
        },
      ],
    });
    const c = loadConfig({}, {}, file);
    expect(c.auth).toBe('sigv4');
    expect(() => checkUsers(c.users)).not.toThrow();
    const broken = [{ ...c.users[0]!, policies: [{ Statement: [{ Effect: 'Maybe', Action: '*', Resource: '*' }] }] }];
    expect(message(() => checkUsers(broken as never))).toMatch(/policies\[0\]: every Statement needs Effect/);
  });

  it('auth off: a configured access key picks its account, anything else the default', () => {
    const config = { ...DEFAULTS, users: [{ accessKeyId: 'AKIAB', secretAccessKey: 's', accountId: '222222222222', userName: 'bob' }] };
    const req = (authorization?: string): HttpRequest => ({
      method: 'POST',
      path: '/',
      query: '',
      headers: authorization ? { authorization } : {},
      body: Buffer.alloc(0),
      remoteAddress: '127.0.0.1',
    });
    const bob = authenticate(req('AWS4-HMAC-SHA256 Credential=AKIAB/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=00'), config);
    expect(bob).toMatchObject({ account: '222222222222', userId: iamUserId('222222222222', 'bob'), root: false });
    expect(authenticate(req('AWS4-HMAC-SHA256 Credential=OTHER/20260101/us-east-1/sqs/aws4_request'), config).account).toBe(DEFAULTS.accountId);
    expect(authenticate(req(), config)).toMatchObject({ account: DEFAULTS.accountId, userId: DEFAULTS.accountId, root: true });
  });
});
