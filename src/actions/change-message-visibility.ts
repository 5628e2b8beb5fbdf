import { LIMITS } from '../generated/limits.js';
import { SqsError, missingParameter } from '../protocol/errors.js';
import { optInt, reqString, type Input } from '../validate.js';
import { batchEntries, failure, type BatchFailure } from './batch.js';
import type { Action, Context } from './context.js';
import { handleError } from './delete-message.js';
import { must, queueOf } from './queue.js';

const RANGE = `Must be >= 0 and <= ${LIMITS.visibility_timeout_s_max}, if provided.`;

export const changeMessageVisibility: Action = {
  name: 'ChangeMessageVisibility',
  handle(ctx: Context, input: Input) {
    const q = queueOf(ctx, input);
    const handle = reqString(input, 'ReceiptHandle');
    const timeout = optInt(input, 'VisibilityTimeout', 0, LIMITS.visibility_timeout_s_max, RANGE);
    if (timeout === undefined) throw missingParameter('VisibilityTimeout');
    const [outcome] = must(ctx.core.changeVisibilityBatch(q.key, [handle], [timeout]));
    const err = handleError(outcome!, handle, timeout);
    if (err) throw err;
    return {};
  },
};

export const changeMessageVisibilityBatch: Action = {
  name: 'ChangeMessageVisibilityBatch',
  handle(ctx: Context, input: Input) {
    const q = queueOf(ctx, input);
    const entries = batchEntries(input, 'ChangeMessageVisibilityBatchRequestEntry');
    const failed: BatchFailure[] = [];
    const successful: { Id: string }[] = [];
    const handles: string[] = [];
    const timeouts: number[] = [];
    const ids: string[] = [];
    for (const e of entries) {
      const id = e['Id'] as string;
      try {
        const h = reqString(e, 'ReceiptHandle');
        const t = optInt(e, 'VisibilityTimeout', 0, LIMITS.visibility_timeout_s_max, RANGE) ?? 0;
        handles.push(h);
        timeouts.push(t);
        ids.push(id);
      } catch (err) {
        if (!(err instanceof SqsError)) throw err;
        failed.push(failure(id, err));
      }
    }
    const outcomes = handles.length ? must(ctx.core.changeVisibilityBatch(q.key, handles, timeouts)) : [];
    outcomes.forEach((o, i) => {
      const err = handleError(o, handles[i]!, timeouts[i]);
      if (err) failed.push(failure(ids[i]!, err));
      else successful.push({ Id: ids[i]! });
    });
    return { Successful: successful, Failed: failed };
  },
};
