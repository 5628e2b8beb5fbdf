// Typed configuration with explicit defaults. Flags override environment variables, which
// override the defaults.

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
  /** Enables POST /_sluice/clock for end-to-end tests; never on in production. */
  testClock: boolean;
  /** 'uws' where its binary loads, 'node' to force node:http. */
  transport: 'auto' | 'uws' | 'node';
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
  testClock: false,
  transport: 'auto',
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
  SLUICE_TRANSPORT: 'transport',
};

export class ConfigError extends Error {}

function coerce(key: keyof Config, raw: string): Config[keyof Config] {
  const fail = (why: string) => new ConfigError(`config ${key}: ${why} (got ${JSON.stringify(raw)})`);
  switch (key) {
    case 'port': {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw fail('must be a port number 0-65535');
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
      if (!['auto', 'uws', 'node'].includes(raw)) throw fail('must be auto|uws|node');
      return raw;
    case 'testClock':
      return raw === 'true' || raw === '1';
    default:
      if (raw === '' && key !== 'publicHost') throw fail('must not be empty');
      return raw;
  }
}

export function loadConfig(overrides: Partial<Record<keyof Config, string>>, env = process.env): Config {
  const c: Config = { ...DEFAULTS };
  const set = (k: keyof Config, v: string) => {
    (c as unknown as Record<string, unknown>)[k] = coerce(k, v);
  };
  for (const [name, key] of Object.entries(ENV)) {
    const v = env[name];
    if (v !== undefined) set(key, v);
  }
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) set(k as keyof Config, v);
  return c;
}
