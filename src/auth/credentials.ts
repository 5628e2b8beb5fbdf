// Who may call: users from the config (access key, secret, account, optional IAM user name,
// session token and identity policies), and the principal a verified request acts as.
// Secrets stay in memory only: nothing here formats a secret into a message or a log line.
import { createHash } from 'node:crypto';
import { ConfigError } from '../config.js';
import type { PolicyDocument } from './policy.js';

export interface User {
  accessKeyId: string;
  secretAccessKey: string;
  /** 12 digits: the account the user's queues live under (config file: defaults to accountId). */
  accountId: string;
  /** An IAM user when set (identity policies apply); the account's root when not. */
  userName?: string;
  /** Temporary credentials: requests must carry this X-Amz-Security-Token. */
  sessionToken?: string;
  /** IAM identity policy documents attached to an IAM user. */
  policies?: PolicyDocument[];
}

/** Who a request acts as. */
export interface Principal {
  account: string;
  /** AWS's unique id: the account id for root, AIDA... for an IAM user; the SenderId of sends. */
  userId: string;
  /** arn:aws:iam::ACCOUNT:root or arn:aws:iam::ACCOUNT:user/NAME. */
  arn: string;
  userName?: string;
  root: boolean;
  policies: readonly PolicyDocument[];
}

const ACCESS_KEY = /^[A-Za-z0-9_+=.@-]{1,128}$/;

/** `--user ACCESS_KEY:SECRET:ACCOUNT_ID`, the account's root. The secret may not hold ',' or ':'. */
export function parseUserFlag(raw: string): User {
  const first = raw.indexOf(':');
  const last = raw.lastIndexOf(':');
  const accessKeyId = raw.slice(0, first);
  const secretAccessKey = raw.slice(first + 1, last);
  const accountId = raw.slice(last + 1);
  // The message never repeats the value: it holds a secret.
  if (first <= 0 || last === first || !ACCESS_KEY.test(accessKeyId) || secretAccessKey === '') {
    throw new ConfigError('--user must be ACCESS_KEY:SECRET:ACCOUNT_ID');
  }
  if (!/^\d{12}$/.test(accountId)) throw new ConfigError(`--user ${accessKeyId}: the account id must be 12 digits`);
  return { accessKeyId, secretAccessKey, accountId };
}

/** Several `--user` values, joined with ',' by the flag parser. */
export function parseUserFlags(raw: string): User[] {
  const users = raw.split(',').filter((s) => s !== '').map(parseUserFlag);
  checkUsers(users);
  return users;
}

/** Throws ConfigError for users a config file got wrong; messages name the key, not the secret. */
export function checkUsers(users: readonly User[]): void {
  const seen = new Set<string>();
  for (const u of users) {
    if (typeof u.accessKeyId !== 'string' || !ACCESS_KEY.test(u.accessKeyId)) {
      throw new ConfigError('users: every user needs an accessKeyId of letters, digits and _+=.@-');
    }
    if (typeof u.secretAccessKey !== 'string' || u.secretAccessKey === '') {
      throw new ConfigError(`users: ${u.accessKeyId} needs a secretAccessKey`);
    }
    if (u.accountId !== undefined && (typeof u.accountId !== 'string' || !/^\d{12}$/.test(u.accountId))) {
      throw new ConfigError(`users: ${u.accessKeyId} needs a 12-digit accountId`);
    }
    if (u.sessionToken !== undefined && (typeof u.sessionToken !== 'string' || u.sessionToken === '')) {
      throw new ConfigError(`users: ${u.accessKeyId} has an empty sessionToken`);
    }
    for (const [i, doc] of (u.policies ?? []).entries()) {
      const why = policyProblem(doc);
      if (why) throw new ConfigError(`users: ${u.accessKeyId}: policies[${i}]: ${why}`);
    }
    if (u.userName !== undefined && !/^[\w+=,.@-]{1,64}$/.test(u.userName)) {
      throw new ConfigError(`users: ${u.accessKeyId} has an invalid userName`);
    }
    if (seen.has(u.accessKeyId)) throw new ConfigError(`users: access key ${u.accessKeyId} is listed twice`);
    seen.add(u.accessKeyId);
  }
}

/** What is wrong with an identity policy document, or null. */
export function policyProblem(doc: unknown): string | null {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'must be a policy document object';
  const st = (doc as { Statement?: unknown }).Statement;
  const list = Array.isArray(st) ? st : st === undefined ? [] : [st];
  if (list.length === 0) return 'needs a Statement';
  for (const s of list as Record<string, unknown>[]) {
    if (typeof s !== 'object' || s === null) return 'every Statement must be an object';
    if (s['Effect'] !== 'Allow' && s['Effect'] !== 'Deny') return 'every Statement needs Effect "Allow" or "Deny"';
    if (s['Action'] === undefined && s['NotAction'] === undefined) return 'every Statement needs Action or NotAction';
    if (s['Resource'] === undefined && s['NotResource'] === undefined) return 'every Statement needs Resource or NotResource';
  }
  return null;
}

const indexes = new WeakMap<readonly User[], Map<string, User>>();

/** The user with this access key, or undefined. Indexed once per users array. */
export function findUser(users: readonly User[], accessKeyId: string): User | undefined {
  let ix = indexes.get(users);
  if (!ix) {
    ix = new Map(users.map((u) => [u.accessKeyId, u]));
    indexes.set(users, ix);
  }
  return ix.get(accessKeyId);
}

const principals = new WeakMap<User, Principal>();

/** `defaultAccount` stands in for a config-file user given without accountId. */
export function principalOf(user: User, defaultAccount: string): Principal {
  let p = principals.get(user);
  if (p) return p;
  const account = user.accountId ?? defaultAccount;
  p = user.userName === undefined
    ? rootOf(account)
    : {
        account,
        userId: iamUserId(account, user.userName),
        arn: `arn:aws:iam::${account}:user/${user.userName}`,
        userName: user.userName,
        root: false,
        policies: user.policies ?? [],
      };
  principals.set(user, p);
  return p;
}

export function rootOf(account: string): Principal {
  return { account, userId: account, arn: `arn:aws:iam::${account}:root`, root: true, policies: [] };
}

/** A stable AIDA... id (AWS's form: 'AIDA' and 17 base-32 characters) for an IAM user. */
export function iamUserId(account: string, userName: string): string {
  const digest = createHash('sha256').update(`${account}/${userName}`).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let id = 'AIDA';
  for (let i = 0; i < 17; i++) id += alphabet[digest[i]! & 31];
  return id;
}
