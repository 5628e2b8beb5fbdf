// Typed configuration with explicit defaults. Flags override environment variables, which
// override the config file (src/config-file.ts), which overrides the defaults.

import { parseUserFlags, type User } from './auth/credentials.js';

export type Durability = 'fsync' | 'relaxed' | 'memory';

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  region: string;
  accountId: string;
  /** Host (and port) used in returned queue URLs; '' follows the request's Host header. */
  publicHost: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  durability: Durability;
  /** MiB of message bodies and attributes kept in memory; past it they go to the spill file. */
  payloadMemoryMb: number;
  /** Enables POST /_sluice/clock for end-to-end tests; never on in production. */
  testClock: boolean;
  /** 'uws' where its binary loads, 'node' to force node:http. */
  transport: 'auto' | 'uws' | 'node' | 'edge';
  /** HTTP worker threads sharing the core; 0 = one per CPU core but one. One when the port is 0. */
  workers: number;
  /** The JSON config file read at start ('' for none); --config or SLUICE_CONFIG. */
  configFile: string;
  /** More ports to serve the same API on (e.g. 4566 for LocalStack set-ups). */
  extraPorts: number[];
  /** Serve GET /metrics (Prometheus text). */
  metrics: boolean;
  /** A separate port for /metrics as well as the main one; null: the main port only. */
  metricsPort: number | null;
  /** Queues beyond this many get no series of their own: they are summed under queue="_other". */
  metricsQueueSeriesMax: number;
  /** 'auto': pretty on a terminal, JSON lines otherwise. */
  logFormat: 'auto' | 'json' | 'pretty';
  /** One log line per request (off by default: it costs at high rates). */
  logRequests: boolean;
  /** Queues to create at start (config file only); see src/provision.ts. */
  queues: QueueSpec[];
  /** 'off': no signature checked, the access key only picks the account; 'sigv4': production. */
  auth: 'off' | 'sigv4';
  /** Who may call (src/auth/credentials.ts); --user KEY:SECRET:ACCOUNT adds an account root. */
  users: User[];
  /**
   * Let the core answer the JSON protocol's hot actions in one call (src/fast-path.ts) when
   * no signatures or users are configured. Off only to test the general path alone.
   */
  fastPath: boolean;
}

/** A queue the config file asks for; created at start in dead-letter dependency order. */
export interface QueueSpec {
  name: string;
  attributes: Record<string, string>;
  tags: Record<string, string>;
  /** A dead-letter queue (by name, same account) and maxReceiveCount: sets RedrivePolicy. */
  deadLetterQueue?: { name: string; maxReceiveCount: number };
}

export const DEFAULTS: Config = {
  host: '127.0.0.1',
  port: 9324,
  dataDir: '.data',
  region: 'us-east-1',
  accountId: '000000000000',
  publicHost: '',
  logLevel: 'info',
  durability: 'fsync',
  payloadMemoryMb: 512,
  testClock: false,
  transport: 'auto',
  workers: 0,
  configFile: '',
  extraPorts: [],
  metrics: true,
  metricsPort: null,
  metricsQueueSeriesMax: 1000,
  logFormat: 'auto',
  logRequests: false,
  queues: [],
  auth: 'off',
  users: [],
  fastPath: true,
};

const ENV: Record<string, keyof Config> = {
  SLUICE_HOST: 'host',
  SLUICE_PORT: 'port',
  SLUICE_DATA_DIR: 'dataDir',
  SLUICE_REGION: 'region',
  SLUICE_ACCOUNT_ID: 'accountId',
  SLUICE_PUBLIC_HOST: 'publicHost',
  SLUICE_LOG_LEVEL: 'logLevel',
  SLUICE_DURABILITY: 'durability',
  SLUICE_PAYLOAD_MEMORY_MB: 'payloadMemoryMb',
  SLUICE_TRANSPORT: 'transport',
  SLUICE_WORKERS: 'workers',
  SLUICE_CONFIG: 'configFile',
  SLUICE_EXTRA_PORTS: 'extraPorts',
  SLUICE_METRICS: 'metrics',
  SLUICE_METRICS_PORT: 'metricsPort',
  SLUICE_METRICS_QUEUE_SERIES_MAX: 'metricsQueueSeriesMax',
  SLUICE_LOG_FORMAT: 'logFormat',
  SLUICE_LOG_REQUESTS: 'logRequests',
  SLUICE_AUTH: 'auth',
  SLUICE_FAST_PATH: 'fastPath',
};

export class ConfigError extends Error {}

/** `label` names the setting in errors: the flag, variable or file key it came from. */
export function coerce(key: keyof Config, raw: string, label: string = key): Config[keyof Config] {
  const fail = (why: string) => new ConfigError(`config ${label}: ${why} (got ${JSON.stringify(raw)})`);
  const port = (s: string) => {
    const n = s.trim() === '' ? NaN : Number(s);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw fail('must be a port number 0-65535');
    return n;
  };
  switch (key) {
    case 'extraPorts':
      return raw.trim() === '' ? [] : raw.split(',').map(port);
    case 'metricsPort':
      return raw === '' || raw === 'main' ? null : port(raw);
    case 'metricsQueueSeriesMax': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isInteger(n) || n < 0) throw fail('must be a whole number >= 0');
      return n;
    }
    case 'metrics':
    case 'logRequests':
    case 'fastPath':
      if (['true', '1', 'on', 'yes'].includes(raw)) return true;
      if (['false', '0', 'off', 'no'].includes(raw)) return false;
      throw fail('must be true or false');
    case 'logFormat':
      if (!['auto', 'json', 'pretty'].includes(raw)) throw fail('must be auto|json|pretty');
      return raw;
    case 'queues':
      throw fail('can only be set in the config file');
    case 'port': {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw fail('must be a port number 0-65535');
      return n;
    }
    case 'payloadMemoryMb': {
      const n = Number(raw);
      if (!Number.isFinite(n) || n < 1) throw fail('must be a number of MiB, at least 1');
      return n;
    }
    case 'workers': {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 0 || n > 64) throw fail('must be 0 (automatic) to 64');
      return n;
    }
    case 'accountId':
      if (!/^\d{12}$/.test(raw)) throw fail('must be 12 digits');
      return raw;
    case 'logLevel':
      if (!['debug', 'info', 'warn', 'error'].includes(raw)) throw fail('must be debug|info|warn|error');
      return raw;
    case 'durability':
      if (!['fsync', 'relaxed', 'memory'].includes(raw)) throw fail('must be fsync|relaxed|memory');
      return raw;
    case 'transport':
      if (!['auto', 'uws', 'node', 'edge'].includes(raw)) throw fail('must be auto|uws|node|edge');
      return raw;
    case 'testClock':
      return raw === 'true' || raw === '1';
    case 'auth':
      if (!['off', 'sigv4'].includes(raw)) throw fail('must be off|sigv4');
      return raw;
    case 'users':
      return parseUserFlags(raw); // its errors never repeat the value: it holds secrets
    default:
      if (raw === '' && key !== 'publicHost') throw fail('must not be empty');
      return raw;
  }
}

/** `file`: values src/config-file.ts read and checked (they override only the defaults). */
export function loadConfig(
  overrides: Partial<Record<keyof Config, string>>,
  env = process.env,
  file: Partial<Config> = {},
): Config {
  const c: Config = { ...DEFAULTS, ...file };
  const set = (k: keyof Config, v: string, label?: string) => {
    (c as unknown as Record<string, unknown>)[k] = coerce(k, v, label);
  };
  for (const [name, key] of Object.entries(ENV)) {
    const v = env[name];
    if (v !== undefined) set(key, v, name);
  }
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) set(k as keyof Config, v);
  return c;
}
