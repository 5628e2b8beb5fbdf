// IAM policy evaluation as AWS documents it, for the two kinds of policy SQS has: the caller's
// identity policies and the queue's resource policy (its Policy attribute).
//
//   1. An explicit Deny in any applicable statement wins.
//   2. Same account: an Allow from either side is enough (root is allowed by its identity).
//   3. Cross account: both sides must Allow (root's identity allows everything in its own
//      name, so for root the queue policy decides).
//   4. Otherwise: implicit deny.
//
// Statements match on Action/NotAction (case-insensitive, '*' and '?' wildcards),
// Resource/NotResource (ARN wildcards), Principal/NotPrincipal (resource policies only: '*',
// account id, account root ARN, user ARN) and Condition (operators below; keys from the
// request context; the ...IfExists forms; policy variables like ${aws:username}).

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Principal?: '*' | Record<string, string | string[]>;
  NotPrincipal?: '*' | Record<string, string | string[]>;
  Condition?: Record<string, Record<string, string | number | boolean | (string | number | boolean)[]>>;
}

export interface PolicyDocument {
  Version?: string;
  Id?: string;
  Statement: Statement | Statement[];
}

export interface RequestContext {
  /** e.g. 'sqs:SendMessage'. */
  action: string;
  /** The queue's ARN (or arn:aws:sqs:REGION:ACCOUNT:* for account-wide actions). */
  resource: string;
  resourceAccount: string;
  principal: { account: string; arn: string; root: boolean };
  /** Condition keys, lower-cased names (aws:sourceip, ...); absent keys are undefined. */
  keys: Record<string, string | undefined>;
}

export type Decision =
  | { allowed: true }
  | { allowed: false; why: 'identity-deny' | 'resource-deny' | 'no-identity-allow' | 'no-resource-allow' };

export function statementsOf(doc: PolicyDocument): Statement[] {
  return Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
}

/** A queue's Policy attribute as a document; null when empty or not a policy. */
export function parsePolicy(text: string | undefined): PolicyDocument | null {
  if (!text) return null;
  try {
    const doc = JSON.parse(text) as PolicyDocument;
    if (typeof doc !== 'object' || doc === null || doc.Statement === undefined) return null;
    return doc;
  } catch {
    return null;
  }
}

export function evaluate(
  identity: readonly PolicyDocument[],
  resource: PolicyDocument | null,
  ctx: RequestContext,
): Decision {
  let identityAllow = ctx.principal.root;
  let resourceAllow = false;
  for (const doc of identity) {
    for (const s of statementsOf(doc)) {
      if (!matches(s, ctx, false)) continue;
      if (s.Effect === 'Deny') return { allowed: false, why: 'identity-deny' };
      if (s.Effect === 'Allow') identityAllow = true;
    }
  }
  if (resource) {
    for (const s of statementsOf(resource)) {
      if (!matches(s, ctx, true)) continue;
      if (s.Effect === 'Deny') return { allowed: false, why: 'resource-deny' };
      if (s.Effect === 'Allow') resourceAllow = true;
    }
  }
  if (ctx.principal.account === ctx.resourceAccount) {
    return identityAllow || resourceAllow ? { allowed: true } : { allowed: false, why: 'no-identity-allow' };
  }
  if (!identityAllow) return { allowed: false, why: 'no-identity-allow' };
  return resourceAllow ? { allowed: true } : { allowed: false, why: 'no-resource-allow' };
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function matches(s: Statement, ctx: RequestContext, resourcePolicy: boolean): boolean {
  if (s.Action !== undefined) {
    if (!list(s.Action).some((p) => glob(p, ctx.action, true))) return false;
  } else if (s.NotAction !== undefined) {
    if (list(s.NotAction).some((p) => glob(p, ctx.action, true))) return false;
  } else {
    return false;
  }
  // A queue policy without Resource applies to the queue it is attached to.
  if (s.Resource !== undefined) {
    if (!list(s.Resource).some((p) => glob(subst(p, ctx), ctx.resource, false))) return false;
  } else if (s.NotResource !== undefined) {
    if (list(s.NotResource).some((p) => glob(subst(p, ctx), ctx.resource, false))) return false;
  } else if (!resourcePolicy) {
    return false;
  }
  if (resourcePolicy) {
    if (s.Principal !== undefined) {
      if (!principalIn(s.Principal, ctx)) return false;
    } else if (s.NotPrincipal !== undefined) {
      if (principalIn(s.NotPrincipal, ctx)) return false;
    } else {
      return false;
    }
  }
  return s.Condition === undefined || conditionsHold(s.Condition, ctx);
}

function principalIn(p: NonNullable<Statement['Principal']>, ctx: RequestContext): boolean {
  if (p === '*') return true;
  const { account, arn } = ctx.principal;
  return list(p['AWS']).some(
    (v) => v === '*' || v === account || v === `arn:aws:iam::${account}:root` || v === arn,
  );
}

/** '*' any run of characters, '?' any one; the whole string must match. */
export function glob(pattern: string, value: string, ignoreCase: boolean): boolean {
  if (pattern === '*') return true;
  if (!pattern.includes('*') && !pattern.includes('?')) {
    return ignoreCase ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  }
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  const v = ignoreCase ? value.toLowerCase() : value;
  // Iterative wildcard match with one backtrack point: linear in practice, no regex building.
  let pi = 0;
  let vi = 0;
  let star = -1;
  let mark = 0;
  while (vi < v.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === v[vi])) {
      pi++;
      vi++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      mark = vi;
    } else if (star >= 0) {
      pi = star + 1;
      vi = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

/** Policy variables: ${aws:username} and other context keys; ${*} ${?} ${$} are literals. */
function subst(s: string, ctx: RequestContext): string {
  if (!s.includes('${')) return s;
  return s.replace(/\$\{([^}]+)\}/g, (_, k: string) => {
    if (k === '*' || k === '?' || k === '$') return k;
    return ctx.keys[k.toLowerCase()] ?? '';
  });
}

// ---------------------------------------------------------------------------------------------
// Conditions: every operator block must hold; within one, every key; a key holds when any of
// the policy's values match (for the negated operators: when none does).

type Cmp = (ctxValue: string, policyValue: string) => boolean;

const num = (s: string) => (s.trim() === '' ? NaN : Number(s));
const date = (s: string) => (/^\d+$/.test(s) ? Number(s) * 1000 : Date.parse(s));

const POSITIVE: Record<string, Cmp> = {
  stringequals: (a, b) => a === b,
  stringequalsignorecase: (a, b) => a.toLowerCase() === b.toLowerCase(),
  stringlike: (a, b) => glob(b, a, false),
  arnequals: (a, b) => arnLike(b, a),
  arnlike: (a, b) => arnLike(b, a),
  numericequals: (a, b) => num(a) === num(b),
  numericlessthan: (a, b) => num(a) < num(b),
  numericlessthanequals: (a, b) => num(a) <= num(b),
  numericgreaterthan: (a, b) => num(a) > num(b),
  numericgreaterthanequals: (a, b) => num(a) >= num(b),
  dateequals: (a, b) => date(a) === date(b),
  datelessthan: (a, b) => date(a) < date(b),
  datelessthanequals: (a, b) => date(a) <= date(b),
  dategreaterthan: (a, b) => date(a) > date(b),
  dategreaterthanequals: (a, b) => date(a) >= date(b),
  bool: (a, b) => a.toLowerCase() === b.toLowerCase(),
  ipaddress: (a, b) => inCidr(a, b),
};

/** Negated operator → the positive one it negates. */
const NEGATED: Record<string, string> = {
  stringnotequals: 'stringequals',
  stringnotequalsignorecase: 'stringequalsignorecase',
  stringnotlike: 'stringlike',
  arnnotequals: 'arnequals',
  arnnotlike: 'arnlike',
  numericnotequals: 'numericequals',
  datenotequals: 'dateequals',
  notipaddress: 'ipaddress',
};

function conditionsHold(cond: NonNullable<Statement['Condition']>, ctx: RequestContext): boolean {
  for (const [rawOp, block] of Object.entries(cond)) {
    let op = rawOp.toLowerCase();
    const ifExists = op.endsWith('ifexists');
    if (ifExists) op = op.slice(0, -'ifexists'.length);
    // Every key Sluice knows is single-valued, so the set qualifiers reduce to the plain forms.
    op = op.replace(/^(forallvalues|foranyvalue):/, '');
    for (const [rawKey, raw] of Object.entries(block)) {
      const values = list(raw).map((v) => subst(String(v), ctx));
      const actual = ctx.keys[rawKey.toLowerCase()];
      if (op === 'null') {
        if (!values.some((v) => (v.toLowerCase() === 'true') === (actual === undefined))) return false;
        continue;
      }
      const negatedOf = NEGATED[op];
      const cmp = POSITIVE[negatedOf ?? op];
      if (!cmp) return false; // an operator Sluice does not know never holds
      if (actual === undefined) {
        if (ifExists || negatedOf) continue;
        return false;
      }
      const any = values.some((v) => cmp(actual, v));
      if (negatedOf ? any : !any) return false;
    }
  }
  return true;
}

/** ArnLike: each of the six ':'-separated parts matches on its own, with wildcards. */
function arnLike(pattern: string, arn: string): boolean {
  const p = splitArn(pattern);
  const a = splitArn(arn);
  if (!p || !a) return pattern === arn;
  return p.every((seg, i) => glob(seg, a[i]!, false));
}

function splitArn(s: string): string[] | null {
  const parts = s.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return null;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

// ---------------------------------------------------------------------------------------------
// IP addresses: IPv4 and IPv6 CIDR blocks; IPv4-mapped IPv6 addresses count as IPv4.

function inCidr(ip: string, cidr: string): boolean {
  const slash = cidr.indexOf('/');
  const base = parseIp(slash < 0 ? cidr : cidr.slice(0, slash));
  const addr = parseIp(ip);
  if (!base || !addr || base.bits !== addr.bits) return false;
  const prefix = slash < 0 ? base.bits : Number(cidr.slice(slash + 1));
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > base.bits) return false;
  const shift = BigInt(base.bits - prefix);
  return base.value >> shift === addr.value >> shift;
}

function parseIp(s: string): { bits: 32 | 128; value: bigint } | null {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(s);
  if (mapped) s = mapped[1]!;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(s)) {
    const o = s.split('.').map(Number);
    if (o.some((x) => x > 255)) return null;
    return { bits: 32, value: BigInt(((o[0]! << 24) >>> 0) + (o[1]! << 16) + (o[2]! << 8) + o[3]!) };
  }
  if (!s.includes(':') || !/^[0-9a-f:]+$/i.test(s)) return null;
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const groups = [...head, ...Array<string>(Math.max(fill, 0)).fill('0'), ...tail];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return null;
  return { bits: 128, value: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n) };
}
