import { queueUrl } from '../queue-url.js';
import { optInt, optString, type Input } from '../validate.js';
import type { Action, Context } from './context.js';
import { must, queueOf } from './queue.js';

export const listDeadLetterSourceQueues: Action = {
  name: 'ListDeadLetterSourceQueues',
  handle(ctx: Context, input: Input) {
    const q = queueOf(ctx, input);
    must(ctx.core.admin('info', { key: q.key }));
    const max = optInt(input, 'MaxResults', 1, 1000);
    const token = optString(input, 'NextToken');
    const after = token ? Buffer.from(token, 'base64').toString('utf8') : '';
    const { keys } = ctx.core.admin<{ keys: string[] }>('deadLetterSources', { key: q.key });
    const rest = keys.sort().filter((k) => k > after);
    const page = rest.slice(0, max ?? 1000);
    const out: { queueUrls: string[]; NextToken?: string } = {
      queueUrls: page.map((k) => {
        const [account, name] = k.split('/') as [string, string];
        return queueUrl(ctx.host, account, name);
      }),
    };
    if (max !== undefined && rest.length > max) out.NextToken = Buffer.from(page[page.length - 1]!).toString('base64');
    return out;
  },
};
