// The config file: JSON, read with --config PATH or SLUICE_CONFIG. JSON because Node reads it
// with no dependency and no ambiguity (YAML's implicit types turn `no` into false and `012`
// into 10, which bites account ids and ports), and every tool can write it. Keys starting with
// "//" or "$" are ignored, for comments and "$schema". Unknown keys are errors: a typo should
// stop start-up, not be silently ignored.
//
// Precedence: defaults < file < environment variables < flags (see loadConfig).
import { readFileSync } from 'node:fs';
import { ConfigError, DEFAULTS, coerce, loadConfig, type Config, type QueueSpec } from './config.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Kind = 'string' | 'number' | 'boolean' | 'port|null' | 'ports';

/** File key path → Config key, and the JSON type it must have. */
const SCALARS: Record<string, [keyof Config, Kind]> = {
  'listen.host': ['host', 'string'],
  'listen.port': ['port', 'number'],
  'listen.extraPorts': ['extraPorts', 'ports'],
  publicHost: ['publicHost', 'string'],
  region: ['region', 'string'],
  accountId: ['accountId', 'string'],
  dataDir: ['dataDir', 'string'],
  durability: ['durability', 'string'],
  payloadMemoryMb: ['payloadMemoryMb', 'number'],
  transport: ['transport', 'string'],
  'metrics.enabled': ['metrics', 'boolean'],
  'metrics.port': ['metricsPort', 'port|null'],
  'metrics.queueSeriesMax': ['metricsQueueSeriesMax', 'number'],
  'log.level': ['logLevel', 'string'],
  'log.format': ['logFormat', 'string'],
  'log.requests': ['logRequests', 'boolean'],
};
// Set only where this build's Config has them (other features add them).
const OPTIONAL_SCALARS: Record<string, [string, Kind]> = {
  workers: ['workers', 'number'],
  auth: ['auth', 'string'],
};
const SECTIONS = new Set(['listen', 'metrics', 'log']);
const QUEUE_KEYS = new Set(['name', 'attributes', 'tags', 'deadLetterQueue']);
const USER_KEYS = new Set(['accessKeyId', 'secretAccessKey', 'accountId', 'userName', 'sessionToken', 'policies']);

function typeName(v: Json): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function ignored(k: string): boolean {
  return k.startsWith('//') || k.startsWith('$');
}

/** Reads and checks a config file; errors name the file and the key. */
export function readConfigFile(path: string): Partial<Config> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`config file ${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let doc: Json;
  try {
    doc = JSON.parse(text) as Json;
  } catch (e) {
    throw new ConfigError(`config file ${path}: not valid JSON: ${(e as Error).message}`);
  }
  return parseConfigDoc(doc, path);
}

export function parseConfigDoc(doc: Json, path = 'config'): Partial<Config> {
  const fail = (key: string, why: string) => new ConfigError(`config file ${path}: ${key}: ${why}`);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw fail('(top level)', `must be an object, not ${typeName(doc)}`);
  const out: Record<string, unknown> = {};
  const scalar = (key: string, v: Json, target: string, kind: Kind) => {
    const want = kind === 'port|null' || kind === 'number' ? 'number' : kind === 'ports' ? 'array' : kind;
    if (kind === 'port|null' && v === null) {
      out[target] = null;
      return;
    }
    if (kind === 'ports') {
      if (!Array.isArray(v) || v.some((p) => typeof p !== 'number')) throw fail(key, `must be an array of port numbers, not ${JSON.stringify(v)}`);
    } else if (typeof v !== want) {
      throw fail(key, `must be ${want === 'array' ? 'an array' : `a ${want}`}, not ${typeName(v)} (${JSON.stringify(v)})`);
    }
    const raw = Array.isArray(v) ? v.join(',') : String(v);
    try {
      out[target] = coerce(target as keyof Config, raw, key);
    } catch (e) {
      if (e instanceof ConfigError) throw new ConfigError(e.message.replace(/^config /, `config file ${path}: `).replace(/ \(got [^)]*\)$/, ` (got ${JSON.stringify(v)})`));
      throw e;
    }
  };
  const known = (target: string) => Object.prototype.hasOwnProperty.call(DEFAULTS, target);
  for (const [k, v] of Object.entries(doc)) {
    if (ignored(k)) continue;
    if (SECTIONS.has(k)) {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw fail(k, `must be an object, not ${typeName(v)}`);
      for (const [k2, v2] of Object.entries(v)) {
        if (ignored(k2)) continue;
        const spec = SCALARS[`${k}.${k2}`];
        if (!spec) throw fail(`${k}.${k2}`, `unknown key (known: ${Object.keys(SCALARS).filter((s) => s.startsWith(`${k}.`)).join(', ')})`);
        scalar(`${k}.${k2}`, v2, spec[0], spec[1]);
      }
    } else if (SCALARS[k]) {
      scalar(k, v, SCALARS[k][0], SCALARS[k][1]);
    } else if (OPTIONAL_SCALARS[k] && known(OPTIONAL_SCALARS[k][0])) {
      scalar(k, v, OPTIONAL_SCALARS[k][0], OPTIONAL_SCALARS[k][1]);
    } else if (k === 'queues') {
      out['queues'] = parseQueues(v, fail);
    } else if (k === 'users' && known('users')) {
      out['users'] = parseUsers(v, fail);
    } else {
      throw fail(k, 'unknown key');
    }
  }
  return out as Partial<Config>;
}

function parseQueues(v: Json, fail: (key: string, why: string) => ConfigError): QueueSpec[] {
  if (!Array.isArray(v)) throw fail('queues', `must be an array of queues, not ${typeName(v)}`);
  const names = new Set<string>();
  const specs = v.map((q, i): QueueSpec => {
    const at = `queues[${i}]`;
    if (typeof q !== 'object' || q === null || Array.isArray(q)) throw fail(at, `must be an object, not ${typeName(q)}`);
    for (const k of Object.keys(q)) if (!ignored(k) && !QUEUE_KEYS.has(k)) throw fail(`${at}.${k}`, `unknown key (known: ${[...QUEUE_KEYS].join(', ')})`);
    const name = q['name'];
    if (typeof name !== 'string' || !/^[A-Za-z0-9_-]{1,80}$/.test(name.replace(/\.fifo$/, '')) || name.length > 80) {
      throw fail(`${at}.name`, `must be a queue name (letters, digits, - and _, 1 to 80, optionally ending .fifo), not ${JSON.stringify(name ?? null)}`);
    }
    if (names.has(name)) throw fail(`${at}.name`, `queue ${name} is listed twice`);
    names.add(name);
    const strMap = (key: string, allowScalars: boolean): Record<string, string> => {
      const m = q[key];
      if (m === undefined) return {};
      if (typeof m !== 'object' || m === null || Array.isArray(m)) throw fail(`${at}.${key}`, `must be an object, not ${typeName(m)}`);
      const o: Record<string, string> = {};
      for (const [k, x] of Object.entries(m)) {
        if (typeof x === 'string' || (allowScalars && (typeof x === 'number' || typeof x === 'boolean'))) o[k] = String(x);
        else if (allowScalars && typeof x === 'object' && x !== null && k === 'RedrivePolicy') o[k] = JSON.stringify(x);
        else throw fail(`${at}.${key}.${k}`, `must be a ${allowScalars ? 'string, number or boolean' : 'string'}, not ${typeName(x)}`);
      }
      return o;
    };
    const spec: QueueSpec = { name, attributes: strMap('attributes', true), tags: strMap('tags', false) };
    const dlq = q['deadLetterQueue'];
    if (dlq !== undefined) {
      const d = typeof dlq === 'string' ? { name: dlq, maxReceiveCount: 10 } : dlq;
      if (typeof d !== 'object' || d === null || Array.isArray(d) || typeof d['name'] !== 'string') {
        throw fail(`${at}.deadLetterQueue`, `must be a queue name or {"name": ..., "maxReceiveCount": N}, not ${JSON.stringify(dlq)}`);
      }
      const mrc = d['maxReceiveCount'] ?? 10;
      if (typeof mrc !== 'number' || !Number.isInteger(mrc) || mrc < 1 || mrc > 1000) {
        throw fail(`${at}.deadLetterQueue.maxReceiveCount`, `must be a whole number 1-1000, not ${JSON.stringify(mrc)}`);
      }
      if (spec.attributes['RedrivePolicy']) throw fail(`${at}.deadLetterQueue`, 'give either deadLetterQueue or attributes.RedrivePolicy, not both');
      if (d['name'] === name) throw fail(`${at}.deadLetterQueue`, 'a queue cannot be its own dead-letter queue');
      spec.deadLetterQueue = { name: d['name'], maxReceiveCount: mrc };
    }
    return spec;
  });
  // Dead-letter wiring must not loop (a queue is created after its dead-letter queue).
  const byName = new Map(specs.map((s) => [s.name, s]));
  for (const s of specs) {
    const seen = new Set<string>([s.name]);
    let d = s.deadLetterQueue?.name;
    while (d !== undefined && byName.has(d)) {
      if (seen.has(d)) throw fail(`queues (${s.name})`, `dead-letter queues form a cycle: ${[...seen, d].join(' -> ')}`);
      seen.add(d);
      d = byName.get(d)!.deadLetterQueue?.name;
    }
  }
  return specs;
}

/** Shape only; src/auth/credentials.ts checkUsers() checks the values (never echoing secrets). */
function parseUsers(v: Json, fail: (key: string, why: string) => ConfigError): unknown[] {
  if (!Array.isArray(v)) throw fail('users', `must be an array of users, not ${typeName(v)}`);
  return v.map((u, i) => {
    const at = `users[${i}]`;
    if (typeof u !== 'object' || u === null || Array.isArray(u)) throw fail(at, `must be an object, not ${typeName(u)}`);
    for (const k of Object.keys(u)) if (!ignored(k) && !USER_KEYS.has(k)) throw fail(`${at}.${k}`, `unknown key (known: ${[...USER_KEYS].join(', ')})`);
    for (const k of ['accessKeyId', 'secretAccessKey', 'accountId', 'userName', 'sessionToken']) {
      if (u[k] !== undefined && typeof u[k] !== 'string') throw fail(`${at}.${k}`, `must be a string, not ${typeName(u[k]!)}`);
    }
    if (u['policies'] !== undefined && !Array.isArray(u['policies'])) throw fail(`${at}.policies`, `must be an array of policy documents, not ${typeName(u['policies'])}`);
    return Object.fromEntries(Object.entries(u).filter(([k]) => !ignored(k)));
  });
}

/**
 * The whole configuration: the file named by --config or SLUICE_CONFIG, then environment
 * variables, then flags (`args`, as parseArgs returns them).
 */
export function resolveConfig(args: Partial<Record<keyof Config, string>>, env: NodeJS.ProcessEnv = process.env): Config {
  const path = args.configFile ?? env['SLUICE_CONFIG'];
  const file = path ? readConfigFile(path) : {};
  const c = loadConfig(args, env, file);
  c.configFile = path ?? '';
  // A file user without accountId acts in the broker's account (after env and flags apply).
  const users = (c as unknown as { users?: { accountId?: string }[] }).users;
  if (Array.isArray(users)) for (const u of users) u.accountId ??= c.accountId;
  return c;
}
