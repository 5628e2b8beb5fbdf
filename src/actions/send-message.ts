import { SqsError } from '../protocol/errors.js';
import type { Input } from '../validate.js';
import type { Action, Context } from './context.js';
import { must, queueOf } from './queue.js';
import { prepareSend, sendRefusal, sentFields } from './send-entry.js';

export const sendMessage: Action = {
  name: 'SendMessage',
  handle(ctx: Context, input: Input) {
    const q = queueOf(ctx, input);
    const p = prepareSend(input, q.name.endsWith('.fifo'));
    const [r] = must(ctx.core.sendBatch(q.key, ctx.senderId, [p.input]));
    if (!r) throw new SqsError('InternalFailure');
    if (!r.ok) throw sendRefusal(r);
    ctx.sentSizes = [p.input.size];
    return sentFields(p, r);
  },
};
