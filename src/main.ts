// Entry point: flags and environment → config → core → server; signals and shutdown.
import { mkdirSync } from 'node:fs';
import { ConfigError, type Config } from './config.js';
import { resolveConfig } from './config-file.js';
import { createLog } from './log.js';
import { checkUsers } from './auth/credentials.js';
import { availableParallelism } from 'node:os';
import { SHUTDOWN_MS, startServer, type Logger } from './server.js';
import { startPool } from './threads.js';
import { chooseTransport } from './transport/choice.js';

const HELP = `Usage: sluice [options]
       sluice check DATA_DIR   validate a data directory's log without starting
       sluice queues|peek|purge|redrive ...   admin commands against a running server
                               (sluice queues --help)

A fast, durable, drop-in Amazon SQS-compatible message broker.

Options (each also read from the environment variable in brackets):
  --host HOST          address to listen on            [SLUICE_HOST]        default 127.0.0.1
  --port PORT          port to listen on               [SLUICE_PORT]        default 9324
  --data-dir DIR       where queues and messages live  [SLUICE_DATA_DIR]    default .data
  --region REGION      region in queue ARNs            [SLUICE_REGION]      default us-east-1
  --account-id ID      12-digit account of queues      [SLUICE_ACCOUNT_ID]  default 000000000000
  --public-host HOST   host[:port] in returned queue URLs (default: the request's Host header)
                                                       [SLUICE_PUBLIC_HOST]
  --log-level LEVEL    debug | info | warn | error     [SLUICE_LOG_LEVEL]   default info
  --durability MODE    fsync | relaxed | memory        [SLUICE_DURABILITY]  default fsync
  --payload-memory-mb N  message bodies kept in RAM before they spill to disk
                                                 [SLUICE_PAYLOAD_MEMORY_MB] default 512
  --transport T        auto | uws | node | edge        [SLUICE_TRANSPORT]   default auto
  --workers N          HTTP worker threads, 0 = cores - 1 (min 1) [SLUICE_WORKERS] default 0
  --auth MODE          off | sigv4 (sigv4 is required in production) [SLUICE_AUTH] default off
  --user KEY:SECRET:ACCOUNT_ID
                       a user acting as its account's root (repeatable)
  --config PATH        JSON config file (README: Configuration) [SLUICE_CONFIG]
                       precedence: defaults < config file < environment < flags
  --extra-port PORT    also serve the API on PORT (repeatable; e.g. 4566 as LocalStack)
                                                       [SLUICE_EXTRA_PORTS] comma-separated
  --no-metrics         do not serve GET /metrics       [SLUICE_METRICS=false]
  --metrics-port PORT  serve /metrics on PORT as well as on the main port
                                                       [SLUICE_METRICS_PORT]
  --metrics-queue-series-max N
                       queues with their own metric series; the rest sum into queue="_other"
                                                       [SLUICE_METRICS_QUEUE_SERIES_MAX] default 1000
  --log-format F       auto | json | pretty (auto: pretty on a terminal)
                                                       [SLUICE_LOG_FORMAT]  default auto
  --log-requests       one log line per request (off by default) [SLUICE_LOG_REQUESTS]
  --test-clock         enable POST /_sluice/clock?advanceMs=N (tests only)
  --no-fast-path       answer every request through the general path (tests only)
                                                       [SLUICE_FAST_PATH=false]
  -h, --help           show this help
`;

const FLAGS: Record<string, keyof Config> = {
  '--host': 'host',
  '--port': 'port',
  '--data-dir': 'dataDir',
  '--region': 'region',
  '--account-id': 'accountId',
  '--public-host': 'publicHost',
  '--log-level': 'logLevel',
  '--durability': 'durability',
  '--payload-memory-mb': 'payloadMemoryMb',
  '--transport': 'transport',
  '--workers': 'workers',
  '--auth': 'auth',
  '--user': 'users',
  '--config': 'configFile',
  '--extra-port': 'extraPorts',
  '--metrics-port': 'metricsPort',
  '--metrics-queue-series-max': 'metricsQueueSeriesMax',
  '--log-format': 'logFormat',
};
const SWITCHES: Record<string, [keyof Config, string]> = {
  '--test-clock': ['testClock', 'true'],
  '--no-metrics': ['metrics', 'false'],
  '--log-requests': ['logRequests', 'true'],
  '--no-fast-path': ['fastPath', 'false'],
};

export function parseArgs(argv: string[]): Partial<Record<keyof Config, string>> | 'help' {
  const out: Partial<Record<keyof Config, string>> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') return 'help';
    const sw = SWITCHES[arg];
    if (sw) {
      out[sw[0]] = sw[1];
      continue;
    }
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const key = FLAGS[flag];
    if (!key) throw new ConfigError(`unknown option ${flag} (see --help)`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new ConfigError(`option ${flag} needs a value`);
    // --user repeats; its values join with ',', which neither keys nor secrets contain.
    out[key] = (key === 'users' || key === 'extraPorts') && out[key] ? `${out[key]},${value}` : value;
  }
  return out;
}

interface Served {
  port: number;
  transport: string;
  workers: number;
  recovery?: { records: number; messages: number; millis: number; truncatedTail: string | null };
  close(): Promise<void>;
}

/** One server on this thread, or a pool of worker threads on one port (uWS, fixed port). */
async function serve(config: Config, log: Logger): Promise<Served> {
  const choice = chooseTransport(config.transport);
  if (choice.transport === 'uws' || config.transport !== 'auto') log.info(`transport: ${choice.reason}`);
  else log.warn(`transport: ${choice.reason}`);
  // Auto: one worker per core but one, which is left to the log's writer thread, the kernel's
  // network and fsync work and the timers (measured on 2 cores: one worker beat two by 20% with
  // fsync and matched it in memory mode; bench/RESULTS.md).
  const want = config.workers > 0 ? config.workers : Math.max(1, availableParallelism() - 1);
  const workers = config.port === 0 || config.transport === 'node' ? 1 : want;
  if (workers > 1 && choice.transport === 'uws') {
    const pool = await startPool(config, workers, log);
    return { ...pool, workers, close: () => pool.close() };
  }
  const server = await startServer(config, log);
  const recovery = server.core.stats()['recovery'] as Served['recovery'];
  return { port: server.port, transport: server.transport, workers: 1, recovery, close: () => server.close() };
}

async function main(): Promise<void> {
  if (['queues', 'peek', 'purge', 'redrive'].includes(process.argv[2] ?? '')) {
    const { runAdmin } = await import('./admin-cli.js');
    process.exitCode = await runAdmin(process.argv.slice(2));
    return;
  }
  if (process.argv[2] === 'check') {
    const dir = process.argv[3];
    if (!dir) {
      process.stderr.write('usage: sluice check DATA_DIR\n');
      process.exit(2);
    }
    const { checkDataDir } = await import('./native.js');
    try {
      process.stdout.write(`${JSON.stringify(checkDataDir(dir), null, 2)}\n`);
    } catch (e) {
      process.stderr.write(`sluice check: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    }
    return;
  }
  let config: Config;
  try {
    const args = parseArgs(process.argv.slice(2));
    if (args === 'help') {
      process.stdout.write(HELP);
      return;
    }
    config = resolveConfig(args);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`sluice: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const log = createLog({ level: config.logLevel, format: config.logFormat });
  // Auth (issue 6): a malformed user stops start-up; its messages never include secrets.
  try {
    checkUsers(config.users);
  } catch (e) {
    process.stderr.write(`sluice: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  }
  if (config.auth === 'sigv4' && config.users.length === 0) {
    log.warn('auth is sigv4 but no users are configured (--user or the config file): every request will be refused');
  }
  mkdirSync(config.dataDir, { recursive: true });
  let server: Served;
  try {
    server = await serve(config, log);
  } catch (e) {
    log.error(`cannot start: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
  if (server.recovery?.records) {
    const r = server.recovery;
    log.info(`recovered ${r.messages} messages from ${r.records} log records in ${r.millis} ms`);
    if (r.truncatedTail) log.warn(`truncated a torn record at the log's tail: ${r.truncatedTail}`);
  }
  log.info(
    `Sluice listening on http://${config.host}:${server.port} (${server.transport}, ${server.workers} worker thread(s), ` +
      `data dir ${config.dataDir}, durability ${config.durability})`,
  );
  let stopping = false;
  const stop = (signal: string) => {
    // A second signal: exit at once, without waiting for pending answers.
    if (stopping) process.exit(1);
    stopping = true;
    log.info(`${signal}: shutting down (a second signal exits at once)`);
    setTimeout(() => {
      log.error(`shutdown took longer than ${SHUTDOWN_MS + 5000} ms; exiting`);
      process.exit(1);
    }, SHUTDOWN_MS + 5000).unref();
    server.close().then(
      () => process.exit(0),
      (e) => {
        log.error(String(e));
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

await main();
