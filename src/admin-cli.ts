// Admin commands against a running server, through the same SQS API clients use (JSON
// protocol over plain fetch: no SDK at run time), plus the peek endpoint (src/peek.ts).
//
//   sluice queues                 list queues with their depths
//   sluice peek QUEUE             show messages without changing their visibility
//   sluice purge QUEUE            delete every message in a queue
//   sluice redrive DLQ            move a dead-letter queue's messages back to their sources
//
// QUEUE is a queue name (resolved with GetQueueUrl) or a queue URL. --endpoint (or SLUICE_ENDPOINT) names the server, default http://127.0.0.1:9324.

export const ADMIN_HELP = `Usage: sluice queues [--json]
       sluice peek QUEUE [--max N] [--all] [--json]
       sluice purge QUEUE
       sluice redrive DLQ [--to QUEUE] [--max N]

Admin commands; they talk to a running Sluice through its SQS API.

  queues             list queues with visible, in-flight and delayed message counts
  peek QUEUE         show a queue's messages without changing their visibility or receive
                     counts (visible ones; --all adds in-flight and delayed ones)
  purge QUEUE        delete every message in QUEUE (PurgeQueue)
  redrive DLQ        move messages from dead-letter queue DLQ back to the queue each came
                     from (its DeadLetterQueueSourceArn), or to --to QUEUE; receive, send,
                     then delete, so a failure part-way leaves copies, never losses

Options:
  --endpoint URL     the server [SLUICE_ENDPOINT]  default http://127.0.0.1:9324
  --json             machine-readable output
  --max N            peek: at most N messages (default 100); redrive: move at most N
  --all              peek: include in-flight and delayed messages
  --to QUEUE         redrive: send everything to QUEUE instead of each source queue
QUEUE is a queue name or a queue URL.
`;

export interface Io {
  out(s: string): void;
  err(s: string): void;
}

const stdio: Io = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
};

class AdminError extends Error {}

type Obj = Record<string, unknown>;

export class SqsApi {
  constructor(readonly endpoint: string) {}

  async call<T = Obj>(action: string, input: Obj): Promise<T> {
    let r: Response;
    try {
      r = await fetch(`${this.endpoint}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${action}` },
        body: JSON.stringify(input),
      });
    } catch (e) {
      throw new AdminError(`cannot reach ${this.endpoint}: ${(e as Error & { cause?: Error }).cause?.message ?? (e as Error).message}`);
    }
    const text = await r.text();
    let body: Obj = {};
    try {
      body = text ? (JSON.parse(text) as Obj) : {};
    } catch {
      throw new AdminError(`${action}: HTTP ${r.status}: ${text.slice(0, 200)}`);
    }
    if (!r.ok) {
      const type = String(body['__type'] ?? `HTTP ${r.status}`).split('#').pop();
      throw new AdminError(`${action}: ${type}: ${String(body['message'] ?? body['Message'] ?? '')}`);
    }
    return body as T;
  }

  async queueUrl(q: string): Promise<string> {
    if (/^https?:\/\//.test(q)) return q;
    const { QueueUrl } = await this.call<{ QueueUrl: string }>('GetQueueUrl', { QueueName: q });
    return QueueUrl;
  }

  async listQueues(): Promise<string[]> {
    const urls: string[] = [];
    let NextToken: string | undefined;
    do {
      const r = await this.call<{ QueueUrls?: string[]; NextToken?: string }>('ListQueues', { MaxResults: 1000, ...(NextToken ? { NextToken } : {}) });
      urls.push(...(r.QueueUrls ?? []));
      NextToken = r.NextToken;
    } while (NextToken);
    return urls;
  }
}

interface Args {
  positional: string[];
  endpoint: string;
  json: boolean;
  all: boolean;
  max?: number;
  to?: string;
  help: boolean;
}

function parse(argv: string[], env: NodeJS.ProcessEnv): Args {
  const a: Args = { positional: [], endpoint: env['SLUICE_ENDPOINT'] ?? 'http://127.0.0.1:9324', json: false, all: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new AdminError(`option ${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '-h':
      case '--help':
        a.help = true;
        break;
      case '--endpoint':
        a.endpoint = value().replace(/\/+$/, '');
        break;
      case '--json':
        a.json = true;
        break;
      case '--all':
        a.all = true;
        break;
      case '--max': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 1) throw new AdminError('--max must be a whole number >= 1');
        a.max = n;
        break;
      }
      case '--to':
        a.to = value();
        break;
      default:
        if (flag.startsWith('-')) throw new AdminError(`unknown option ${flag} (see sluice queues --help)`);
        a.positional.push(arg);
    }
  }
  return a;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd()).join('\n') + '\n';
}

async function queues(api: SqsApi, a: Args, io: Io): Promise<number> {
  const urls = await api.listQueues();
  const rows = await Promise.all(
    urls.map(async (url) => {
      const r = await api.call<{ Attributes?: Record<string, string> }>('GetQueueAttributes', {
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
      });
      const at = r.Attributes ?? {};
      return {
        name: url.slice(url.lastIndexOf('/') + 1),
        url,
        visible: Number(at['ApproximateNumberOfMessages'] ?? 0),
        inflight: Number(at['ApproximateNumberOfMessagesNotVisible'] ?? 0),
        delayed: Number(at['ApproximateNumberOfMessagesDelayed'] ?? 0),
      };
    }),
  );
  rows.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  if (a.json) io.out(`${JSON.stringify(rows)}\n`);
  else if (!rows.length) io.out('no queues\n');
  else io.out(table([['QUEUE', 'VISIBLE', 'IN FLIGHT', 'DELAYED'], ...rows.map((r) => [r.name, String(r.visible), String(r.inflight), String(r.delayed)])]));
  return 0;
}

interface PeekMessage {
  MessageId: string;
  Body: string;
  MD5OfBody: string;
  Attribute?: { Name: string; Value: string } | { Name: string; Value: string }[];
  MessageAttribute?: unknown;
}

async function peek(api: SqsApi, a: Args, io: Io): Promise<number> {
  const q = a.positional[1];
  if (!q) throw new AdminError('usage: sluice peek QUEUE');
  const url = await api.queueUrl(q);
  const params = new URLSearchParams({ QueueUrl: url, MaxNumberOfMessages: String(a.max ?? 100) });
  if (a.all) {
    params.set('ShowInvisible', 'true');
    params.set('ShowDelayed', 'true');
  }
  const r = await fetch(`${api.endpoint}/_aws/sqs/messages?${params}`, { headers: { accept: 'application/json' } });
  const doc = (await r.json()) as Obj;
  if (!r.ok) {
    const e = (doc['ErrorResponse'] as { Error?: { Code?: string; Message?: string } } | undefined)?.Error;
    throw new AdminError(`peek: ${e?.Code ?? `HTTP ${r.status}`}: ${e?.Message ?? ''}`);
  }
  const result = (doc['ReceiveMessageResponse'] as { ReceiveMessageResult?: { Message?: PeekMessage | PeekMessage[] } | null }).ReceiveMessageResult;
  const raw = result?.Message;
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const messages = list.map((m) => {
    const attrs = m.Attribute === undefined ? [] : Array.isArray(m.Attribute) ? m.Attribute : [m.Attribute];
    return { MessageId: m.MessageId, Body: m.Body, Attributes: Object.fromEntries(attrs.map((x) => [x.Name, x.Value])), MessageAttributes: m.MessageAttribute };
  });
  if (a.json) {
    io.out(`${JSON.stringify(messages)}\n`);
    return 0;
  }
  if (!messages.length) io.out('no messages\n');
  for (const m of messages) {
    const at = m.Attributes;
    const state = at['IsDelayed'] === 'true' ? 'delayed' : at['IsVisible'] === 'false' ? 'in flight' : 'visible';
    const sent = at['SentTimestamp'] ? new Date(Number(at['SentTimestamp'])).toISOString() : '?';
    io.out(`${m.MessageId}  ${state}  sent ${sent}  received ${at['ApproximateReceiveCount'] ?? '0'}x${at['MessageGroupId'] ? `  group ${at['MessageGroupId']}` : ''}\n`);
    io.out(`  ${m.Body.length > 2000 ? `${m.Body.slice(0, 2000)}… (${m.Body.length} chars)` : m.Body}\n`);
  }
  return 0;
}

async function purge(api: SqsApi, a: Args, io: Io): Promise<number> {
  const q = a.positional[1];
  if (!q) throw new AdminError('usage: sluice purge QUEUE');
  const url = await api.queueUrl(q);
  await api.call('PurgeQueue', { QueueUrl: url });
  io.out(`purged ${url}\n`);
  return 0;
}

interface Received {
  MessageId: string;
  ReceiptHandle: string;
  Body: string;
  Attributes?: Record<string, string>;
  MessageAttributes?: Obj;
}

/**
 * Receive from the DLQ, send each message to its source queue (or --to), then delete it from
 * the DLQ. FIFO sources get the message's group and a deduplication id derived from the DLQ
 * message id, so re-running after a failure does not enqueue a second copy within the window.
 */
async function redrive(api: SqsApi, a: Args, io: Io): Promise<number> {
  const q = a.positional[1];
  if (!q) throw new AdminError('usage: sluice redrive DLQ [--to QUEUE]');
  const dlq = await api.queueUrl(q);
  const to = a.to ? await api.queueUrl(a.to) : null;
  const urls = new Map<string, string | null>();
  const sourceUrl = async (arn: string | undefined): Promise<string | null> => {
    if (to) return to;
    if (!arn) return null;
    if (!urls.has(arn)) {
      const name = arn.slice(arn.lastIndexOf(':') + 1);
      try {
        urls.set(arn, await api.queueUrl(name));
      } catch {
        urls.set(arn, null);
      }
    }
    return urls.get(arn)!;
  };
  const moved = new Map<string, number>();
  const skipped: Received[] = [];
  let total = 0;
  const limit = a.max ?? Infinity;
  while (total < limit) {
    const r = await api.call<{ Messages?: Received[] }>('ReceiveMessage', {
      QueueUrl: dlq,
      MaxNumberOfMessages: Math.min(10, limit - total),
      VisibilityTimeout: 120,
      WaitTimeSeconds: 0,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    });
    const batch = r.Messages ?? [];
    if (!batch.length) break;
    const done: { Id: string; ReceiptHandle: string }[] = [];
    for (const m of batch) {
      const target = await sourceUrl(m.Attributes?.['DeadLetterQueueSourceArn']);
      if (!target) {
        skipped.push(m);
        continue;
      }
      const send: Obj = { QueueUrl: target, MessageBody: m.Body };
      if (m.MessageAttributes && Object.keys(m.MessageAttributes).length) send['MessageAttributes'] = m.MessageAttributes;
      if (target.endsWith('.fifo')) {
        send['MessageGroupId'] = m.Attributes?.['MessageGroupId'] ?? 'redrive';
        send['MessageDeduplicationId'] = `redrive-${m.MessageId}`;
      }
      await api.call('SendMessage', send);
      done.push({ Id: String(done.length), ReceiptHandle: m.ReceiptHandle });
      const name = target.slice(target.lastIndexOf('/') + 1);
      moved.set(name, (moved.get(name) ?? 0) + 1);
      total++;
    }
    if (done.length) await api.call('DeleteMessageBatch', { QueueUrl: dlq, Entries: done });
    if (done.length === 0) break; // only unroutable messages left (they stay invisible for now)
  }
  // Messages with no source to go back to: make them visible again right away.
  for (let i = 0; i < skipped.length; i += 10) {
    const entries = skipped.slice(i, i + 10).map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }));
    await api.call('ChangeMessageVisibilityBatch', { QueueUrl: dlq, Entries: entries });
  }
  const per = [...moved].map(([n, c]) => `${n}: ${c}`).join(', ');
  io.out(`moved ${total} message(s)${per ? ` (${per})` : ''}${skipped.length ? `; left ${skipped.length} without a source queue (use --to QUEUE)` : ''}\n`);
  return skipped.length && !total ? 1 : 0;
}

/** Runs `sluice queues|peek|purge|redrive ...`; returns the exit code. */
export async function runAdmin(argv: string[], io: Io = stdio, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    const a = parse(argv, env);
    if (a.help) {
      io.out(ADMIN_HELP);
      return 0;
    }
    const api = new SqsApi(a.endpoint);
    switch (a.positional[0]) {
      case 'queues':
        return await queues(api, a, io);
      case 'peek':
        return await peek(api, a, io);
      case 'purge':
        return await purge(api, a, io);
      case 'redrive':
        return await redrive(api, a, io);
      default:
        io.err(ADMIN_HELP);
        return 2;
    }
  } catch (e) {
    if (e instanceof AdminError) {
      io.err(`sluice ${argv[0] ?? ''}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
