import { SqsError } from '../protocol/errors.js';
import type { Input } from '../validate.js';
import type { Action, Context } from './context.js';
import { must, queueOf } from './queue.js';

export const purgeQueue: Action = {
  name: 'PurgeQueue',
  handle(ctx: Context, input: Input) {
    const q = queueOf(ctx, input);
    const res = must(ctx.core.admin<{ purged?: number }>('purge', { key: q.key }));
    if (res.error === 'PurgeQueueInProgress') {
      throw new SqsError(
        'PurgeQueueInProgress',
        `Only one PurgeQueue operation on ${q.name} is allowed every 60 seconds.`,
      );
    }
    return {};
  },
};
