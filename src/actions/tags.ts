// TagQueue, UntagQueue, ListQueueTags, and the tag rules CreateQueue shares.
import { LIMITS } from '../generated/limits.js';
import { SqsError } from '../protocol/errors.js';
import { optStringList, optStringMap, type Input } from '../validate.js';
import type { Action, Context } from './context.js';
import { must, queueOf } from './queue.js';

export function validateTags(tags: Record<string, string>): Record<string, string> {
  const keys = Object.keys(tags);
  if (keys.length > LIMITS.tags_per_queue_max) {
    throw new SqsError('InvalidParameterValueException', `Too many tags added for queue. Maximum is ${LIMITS.tags_per_queue_max}.`);
  }
  for (const [k, v] of Object.entries(tags)) {
    if (k.length === 0 || k.length > LIMITS.tag_key_len_max) {
      throw new SqsError('InvalidParameterValueException', `Tag key must be 1 to ${LIMITS.tag_key_len_max} characters.`);
    }
    if (v.length > LIMITS.tag_value_len_max) {
      throw new SqsError('InvalidParameterValueException', `Tag value must be at most ${LIMITS.tag_value_len_max} characters.`);
    }
  }
  return tags;
}

export const tagQueue: Action = {
  name: 'TagQueue',
  handle(ctx: Context, input: Input) {
    const q = queueOf(ctx, input);
    const tags = optStringMap(input, 'Tags');
    if (!tags || Object.keys(tags).length === 0) {
      throw new SqsError('MissingRequiredParameterException', 'The request must contain the parameter Tags.');
    }
    validateTags(tags);
    const current = must(ctx.core.admin<{ tags: Record<string, string> }>('tags', { key: q.key })).tags;
    if (Object.keys({ ...current, ...tags }).length > LIMITS.tags_per_queue_max) {
      throw new SqsError('InvalidParameterValueException', `Too many tags added for queue. Maximum is ${LIMITS.tags_per_queue_max}.`);
    }
    must(ctx.core.admin('tag', { key: q.key, tags }));
    return {};
  },
};

export const untagQueue: Action = {
  name: 'UntagQueue',
  handle(ctx: Context, input: Input) {
    const q = queueOf(ctx, input);
    const keys = optStringList(input, 'TagKeys');
    if (!keys || keys.length === 0) {
      throw new SqsError('MissingRequiredParameterException', 'The request must contain the parameter TagKeys.');
    }
    must(ctx.core.admin('tag', { key: q.key, remove: keys }));
    return {};
  },
};

export const listQueueTags: Action = {
  name: 'ListQueueTags',
  handle(ctx: Context, input: Input) {
    const q = queueOf(ctx, input);
    const tags = must(ctx.core.admin<{ tags: Record<string, string> }>('tags', { key: q.key })).tags;
    return Object.keys(tags).length ? { Tags: tags } : {};
  },
};
