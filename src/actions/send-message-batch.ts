import { LIMITS } from '../generated/limits.js';
import { SqsError } from '../protocol/errors.js';
import type { Input } from '../validate.js';
import { batchEntries, failure, type BatchFailure } from './batch.js';
import type { Action, Context } from './context.js';
import { must, queueOf } from './queue.js';
import { prepareSend, sendRefusal, sentFields, type Prepared } from './send-entry.js';

export const sendMessageBatch: Action = {
  name: 'SendMessageBatch',
  handle(ctx: Context, input: Input) {
    const q = queueOf(ctx, input);
    const fifo = q.name.endsWith('.fifo');
    const entries = batchEntries(input, 'SendMessageBatchRequestEntry');
    const prepared: (Prepared | null)[] = [];
    const failed: BatchFailure[] = [];
    let total = 0;
    for (const e of entries) {
      try {
        const p = prepareSend(e, fifo, true);
        total += p.input.size;
        prepared.push(p);
      } catch (err) {
        if (!(err instanceof SqsError)) throw err;
        // FIFO entries without a group id fail the whole request, as on AWS.
        if (fifo && err.code === 'MissingRequiredParameterException') {
          throw new SqsError('InvalidParameterValueException', 'The request must contain the parameter MessageGroupId.');
        }
        failed.push(failure(e['Id'] as string, err));
        prepared.push(null);
      }
    }
    // FIFO entries without a deduplication id on a queue without content-based deduplication
    // fail the whole request, as on AWS.
    if (fifo && prepared.some((p) => p?.dedupFromContent)) {
      const info = must(ctx.core.admin<{ attributes: Record<string, string> }>('info', { key: q.key }));
      if (info.attributes['ContentBasedDeduplication'] !== 'true') {
        throw new SqsError(
          'InvalidParameterValueException',
          'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
        );
      }
    }
    if (total > LIMITS.batch_payload_bytes_max) {
      throw new SqsError(
        'BatchRequestTooLong',
        `Batch requests cannot be longer than ${LIMITS.batch_payload_bytes_max} bytes. You have sent ${total} bytes.`,
      );
    }
    const ok = prepared.filter((p): p is Prepared => p !== null);
    const results = ok.length ? must(ctx.core.sendBatch(q.key, ctx.senderId, ok.map((p) => p.input))) : [];
    const successful: Record<string, string>[] = [];
    let k = 0;
    prepared.forEach((p, i) => {
      if (!p) return;
      const r = results[k++]!;
      const id = entries[i]!['Id'] as string;
      if (r.ok) {
        successful.push({ Id: id, ...sentFields(p, r) });
        (ctx.sentSizes ??= []).push(p.input.size);
      }
      else failed.push(failure(id, sendRefusal(r)));
    });
    return { Successful: successful, Failed: failed };
  },
};
