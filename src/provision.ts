// Queues the config file asks for, created at start through the same actions clients call (so
// the same validation applies). Dead-letter queues first; idempotent on restart: an existing
// queue gets the file's attributes (SetQueueAttributes) and tags (TagQueue) again, so the
// file stays the source of truth for what it names.
import { ACTIONS } from './actions/index.js';
import { newContext, type Context } from './actions/context.js';
import type { Config, QueueSpec } from './config.js';
import { ConfigError } from './config.js';
import type { LongPoll } from './long-poll.js';
import type { Core } from './native.js';
import { SqsError } from './protocol/errors.js';
import { queueArn, queueUrl } from './queue-url.js';

/** Specs ordered so each queue comes after the dead-letter queue it names. */
export function creationOrder(specs: readonly QueueSpec[]): QueueSpec[] {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const done = new Set<string>();
  const out: QueueSpec[] = [];
  const visit = (s: QueueSpec, path: string[]) => {
    if (done.has(s.name)) return;
    if (path.includes(s.name)) throw new ConfigError(`config queues: dead-letter queues form a cycle: ${[...path, s.name].join(' -> ')}`);
    const d = s.deadLetterQueue && byName.get(s.deadLetterQueue.name);
    if (d) visit(d, [...path, s.name]);
    done.add(s.name);
    out.push(s);
  };
  for (const s of specs) visit(s, []);
  return out;
}

export interface Provisioned {
  created: string[];
  updated: string[];
}

export async function provisionQueues(core: Core, config: Config, longPoll: LongPoll): Promise<Provisioned> {
  const result: Provisioned = { created: [], updated: [] };
  if (!config.queues.length) return result;
  const host = config.publicHost || `${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`;
  const ctx: Context = newContext(core, config, longPoll, host, 'startup', false);
  const call = async (action: string, input: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const out = (await ACTIONS.get(action)!.handle(ctx, input)) as Record<string, unknown>;
    const durable = core.whenDurable(core.takeLsn());
    if (durable) await durable;
    return out;
  };
  for (const spec of creationOrder(config.queues)) {
    const attributes = { ...spec.attributes };
    if (spec.name.endsWith('.fifo') && attributes['FifoQueue'] === undefined) attributes['FifoQueue'] = 'true';
    if (spec.deadLetterQueue) {
      attributes['RedrivePolicy'] = JSON.stringify({
        deadLetterTargetArn: queueArn(config.region, config.accountId, spec.deadLetterQueue.name),
        maxReceiveCount: spec.deadLetterQueue.maxReceiveCount,
      });
    }
    const url = queueUrl(host, config.accountId, spec.name);
    try {
      try {
        await call('CreateQueue', { QueueName: spec.name, Attributes: attributes, tags: spec.tags });
        result.created.push(spec.name);
      } catch (e) {
        if (!(e instanceof SqsError) || e.code !== 'QueueNameExists') throw e;
        const settable = { ...attributes };
        delete settable['FifoQueue'];
        if (Object.keys(settable).length) await call('SetQueueAttributes', { QueueUrl: url, Attributes: settable });
        if (Object.keys(spec.tags).length) await call('TagQueue', { QueueUrl: url, Tags: spec.tags });
        result.updated.push(spec.name);
      }
    } catch (e) {
      core.takeLsn();
      const why = e instanceof Error ? e.message : String(e);
      throw new ConfigError(`config queues (${spec.name}): ${e instanceof SqsError ? `${e.code}: ` : ''}${why}`);
    }
  }
  return result;
}
