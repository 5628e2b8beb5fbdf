// Prometheus metrics. Two parts, so worker threads can be aggregated:
// - ServerMetrics: one prom-client Registry per startServer() (never the global default one):
//   request counts and latency, per-queue sent/received/deleted/empty-receive counters, sent
//   message sizes, parked long polls. Counted in the request path from each action's result
//   (one Map lookup per request). A thread's registry can be exported as JSON and summed across
//   threads with prom-client's AggregatorRegistry.aggregate().
// - coreMetricsText(core): gauges read from the core at scrape time in one call (queue depths,
//   age of oldest message) plus the log's and recovery's figures. The core is one per process,
//   so this text is appended once to the (aggregated) output, never per thread.
// Names follow CloudWatch's SQS metrics (NumberOfMessagesSent → sqs_number_of_messages_sent_total).
import { Gauge, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { FastCounter, FastHistogram, type CounterSeries, type HistogramSeries } from './fast-metrics.js';
import type { Core } from './native.js';
import { JsonBody } from './protocol/json.js';

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const OTHER = '_other';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20];
const SIZE_BUCKETS = [64, 256, 1024, 4096, 16384, 65536, 262144, 1048576];

interface QueueSeries {
  sent: CounterSeries;
  received: CounterSeries;
  deleted: CounterSeries;
  empty: CounterSeries;
  size: HistogramSeries;
}

interface RequestSeries {
  count: CounterSeries;
  latency: HistogramSeries;
}

type Input = Record<string, unknown>;

// Which actions move messages, so the request path does one Map lookup to know.
const SEND = 1;
const SEND_BATCH = 2;
const RECEIVE = 3;
const DELETE = 4;
const DELETE_BATCH = 5;
const COUNTED = new Map<string, number>([
  ['SendMessage', SEND],
  ['SendMessageBatch', SEND_BATCH],
  ['ReceiveMessage', RECEIVE],
  ['DeleteMessage', DELETE],
  ['DeleteMessageBatch', DELETE_BATCH],
]);

const QUEUE_PATH = /\/(\d{12})\/([^/?#]+?)\/?$/;

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly requests: FastCounter;
  private readonly latency: FastHistogram;
  private readonly sent: FastCounter;
  private readonly received: FastCounter;
  private readonly deleted: FastCounter;
  private readonly empty: FastCounter;
  private readonly size: FastHistogram;
  private readonly queues = new Map<string, QueueSeries>();
  private readonly requestSeries = new Map<string, RequestSeries>();
  private other: QueueSeries | null = null;

  /** `queueSeriesMax`: queues beyond this many (per thread, first come) count under queue="_other". */
  constructor(private readonly queueSeriesMax: number, parked: () => number) {
    const registers = [this.registry];
    const reg = this.registry;
    this.requests = new FastCounter(
      'sluice_requests_total',
      'API requests by action, protocol (json|query) and outcome (error code, or ok).',
      reg,
    );
    this.latency = new FastHistogram(
      'sluice_request_duration_seconds',
      'Time from a request decoded to its answer (long polls included).',
      reg,
      LATENCY_BUCKETS,
    );
    const perQueue = (name: string, help: string) => new FastCounter(name, help, reg);
    this.sent = perQueue('sqs_number_of_messages_sent_total', 'Messages added to a queue (NumberOfMessagesSent).');
    this.received = perQueue('sqs_number_of_messages_received_total', 'Messages returned by ReceiveMessage (NumberOfMessagesReceived).');
    this.deleted = perQueue('sqs_number_of_messages_deleted_total', 'Successful deletes (NumberOfMessagesDeleted).');
    this.empty = perQueue('sqs_number_of_empty_receives_total', 'ReceiveMessage calls that returned no message (NumberOfEmptyReceives).');
    this.size = new FastHistogram(
      'sqs_sent_message_size_bytes',
      'Size of messages sent: body plus message attributes (SentMessageSize).',
      reg,
      SIZE_BUCKETS,
    );
    new Gauge({
      name: 'sluice_long_polls_parked',
      help: 'ReceiveMessage calls waiting for a message.',
      registers,
      aggregator: 'sum',
      collect() {
        this.set(parked());
      },
    });
  }

  /** One answered API request. `action` must be a known action name (or '_unknown'). */
  request(action: string, protocol: 'json' | 'query', outcome: string, seconds: number): void {
    const k = `${action}\0${protocol}\0${outcome}`;
    let s = this.requestSeries.get(k);
    if (!s) {
      s = {
        count: this.requests.labels({ action, protocol, outcome }),
        latency: this.latency.labels({ action, protocol }),
      };
      this.requestSeries.set(k, s);
    }
    s.count.value++;
    this.latency.observe(s.latency, seconds);
  }

  /**
   * Counts what a successful action did to messages; cheap for actions that move none.
   * `sentSizes`: what the send actions stored, sized once where the message was validated.
   */
  result(action: string, input: Input, out: object, sentSizes: readonly number[] = []): void {
    const kind = COUNTED.get(action);
    if (kind === undefined) return;
    const url = input['QueueUrl'];
    if (typeof url !== 'string') return;
    const o = out as Record<string, unknown>;
    let n = sentSizes.length;
    if (kind === RECEIVE) n = out instanceof JsonBody ? out.messages : ((o['Messages'] as unknown[] | undefined)?.length ?? 0);
    else if (kind === DELETE) n = 1;
    else if (kind === DELETE_BATCH) n = (o['Successful'] as unknown[] | undefined)?.length ?? 0;
    this.moved(kind, url, n, sentSizes);
  }

  /**
   * As `result`, for an answer the core rendered (the JSON fast path, src/fast-path.ts): `key`
   * is the queue's core key (account/name), `n` the messages it sent, received or deleted.
   */
  fastResult(action: string, key: string, n: number, sentSizes: readonly number[]): void {
    const kind = COUNTED.get(action);
    if (kind !== undefined) this.moved(kind, `/${key}`, n, sentSizes);
  }

  private moved(kind: number, url: string, n: number, sentSizes: readonly number[]): void {
    const q = this.series(url);
    if (!q) return;
    switch (kind) {
      case SEND:
      case SEND_BATCH:
        q.sent.value += sentSizes.length;
        for (const size of sentSizes) this.size.observe(q.size, size);
        break;
      case RECEIVE:
        if (n) q.received.value += n;
        else q.empty.value++;
        break;
      case DELETE:
      case DELETE_BATCH:
        if (n) q.deleted.value += n;
        break;
    }
  }

  private series(url: string): QueueSeries | null {
    const m = QUEUE_PATH.exec(url);
    if (!m) return null;
    const account = m[1]!;
    const queue = m[2]!;
    const key = `${account}/${queue}`;
    let q = this.queues.get(key);
    if (q) return q;
    if (this.queues.size >= this.queueSeriesMax) return (this.other ??= this.make(OTHER, OTHER));
    q = this.make(queue, account);
    this.queues.set(key, q);
    return q;
  }

  private make(queue: string, account: string): QueueSeries {
    const l = { queue, account };
    return {
      sent: this.sent.labels(l),
      received: this.received.labels(l),
      deleted: this.deleted.labels(l),
      empty: this.empty.labels(l),
      size: this.size.labels(l),
    };
  }

  /** This thread's metrics as prom-client JSON, for AggregatorRegistry.aggregate(). */
  json(): Promise<MetricObjectWithValues<MetricValue<string>>[]> {
    return this.registry.getMetricsAsJSON();
  }

  /** This thread's metrics as Prometheus text (without the core's gauges). */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function block(name: string, type: 'gauge' | 'counter', help: string, lines: string[]): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${lines.join('')}`;
}

interface WalStats {
  appends: number;
  bytesWritten: number;
  fsyncs: number;
  fsyncNsTotal: number;
  commits: number;
  segments: number;
  diskBytes: number;
  durableLsn: number;
  failed: boolean | number;
}

interface RecoveryStats {
  records: number;
  queues: number;
  messages: number;
  millis: number;
}

/**
 * The core's figures as Prometheus text: one queueStats() and one stats() call. Per-queue
 * gauges for the first `queueSeriesMax` queues in the core's order; the rest are summed under
 * queue="_other" (age: the oldest of them). Append once per process.
 */
export function coreMetricsText(core: Core, queueSeriesMax: number, nowMs = Date.now()): string {
  const rows = core.queueStats();
  const visible: string[] = [];
  const inflight: string[] = [];
  const delayed: string[] = [];
  const age: string[] = [];
  let ov = 0;
  let oi = 0;
  let od = 0;
  let oldestOther = 0;
  let others = 0;
  for (let i = 0; i < rows.length; i++) {
    const [key, v, f, d, oldest] = rows[i]!;
    if (i >= queueSeriesMax) {
      others++;
      ov += v;
      oi += f;
      od += d;
      if (oldest > 0 && (oldestOther === 0 || oldest < oldestOther)) oldestOther = oldest;
      continue;
    }
    const slash = key.indexOf('/');
    const labels = `{queue="${esc(key.slice(slash + 1))}",account="${esc(key.slice(0, slash))}"} `;
    visible.push(`sqs_approximate_number_of_messages_visible${labels}${v}\n`);
    inflight.push(`sqs_approximate_number_of_messages_not_visible${labels}${f}\n`);
    delayed.push(`sqs_approximate_number_of_messages_delayed${labels}${d}\n`);
    age.push(`sqs_approximate_age_of_oldest_message_seconds${labels}${oldest > 0 ? Math.max(0, (nowMs - oldest) / 1000) : 0}\n`);
  }
  if (others) {
    const labels = `{queue="${OTHER}",account="${OTHER}"} `;
    visible.push(`sqs_approximate_number_of_messages_visible${labels}${ov}\n`);
    inflight.push(`sqs_approximate_number_of_messages_not_visible${labels}${oi}\n`);
    delayed.push(`sqs_approximate_number_of_messages_delayed${labels}${od}\n`);
    age.push(`sqs_approximate_age_of_oldest_message_seconds${labels}${oldestOther > 0 ? Math.max(0, (nowMs - oldestOther) / 1000) : 0}\n`);
  }
  const out = [
    block('sluice_queues', 'gauge', 'Queues in the broker.', [`sluice_queues ${rows.length}\n`]),
    block('sqs_approximate_number_of_messages_visible', 'gauge', 'Messages available for retrieval (ApproximateNumberOfMessagesVisible).', visible),
    block('sqs_approximate_number_of_messages_not_visible', 'gauge', 'Messages in flight (ApproximateNumberOfMessagesNotVisible).', inflight),
    block('sqs_approximate_number_of_messages_delayed', 'gauge', 'Messages delayed, not yet available (ApproximateNumberOfMessagesDelayed).', delayed),
    block('sqs_approximate_age_of_oldest_message_seconds', 'gauge', 'Age of the oldest message in the queue (ApproximateAgeOfOldestMessage).', age),
  ];
  const stats = core.stats() as { wal?: WalStats | null; recovery?: RecoveryStats };
  const w = stats.wal;
  if (w) {
    out.push(
      block('sluice_wal_appends_total', 'counter', 'Records appended to the write-ahead log.', [`sluice_wal_appends_total ${w.appends}\n`]),
      block('sluice_wal_commits_total', 'counter', 'Group commits of the write-ahead log.', [`sluice_wal_commits_total ${w.commits}\n`]),
      block('sluice_wal_bytes_written_total', 'counter', 'Bytes written to the write-ahead log.', [`sluice_wal_bytes_written_total ${w.bytesWritten}\n`]),
      block('sluice_wal_fsyncs_total', 'counter', 'fsync calls on the write-ahead log.', [`sluice_wal_fsyncs_total ${w.fsyncs}\n`]),
      block('sluice_wal_fsync_seconds_total', 'counter', 'Time spent in fsync (divide by sluice_wal_fsyncs_total for the mean).', [
        `sluice_wal_fsync_seconds_total ${w.fsyncNsTotal / 1e9}\n`,
      ]),
      block('sluice_wal_segments', 'gauge', 'Log segment files.', [`sluice_wal_segments ${w.segments}\n`]),
      block('sluice_wal_disk_bytes', 'gauge', 'Bytes of log on disk.', [`sluice_wal_disk_bytes ${w.diskBytes}\n`]),
      block('sluice_wal_failed', 'gauge', '1 once the log could not be written (the broker refuses changes).', [`sluice_wal_failed ${w.failed ? 1 : 0}\n`]),
    );
  }
  const r = stats.recovery;
  if (r) {
    out.push(
      block('sluice_recovery_seconds', 'gauge', 'Time the last start spent replaying the log.', [`sluice_recovery_seconds ${r.millis / 1000}\n`]),
      block('sluice_recovery_records', 'gauge', 'Log records replayed at the last start.', [`sluice_recovery_records ${r.records}\n`]),
      block('sluice_recovery_messages', 'gauge', 'Messages recovered at the last start.', [`sluice_recovery_messages ${r.messages}\n`]),
    );
  }
  return `${out.join('\n')}\n`;
}

let collector: (() => Promise<string>) | null = null;

/**
 * Replaces what GET /metrics answers with on every server in this thread (worker threads: an
 * aggregate over all threads' ServerMetrics.json() plus coreMetricsText once). `null` restores
 * the default: this server's registry text plus coreMetricsText(core).
 */
export function setMetricsCollector(fn: (() => Promise<string>) | null): void {
  collector = fn;
}

export function metricsCollector(): (() => Promise<string>) | null {
  return collector;
}
