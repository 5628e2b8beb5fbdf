// IAM policy evaluation, table-driven: each element and condition operator in allow, deny and
// implicit-deny cases.
import { describe, expect, it } from 'vitest';
import { evaluate, glob, type Decision, type PolicyDocument, type RequestContext, type Statement } from '../../src/auth/policy.js';

const A = '111111111111';
const B = '222222222222';
const QUEUE = `arn:aws:sqs:us-east-1:${A}:orders`;
const ALICE = `arn:aws:iam::${A}:user/alice`;
const BOB = `arn:aws:iam::${B}:user/bob`;

type Who = 'aliceA' | 'rootA' | 'bobB' | 'rootB';
const PRINCIPALS: Record<Who, RequestContext['principal']> = {
  aliceA: { account: A, arn: ALICE, root: false },
  rootA: { account: A, arn: `arn:aws:iam::${A}:root`, root: true },
  bobB: { account: B, arn: BOB, root: false },
  rootB: { account: B, arn: `arn:aws:iam::${B}:root`, root: true },
};

function ctx(who: Who, action = 'sqs:SendMessage', keys: Record<string, string> = {}, resource = QUEUE): RequestContext {
  const p = PRINCIPALS[who];
  return {
    action,
    resource,
    resourceAccount: A,
    principal: p,
    keys: {
      'aws:sourceip': '10.1.2.3',
      'aws:securetransport': 'false',
      'aws:currenttime': '2026-03-01T12:00:00.000Z',
      'aws:epochtime': String(Date.parse('2026-03-01T12:00:00Z') / 1000),
      'aws:principalarn': p.arn,
      'aws:principalaccount': p.account,
      ...(p.root ? {} : { 'aws:username': p.arn.slice(p.arn.lastIndexOf('/') + 1) }),
      ...keys,
    },
  };
}

const doc = (...Statement: Statement[]): PolicyDocument => ({ Version: '2012-10-17', Statement });
const allow = (s: Partial<Statement> = {}): Statement => ({ Effect: 'Allow', Action: 'sqs:*', Resource: '*', ...s });
const deny = (s: Partial<Statement> = {}): Statement => ({ Effect: 'Deny', Action: 'sqs:*', Resource: '*', ...s });
/** A queue-policy statement: Principal defaults to everyone. */
const qAllow = (s: Partial<Statement> = {}): Statement => allow({ Principal: '*', Resource: QUEUE, ...s });
const qDeny = (s: Partial<Statement> = {}): Statement => deny({ Principal: '*', Resource: QUEUE, ...s });

type Want = 'allow' | Extract<Decision, { allowed: false }>['why'];
interface Case {
  name: string;
  identity?: Statement[];
  queue?: Statement[];
  ctx: RequestContext;
  want: Want;
}

const outcome = (d: Decision): Want => (d.allowed ? 'allow' : d.why);
const run = (cases: Case[]) => {
  for (const c of cases) {
    it(c.name, () => {
      const d = evaluate(c.identity ? [doc(...c.identity)] : [], c.queue ? doc(...c.queue) : null, c.ctx);
      expect(outcome(d)).toBe(c.want);
    });
  }
};

describe('evaluation logic', () =>
  run([
    { name: 'root, own account, no policies: allowed', ctx: ctx('rootA'), want: 'allow' },
    { name: 'IAM user, no policies: implicit deny', ctx: ctx('aliceA'), want: 'no-identity-allow' },
    { name: 'IAM user, identity allow', identity: [allow()], ctx: ctx('aliceA'), want: 'allow' },
    { name: 'IAM user, same-account queue policy allow alone', queue: [qAllow({ Principal: { AWS: ALICE } })], ctx: ctx('aliceA'), want: 'allow' },
    { name: 'explicit identity deny beats allow', identity: [allow(), deny()], ctx: ctx('aliceA'), want: 'identity-deny' },
    { name: 'explicit queue deny beats identity allow', identity: [allow()], queue: [qDeny()], ctx: ctx('aliceA'), want: 'resource-deny' },
    { name: 'queue deny applies to the owner root too', queue: [qDeny()], ctx: ctx('rootA'), want: 'resource-deny' },
    { name: 'queue deny beats queue allow', queue: [qAllow(), qDeny()], ctx: ctx('aliceA'), want: 'resource-deny' },
    { name: 'cross-account root, no queue policy', ctx: ctx('rootB'), want: 'no-resource-allow' },
    { name: 'cross-account root, queue allows its account', queue: [qAllow({ Principal: { AWS: B } })], ctx: ctx('rootB'), want: 'allow' },
    { name: 'cross-account user needs identity allow too', queue: [qAllow({ Principal: { AWS: B } })], ctx: ctx('bobB'), want: 'no-identity-allow' },
    { name: 'cross-account user with both sides', identity: [allow()], queue: [qAllow({ Principal: { AWS: B } })], ctx: ctx('bobB'), want: 'allow' },
    { name: 'cross-account user with identity only', identity: [allow()], ctx: ctx('bobB'), want: 'no-resource-allow' },
    { name: 'Deny effect without match is no deny', identity: [allow(), deny({ Action: 'sqs:ReceiveMessage' })], ctx: ctx('aliceA'), want: 'allow' },
  ]));

describe('Action / NotAction', () =>
  run([
    { name: 'sqs:* matches', identity: [allow({ Action: 'sqs:*' })], ctx: ctx('aliceA'), want: 'allow' },
    { name: '* matches', identity: [allow({ Action: '*' })], ctx: ctx('aliceA'), want: 'allow' },
    { name: 'sqs:Send* matches SendMessage', identity: [allow({ Action: 'sqs:Send*' })], ctx: ctx('aliceA'), want: 'allow' },
    { name: 'sqs:Send* does not match ReceiveMessage', identity: [allow({ Action: 'sqs:Send*' })], ctx: ctx('aliceA', 'sqs:ReceiveMessage'), want: 'no-identity-allow' },
    { name: 'case-insensitive', identity: [allow({ Action: 'SQS:sendmessage' })], ctx: ctx('aliceA'), want: 'allow' },
    { name: '? is one character', identity: [allow({ Action: 'sqs:?endMessage' })], ctx: ctx('aliceA'), want: 'allow' },
    { name: 'list of actions', identity: [allow({ Action: ['sqs:ReceiveMessage', 'sqs:SendMessage'] })], ctx: ctx('aliceA'), want: 'allow' },
    { name: 'other service', identity: [allow({ Action: 'sns:*' })], ctx: ctx('aliceA'), want: 'no-identity-allow' },
    { name: 'NotAction excludes', identity: [{ Effect: 'Allow', NotAction: 'sqs:SendMessage', Resource: '*' }], ctx: ctx('aliceA'), want: 'no-identity-allow' },
    { name: 'NotAction includes the rest', identity: [{ Effect: 'Allow', NotAction: 'sqs:Delete*', Resource: '*' }], ctx: ctx('aliceA'), want: 'allow' },
    { name: 'Deny with NotAction', identity: [allow(), { Effect: 'Deny', NotAction: 'sqs:Receive*', Resource: '*' }], ctx: ctx('aliceA'), want: 'identity-deny' },
  ]));

describe('Resource / NotResource', () =>
  run([
    { name: 'exact ARN', identity: [allow({ Resource: QUEUE })], ctx: ctx('aliceA'), want: 'allow' },
    { name: 'other queue', identity: [allow({ Resource: `arn:aws:sqs:us-east-1:${A}:other` })], ctx: ctx('aliceA'), want: 'no-identity-allow' },
    { name: 'name wildcard', identity: [allow({ Resource: `arn:aws:sqs:us-east-1:${A}:ord*` })], ctx: ctx('aliceA'), want: 'allow' },
    { name: 'region wildcard', identity: [allow({ Resource: `arn:aws:sqs:*:${A}:orders` })], ctx: ctx('aliceA'), want: 'allow' },
    { name: '? wildcard', identity: [allow({ Resource: `arn:aws:sqs:us-east-?:${A}:orders` })], ctx: ctx('aliceA'), want: 'allow' },
    { name: 'ARN is case-sensitive', identity: [allow({ Resource: `arn:aws:sqs:us-east-1:${A}:Orders` })], ctx: ctx('aliceA'), want: 'no-identity-allow' },
    { name: 'NotResource excludes', identity: [{ Effect: 'Allow', Action: 'sqs:*', NotResource: QUEUE }], ctx: ctx('aliceA'), want: 'no-identity-allow' },
    { name: 'NotResource includes others', identity: [{ Effect: 'Allow', Action: 'sqs:*', NotResource: `arn:aws:sqs:*:*:secret-*` }], ctx: ctx('aliceA'), want: 'allow' },
    { name: 'policy variable ${aws:username}', identity: [allow({ Resource: `arn:aws:sqs:*:*:\${aws:username}-*` })], ctx: ctx('aliceA', 'sqs:SendMessage', {}, `arn:aws:sqs:us-east-1:${A}:alice-jobs`), want: 'allow' },
    { name: 'policy variable, other user', identity: [allow({ Resource: `arn:aws:sqs:*:*:\${aws:username}-*` })], ctx: ctx('aliceA', 'sqs:SendMessage', {}, `arn:aws:sqs:us-east-1:${A}:bob-jobs`), want: 'no-identity-allow' },
  ]));

describe('Principal / NotPrincipal (queue policy)', () =>
  run([
    { name: '"*"', queue: [qAllow({ Principal: '*' })], ctx: ctx('rootB'), want: 'allow' },
    { name: '{AWS: "*"}', queue: [qAllow({ Principal: { AWS: '*' } })], ctx: ctx('rootB'), want: 'allow' },
    { name: 'account id', queue: [qAllow({ Principal: { AWS: B } })], ctx: ctx('rootB'), want: 'allow' },
    { name: 'account root ARN', queue: [qAllow({ Principal: { AWS: `arn:aws:iam::${B}:root` } })], ctx: ctx('rootB'), want: 'allow' },
    { name: 'account root ARN covers its users', identity: [allow()], queue: [qAllow({ Principal: { AWS: `arn:aws:iam::${B}:root` } })], ctx: ctx('bobB'), want: 'allow' },
    { name: 'user ARN', identity: [allow()], queue: [qAllow({ Principal: { AWS: [BOB] } })], ctx: ctx('bobB'), want: 'allow' },
    { name: 'user ARN does not cover root', queue: [qAllow({ Principal: { AWS: BOB } })], ctx: ctx('rootB'), want: 'no-resource-allow' },
    { name: 'other account', queue: [qAllow({ Principal: { AWS: '333333333333' } })], ctx: ctx('rootB'), want: 'no-resource-allow' },
    { name: 'service principal never matches a user', queue: [qAllow({ Principal: { Service: 'sns.amazonaws.com' } })], ctx: ctx('rootB'), want: 'no-resource-allow' },
    { name: 'NotPrincipal deny spares the named', queue: [qAllow({ Principal: { AWS: B } }), { Effect: 'Deny', NotPrincipal: { AWS: B }, Action: 'sqs:*', Resource: QUEUE }], ctx: ctx('rootB'), want: 'allow' },
    { name: 'NotPrincipal deny hits the rest', queue: [{ Effect: 'Deny', NotPrincipal: { AWS: B }, Action: 'sqs:*', Resource: QUEUE }], ctx: ctx('aliceA'), want: 'resource-deny' },
  ]));

const cond = (c: Statement['Condition'], keys: Record<string, string> = {}, want: Want = 'allow'): Case => ({
  name: `${JSON.stringify(c)} with ${JSON.stringify(keys)} → ${want}`,
  queue: [qAllow({ Principal: { AWS: B }, Condition: c })],
  ctx: ctx('rootB', 'sqs:SendMessage', keys),
  want,
});
const NO = 'no-resource-allow' as const;
const SRC = `arn:aws:sns:us-east-1:${B}:topic`;

describe('Condition operators', () =>
  run([
    cond({ StringEquals: { 'aws:SourceAccount': B } }, { 'aws:sourceaccount': B }),
    cond({ StringEquals: { 'aws:SourceAccount': B } }, { 'aws:sourceaccount': A }, NO),
    cond({ StringEquals: { 'aws:SourceAccount': B } }, {}, NO),
    cond({ StringEquals: { 'aws:SourceAccount': [A, B] } }, { 'aws:sourceaccount': B }),
    cond({ StringNotEquals: { 'aws:SourceAccount': A } }, { 'aws:sourceaccount': B }),
    cond({ StringNotEquals: { 'aws:SourceAccount': [A, B] } }, { 'aws:sourceaccount': B }, NO),
    cond({ StringNotEquals: { 'aws:SourceAccount': A } }, {}),
    cond({ StringEqualsIgnoreCase: { 'aws:PrincipalArn': `ARN:AWS:IAM::${B}:ROOT` } }),
    cond({ StringNotEqualsIgnoreCase: { 'aws:PrincipalArn': `ARN:AWS:IAM::${B}:ROOT` } }, {}, NO),
    cond({ StringLike: { 'aws:PrincipalArn': `arn:aws:iam::${B}:*` } }),
    cond({ StringLike: { 'aws:PrincipalArn': `arn:aws:iam::${A}:*` } }, {}, NO),
    cond({ StringNotLike: { 'aws:PrincipalArn': `arn:aws:iam::${A}:*` } }),
    cond({ StringEqualsIfExists: { 'aws:SourceAccount': A } }, {}),
    cond({ StringEqualsIfExists: { 'aws:SourceAccount': A } }, { 'aws:sourceaccount': B }, NO),
    cond({ StringNotEqualsIfExists: { 'aws:SourceAccount': A } }, { 'aws:sourceaccount': A }, NO),
    cond({ ArnEquals: { 'aws:SourceArn': SRC } }, { 'aws:sourcearn': SRC }),
    cond({ ArnEquals: { 'aws:SourceArn': SRC } }, {}, NO),
    cond({ ArnLike: { 'aws:SourceArn': 'arn:aws:sns:*:*:topic' } }, { 'aws:sourcearn': SRC }),
    cond({ ArnLike: { 'aws:SourceArn': 'arn:aws:sns:*:*:other' } }, { 'aws:sourcearn': SRC }, NO),
    cond({ ArnLike: { 'aws:SourceArn': 'arn:aws:s3:*:*:topic' } }, { 'aws:sourcearn': SRC }, NO),
    cond({ ArnNotLike: { 'aws:SourceArn': 'arn:aws:sns:*:*:topic' } }, { 'aws:sourcearn': SRC }, NO),
    cond({ ArnNotEquals: { 'aws:SourceArn': SRC } }, {}),
    cond({ ArnLikeIfExists: { 'aws:SourceArn': 'arn:aws:sns:*:*:nope' } }, {}),
    cond({ NumericLessThan: { 'aws:EpochTime': '9999999999' } }),
    cond({ NumericLessThan: { 'aws:EpochTime': 1000 } }, {}, NO),
    cond({ NumericLessThanEquals: { 'aws:EpochTime': String(Date.parse('2026-03-01T12:00:00Z') / 1000) } }),
    cond({ NumericGreaterThan: { 'aws:EpochTime': 1000 } }),
    cond({ NumericGreaterThanEquals: { 'aws:EpochTime': '9999999999' } }, {}, NO),
    cond({ NumericEquals: { 'aws:EpochTime': 5 } }, {}, NO),
    cond({ NumericNotEquals: { 'aws:EpochTime': 5 } }),
    cond({ DateLessThan: { 'aws:CurrentTime': '2027-01-01T00:00:00Z' } }),
    cond({ DateLessThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } }, {}, NO),
    cond({ DateGreaterThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } }),
    cond({ DateGreaterThanEquals: { 'aws:CurrentTime': '2026-03-01T12:00:00Z' } }),
    cond({ DateLessThanEquals: { 'aws:CurrentTime': '2026-03-01T11:59:59Z' } }, {}, NO),
    cond({ DateEquals: { 'aws:CurrentTime': '2026-03-01T12:00:00Z' } }),
    cond({ DateNotEquals: { 'aws:CurrentTime': '2026-03-01T12:00:00Z' } }, {}, NO),
    cond({ DateGreaterThan: { 'aws:CurrentTime': String(Date.parse('2020-01-01T00:00:00Z') / 1000) } }),
    cond({ Bool: { 'aws:SecureTransport': 'false' } }),
    cond({ Bool: { 'aws:SecureTransport': true } }, {}, NO),
    cond({ IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }),
    cond({ IpAddress: { 'aws:SourceIp': ['192.168.0.0/16', '10.1.2.3/32'] } }),
    cond({ IpAddress: { 'aws:SourceIp': '192.168.0.0/16' } }, {}, NO),
    cond({ IpAddress: { 'aws:SourceIp': '10.1.2.3' } }),
    cond({ NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }, {}, NO),
    cond({ NotIpAddress: { 'aws:SourceIp': '192.168.0.0/16' } }),
    cond({ IpAddress: { 'aws:SourceIp': '2001:db8::/32' } }, { 'aws:sourceip': '2001:db8:0:1::5' }),
    cond({ IpAddress: { 'aws:SourceIp': '2001:db8::/32' } }, { 'aws:sourceip': '2001:db9::5' }, NO),
    cond({ IpAddress: { 'aws:SourceIp': '2001:db8::/32' } }, {}, NO),
    cond({ Null: { 'aws:SourceArn': 'true' } }),
    cond({ Null: { 'aws:SourceArn': 'false' } }, {}, NO),
    cond({ StringEquals: { 'aws:username': 'bob' } }, {}, NO),
    cond({ StringEquals: { 'aws:PrincipalAccount': B }, Bool: { 'aws:SecureTransport': 'false' } }),
    cond({ StringEquals: { 'aws:PrincipalAccount': B }, Bool: { 'aws:SecureTransport': 'true' } }, {}, NO),
    cond({ StringEquals: { 'aws:PrincipalAccount': B, 'aws:SourceAccount': B } }, {}, NO),
    cond({ NoSuchOperator: { 'aws:PrincipalAccount': B } }, {}, NO),
    cond({ 'ForAnyValue:StringLike': { 'aws:PrincipalArn': `arn:aws:iam::${B}:*` } }),
  ]));

describe('Conditions on Deny', () =>
  run([
    {
      name: 'deny unless TLS denies plain HTTP',
      identity: [allow()],
      queue: [qDeny({ Condition: { Bool: { 'aws:SecureTransport': 'false' } } })],
      ctx: ctx('aliceA'),
      want: 'resource-deny',
    },
    {
      name: 'deny outside a network spares inside callers',
      identity: [allow(), deny({ Condition: { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } })],
      ctx: ctx('aliceA'),
      want: 'allow',
    },
    {
      name: 'deny outside a network hits outside callers',
      identity: [allow(), deny({ Condition: { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } })],
      ctx: ctx('aliceA', 'sqs:SendMessage', { 'aws:sourceip': '8.8.8.8' }),
      want: 'identity-deny',
    },
  ]));

describe('glob', () => {
  it.each([
    ['a*c', 'abbbc', true],
    ['a*c', 'abbbd', false],
    ['*', '', true],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['*a*b*', 'xxaxxbxx', true],
    ['*a*b', 'xxaxxbxxc', false],
  ])('%s ~ %s = %s', (p, v, want) => expect(glob(p, v, false)).toBe(want));
});
