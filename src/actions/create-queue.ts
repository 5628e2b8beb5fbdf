import { LIMITS } from '../generated/limits.js';
import { SqsError } from '../protocol/errors.js';
import { coreConfig, defaults, validateAttributes } from '../queue-attributes.js';
import { queueArn, queueUrl } from '../queue-url.js';
import { optStringMap, reqString, type Input } from '../validate.js';
import type { Action, Context } from './context.js';
import { checkRedriveTarget } from './queue.js';
import { validateTags } from './tags.js';

const NAME = /^[A-Za-z0-9_-]{1,80}$/;

export const createQueue: Action = {
  name: 'CreateQueue',
  handle(ctx: Context, input: Input) {
    const name = reqString(input, 'QueueName');
    const given = optStringMap(input, 'Attributes') ?? {};
    // The JSON protocol names the member `tags`; the Query decoder maps Tag.N to it too.
    const tags = validateTags(optStringMap(input, 'tags') ?? optStringMap(input, 'Tags') ?? {});
    const fifo = given['FifoQueue'] === 'true';
    const base = name.endsWith('.fifo') ? name.slice(0, -5) : name;
    if (name.length > LIMITS.queue_name_len_max || !NAME.test(base)) {
      throw new SqsError(
        'InvalidParameterValueException',
        fifo || name.endsWith('.fifo')
          ? 'The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.'
          : 'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
      );
    }
    if (fifo !== name.endsWith('.fifo')) {
      throw new SqsError(
        'InvalidParameterValueException',
        fifo
          ? 'The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.'
          : 'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
      );
    }
    const attrs = validateAttributes(given, fifo, true, ctx.config.region);
    checkRedriveTarget(ctx, attrs, queueArn(ctx.config.region, ctx.account, name));
    const effective = { ...defaults(fifo), ...attrs };
    const res = ctx.core.admin<{ id: number; created: boolean }>('create', {
      account: ctx.account,
      name,
      arn: queueArn(ctx.config.region, ctx.account, name),
      config: coreConfig(effective),
      attributes: effective,
      given: Object.keys(attrs),
      tags,
    });
    if (res.error === 'QueueAlreadyExists') {
      // AWS names the first attribute whose value differs.
      const info = ctx.core.admin<{ attributes?: Record<string, string> }>('info', { key: `${ctx.account}/${name}` });
      const existing = { ...defaults(fifo), ...(info?.attributes ?? {}) };
      const differs = Object.keys(attrs).find((k) => existing[k] !== attrs[k]);
      throw new SqsError(
        'QueueNameExists',
        `A queue already exists with the same name and a different value for attribute ${differs ?? Object.keys(attrs)[0] ?? ''}`,
      );
    }
    if (res.error === 'QueueDeletedRecently') {
      throw new SqsError(
        'QueueDeletedRecently',
        'You must wait 60 seconds after deleting a queue before you can create another with the same name.',
      );
    }
    if (res.error === 'OverLimit') throw new SqsError('OverLimit', 'Too many queues.');
    return { QueueUrl: queueUrl(ctx.host, ctx.account, name) };
  },
};
