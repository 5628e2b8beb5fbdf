// The server's two auth hooks: authenticate (who is this?) and authorize (may they do this to
// that queue?), and authRequest, which runs both for one decoded request.
//
// auth: 'off' (the default, for local use) verifies nothing: a request whose access key is a
// configured user acts as that user's account, anything else as the default account, and no
// policy is evaluated. auth: 'sigv4' verifies every request's signature and evaluates policies.
import type { Config } from '../config.js';
import { SqsError } from '../protocol/errors.js';
import { parseQueueArn, parseQueueUrl, queueArn } from '../queue-url.js';
import type { HttpRequest } from '../transport/types.js';
import { findUser, principalOf, rootOf, type Principal } from './credentials.js';
import { evaluate, parsePolicy, type PolicyDocument, type RequestContext } from './policy.js';
import { checkTime, parseClaim, verifySignature } from './sigv4.js';

export type { Principal } from './credentials.js';

/** SigV4 credential scope service name for SQS. */
const SERVICE = 'sqs';
/** How long a queue's parsed Policy is reused; AWS documents up to 60 s for policy changes. */
export const POLICY_CACHE_TTL_MS = 1000;
export const POLICY_CACHE_ENTRIES_MAX = 10_000;

/** Who made the request. Throws the SigV4 errors AWS returns when auth is 'sigv4'. */
export function authenticate(req: HttpRequest, config: Config, nowMs = Date.now()): Principal {
  if (config.auth !== 'sigv4') {
    const key = accessKeyOf(req);
    const user = key === undefined ? undefined : findUser(config.users, key);
    return user ? principalOf(user, config.accountId) : rootOf(config.accountId);
  }
  const claim = parseClaim(req);
  if (!claim) throw new SqsError('MissingAuthenticationTokenException');
  const user = findUser(config.users, claim.accessKeyId);
  if (!user) throw new SqsError('UnrecognizedClientException', 'The security token included in the request is invalid.');
  checkTime(claim, nowMs);
  if (claim.service !== SERVICE) {
    throw new SqsError('InvalidSignatureException', `Credential should be scoped to correct service: '${SERVICE}'.`);
  }
  if (claim.region !== config.region) {
    throw new SqsError('InvalidSignatureException', `Credential should be scoped to a valid region, not '${claim.region}'.`);
  }
  if ((user.sessionToken ?? '') !== (claim.securityToken ?? '')) {
    throw new SqsError('UnrecognizedClientException', 'The security token included in the request is invalid.');
  }
  verifySignature(req, claim, user.secretAccessKey);
  return principalOf(user, config.accountId);
}

/** The access key a request names, unverified: for auth 'off', where it only picks the account. */
function accessKeyOf(req: HttpRequest): string | undefined {
  const auth = req.headers['authorization'];
  if (auth !== undefined) return /Credential=([^/,\s]+)\//.exec(auth)?.[1];
  const m = /(?:^|&)X-Amz-Credential=([^&%]+)(?:%2F|\/)/i.exec(req.query);
  return m?.[1];
}

export interface QueueTarget {
  account: string;
  name: string;
  arn: string;
  /** The queue's Policy attribute, if it has one. */
  policy?: string;
}

export interface AuthzContext {
  sourceIp: string;
  secureTransport: boolean;
  /** Milliseconds since the epoch. */
  now: number;
  /** For account-wide actions (queue null): the region of arn:aws:sqs:REGION:ACCOUNT:*. */
  region?: string;
}

/** Batch actions are governed by their single-message permission, as on AWS. */
const IAM_ACTION: Record<string, string> = {
  SendMessageBatch: 'sqs:SendMessage',
  DeleteMessageBatch: 'sqs:DeleteMessage',
  ChangeMessageVisibilityBatch: 'sqs:ChangeMessageVisibility',
};

/** Throws AccessDenied, worded as AWS words it, unless policies allow `action` on `queue`. */
export function authorize(principal: Principal, action: string, queue: QueueTarget | null, context: AuthzContext): void {
  const iamAction = IAM_ACTION[action] ?? `sqs:${action}`;
  const resourceAccount = queue?.account ?? principal.account;
  const resource = queue?.arn ?? `arn:aws:sqs:${context.region ?? '*'}:${resourceAccount}:*`;
  const doc = parsedPolicy(queue?.policy);
  // The common case, decided without building a request context: no policy anywhere, and the
  // account's root acting in its own account.
  if (!doc && principal.root && principal.policies.length === 0 && resourceAccount === principal.account) return;
  const rc: RequestContext = {
    action: iamAction,
    resource,
    resourceAccount,
    principal,
    keys: {
      'aws:sourceip': context.sourceIp.replace(/^::ffff:(?=\d+\.)/i, ''),
      'aws:securetransport': String(context.secureTransport),
      'aws:currenttime': new Date(context.now).toISOString(),
      'aws:epochtime': String(Math.floor(context.now / 1000)),
      'aws:principalarn': principal.arn,
      'aws:principalaccount': principal.account,
      'aws:principaltype': principal.root ? 'Account' : 'User',
      'aws:userid': principal.userId,
      'aws:username': principal.userName,
      'aws:resourceaccount': resourceAccount,
    },
  };
  const d = evaluate(principal.policies, doc, rc);
  if (d.allowed) return;
  const a = iamAction.toLowerCase();
  const why = {
    'identity-deny': 'with an explicit deny in an identity-based policy',
    'resource-deny': 'with an explicit deny in a resource-based policy',
    'no-identity-allow': `because no identity-based policy allows the ${a} action`,
    'no-resource-allow': `because no resource-based policy allows the ${a} action`,
  }[d.why];
  throw new SqsError('AccessDeniedException', `User: ${principal.arn} is not authorized to perform: ${a} on resource: ${resource} ${why}`);
}

const parsed = new Map<string, PolicyDocument | null>();

function parsedPolicy(text: string | undefined): PolicyDocument | null {
  if (!text) return null;
  let doc = parsed.get(text);
  if (doc === undefined) {
    doc = parsePolicy(text);
    if (parsed.size >= POLICY_CACHE_ENTRIES_MAX) parsed.clear();
    parsed.set(text, doc);
  }
  return doc;
}

// ---------------------------------------------------------------------------------------------
// One request, as the server sees it.

/** The slice of Core auth needs: a queue's attributes. */
export interface QueueInfoSource {
  admin(op: 'info', request: { key: string }): { attributes?: Record<string, string>; error?: string } | null;
}

interface CachedPolicy {
  policy: string | undefined;
  atMs: number;
}

const policyCaches = new WeakMap<object, Map<string, CachedPolicy>>();

/** Actions after which a queue's Policy may differ: its cache entry goes first. */
const CHANGES_POLICY = new Set(['CreateQueue', 'SetQueueAttributes', 'DeleteQueue', 'AddPermission', 'RemovePermission']);

/**
 * Authenticates the request and, with auth 'sigv4', authorizes `action` on the queue `input`
 * names. Returns the principal (its account and SenderId); throws the SqsError to answer with.
 */
export function authRequest(
  req: HttpRequest,
  config: Config,
  core: QueueInfoSource,
  action: string,
  input: Record<string, unknown>,
  nowMs = Date.now(),
): Principal {
  const principal = authenticate(req, config, nowMs);
  if (config.auth !== 'sigv4') return principal;
  const queue = targetOf(core, config, principal, action, input, nowMs);
  const context = { sourceIp: req.remoteAddress, secureTransport: false, now: nowMs, region: config.region };
  if (queue === 'unresolved') return principal; // the handler answers QueueDoesNotExist
  authorize(principal, action, queue, context);
  // A move task also sends to its destination: the caller must be allowed to.
  const dest = input['DestinationArn'];
  if (action === 'StartMessageMoveTask' && typeof dest === 'string') {
    const target = targetOf(core, config, principal, 'SendMessage', { QueueUrl: arnPath(dest) }, nowMs);
    if (target !== 'unresolved' && target !== null) authorize(principal, 'SendMessage', target, context);
  }
  return principal;
}

const MOVE_TASK_ACTIONS = new Set(['StartMessageMoveTask', 'ListMessageMoveTasks', 'CancelMessageMoveTask']);

function moveTaskSource(input: Record<string, unknown>): unknown {
  if (typeof input['SourceArn'] === 'string') return input['SourceArn'];
  const handle = input['TaskHandle'];
  if (typeof handle !== 'string') return undefined;
  try {
    return (JSON.parse(Buffer.from(handle, 'base64').toString('utf8')) as { sourceArn?: unknown }).sourceArn;
  } catch {
    return undefined;
  }
}

/** `/ACCOUNT/NAME` for a queue ARN, so the QueueUrl path applies; undefined otherwise. */
function arnPath(arn: unknown): string | undefined {
  if (typeof arn !== 'string') return undefined;
  const q = parseQueueArn(arn);
  return q ? `/${q.account}/${q.name}` : undefined;
}

function targetOf(
  core: QueueInfoSource,
  config: Config,
  principal: Principal,
  action: string,
  input: Record<string, unknown>,
  nowMs: number,
): QueueTarget | null | 'unresolved' {
  let account: string;
  let name: string;
  if (action === 'ListQueues') return null;
  if (action === 'CreateQueue' || action === 'GetQueueUrl') {
    const owner = input['QueueOwnerAWSAccountId'];
    account = action === 'GetQueueUrl' && typeof owner === 'string' && /^\d{12}$/.test(owner) ? owner : principal.account;
    name = typeof input['QueueName'] === 'string' ? input['QueueName'] : '';
  } else {
    // Move tasks name their queue by ARN, or by a task handle that holds it.
    const url = MOVE_TASK_ACTIONS.has(action) ? arnPath(moveTaskSource(input)) : input['QueueUrl'];
    if (typeof url !== 'string') return 'unresolved';
    try {
      ({ account, name } = parseQueueUrl(url));
    } catch {
      return 'unresolved';
    }
  }
  const key = `${account}/${name}`;
  let cache = policyCaches.get(core);
  if (!cache) policyCaches.set(core, (cache = new Map()));
  const arn = queueArn(config.region, account, name);
  // A new queue's policy is not in force for the CreateQueue that sets it.
  if (action === 'CreateQueue') {
    cache.delete(key);
    return { account, name, arn };
  }
  let hit = cache.get(key);
  if (!hit || nowMs - hit.atMs > POLICY_CACHE_TTL_MS || CHANGES_POLICY.has(action)) {
    const info = core.admin('info', { key });
    hit = { policy: info?.attributes?.['Policy'] || undefined, atMs: nowMs };
    if (cache.size >= POLICY_CACHE_ENTRIES_MAX) cache.clear();
    // The policy in force now; after this action it may change, so the next request reads again.
    if (CHANGES_POLICY.has(action)) cache.delete(key);
    else cache.set(key, hit);
  }
  return hit.policy === undefined ? { account, name, arn } : { account, name, arn, policy: hit.policy };
}
