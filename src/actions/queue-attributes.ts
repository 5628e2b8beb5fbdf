// GetQueueAttributes and SetQueueAttributes.
import { SqsError } from '../protocol/errors.js';
import { COMPUTED, SETTABLE, coreConfig, validateAttributes } from '../queue-attributes.js';
import { queueArn } from '../queue-url.js';
import { optStringList, optStringMap, type Input } from '../validate.js';
import type { Action, Context } from './context.js';
import { checkRedriveTarget, must, queueOf } from './queue.js';

interface Info {
  attributes: Record<string, string>;
  visible: number;
  inflight: number;
  delayed: number;
  createdMs: number;
  modifiedMs: number;
  fifo: boolean;
}

const KNOWN = new Set<string>([...SETTABLE, ...COMPUTED, 'All']);

export const getQueueAttributes: Action = {
  name: 'GetQueueAttributes',
  handle(ctx: Context, input: Input) {
    const q = queueOf(ctx, input);
    const names = optStringList(input, 'AttributeNames') ?? [];
    for (const n of names) if (!KNOWN.has(n)) throw new SqsError('InvalidAttributeName', `Unknown Attribute ${n}.`);
    const info = must(ctx.core.admin<Info>('info', { key: q.key }));
    const all: Record<string, string> = {
      ...info.attributes,
      ApproximateNumberOfMessages: String(info.visible),
      ApproximateNumberOfMessagesNotVisible: String(info.inflight),
      ApproximateNumberOfMessagesDelayed: String(info.delayed),
      CreatedTimestamp: String(Math.floor(info.createdMs / 1000)),
      LastModifiedTimestamp: String(Math.floor(info.modifiedMs / 1000)),
      QueueArn: queueArn(ctx.config.region, q.account, q.name),
    };
    const want = names.includes('All') ? Object.keys(all) : names;
    const out: Record<string, string> = {};
    for (const n of want) if (all[n] !== undefined) out[n] = all[n]!;
    return Object.keys(out).length ? { Attributes: out } : {};
  },
};

export const setQueueAttributes: Action = {
  name: 'SetQueueAttributes',
  handle(ctx: Context, input: Input) {
    const q = queueOf(ctx, input);
    const given = optStringMap(input, 'Attributes');
    if (given === undefined) throw new SqsError('MissingRequiredParameterException', 'The request must contain the parameter Attributes.');
    const info = must(ctx.core.admin<Info>('info', { key: q.key }));
    const attrs = validateAttributes(given, info.fifo, false, ctx.config.region);
    // Nothing left to change (FifoQueue=true on a FIFO queue): nothing is written.
    if (Object.keys(attrs).length === 0) return {};
    checkRedriveTarget(ctx, attrs, queueArn(ctx.config.region, q.account, q.name));
    const merged = { ...info.attributes, ...attrs };
    for (const [k, v] of Object.entries(merged)) if (v === '') delete merged[k];
    must(ctx.core.admin('set', { key: q.key, attributes: attrs, config: coreConfig(merged) }));
    return {};
  },
};
