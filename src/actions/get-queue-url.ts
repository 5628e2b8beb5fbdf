import { SqsError } from '../protocol/errors.js';
import { queueUrl } from '../queue-url.js';
import { optString, reqString, type Input } from '../validate.js';
import type { Action, Context } from './context.js';
import { must } from './queue.js';

export const getQueueUrl: Action = {
  name: 'GetQueueUrl',
  handle(ctx: Context, input: Input) {
    const name = reqString(input, 'QueueName');
    const owner = optString(input, 'QueueOwnerAWSAccountId') ?? ctx.account;
    if (!/^\d{12}$/.test(owner)) {
      throw new SqsError('InvalidParameterValueException', `Value ${owner} for parameter QueueOwnerAWSAccountId is invalid.`);
    }
    must(ctx.core.admin('info', { key: `${owner}/${name}` }));
    return { QueueUrl: queueUrl(ctx.host, owner, name) };
  },
};
