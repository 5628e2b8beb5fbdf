import { LIMITS } from '../generated/limits.js';
import { SqsError } from '../protocol/errors.js';
import { queueUrl } from '../queue-url.js';
import { optInt, optString, type Input } from '../validate.js';
import type { Action, Context } from './context.js';

/** NextToken is the base64 of the last name returned; names are listed in order. */
export const listQueues: Action = {
  name: 'ListQueues',
  handle(ctx: Context, input: Input) {
    const prefix = optString(input, 'QueueNamePrefix') ?? '';
    const max = optInt(input, 'MaxResults', 1, LIMITS.list_queues_results_max, 'Must be between 1 and 1000, if provided.');
    const token = optString(input, 'NextToken');
    if (token !== undefined && max === undefined) {
      throw new SqsError('InvalidParameterValueException', 'MaxResults is a mandatory parameter when you provide a value for NextToken.');
    }
    let after = '';
    if (token !== undefined) {
      after = Buffer.from(token, 'base64').toString('utf8');
      if (!/^[A-Za-z0-9_.-]+$/.test(after)) throw new SqsError('InvalidParameterValueException', 'Invalid NextToken value.');
    }
    const { names } = ctx.core.admin<{ names: string[] }>('list', { account: ctx.account, prefix });
    const rest = after ? names.filter((n) => n > after) : names;
    const limit = max ?? LIMITS.list_queues_results_max;
    const page = rest.slice(0, limit);
    const out: { QueueUrls?: string[]; NextToken?: string } = {};
    if (page.length) out.QueueUrls = page.map((n) => queueUrl(ctx.host, ctx.account, n));
    if (max !== undefined && rest.length > limit) out.NextToken = Buffer.from(page[page.length - 1]!).toString('base64');
    return out;
  },
};
