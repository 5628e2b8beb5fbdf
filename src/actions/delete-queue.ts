import type { Input } from '../validate.js';
import type { Action, Context } from './context.js';
import { must, queueOf } from './queue.js';

export const deleteQueue: Action = {
  name: 'DeleteQueue',
  handle(ctx: Context, input: Input) {
    must(ctx.core.admin('delete', { key: queueOf(ctx, input).key }));
    return {};
  },
};
