// DeleteMessage and DeleteMessageBatch. A handle from an earlier receive of a message received
// again since succeeds without deleting (DeleteMessage reference); a handle that is not one of
// ours is ReceiptHandleIsInvalid.
import { SqsError } from '../protocol/errors.js';
import type { HandleOutcome } from '../native.js';
import { reqString, type Input } from '../validate.js';
import { batchEntries, failure, type BatchFailure } from './batch.js';
import type { Action, Context } from './context.js';
import { must, queueOf } from './queue.js';

export function handleError(outcome: HandleOutcome, handle: string, timeout?: number): SqsError | null {
  switch (outcome) {
    case 0:
    case 1:
      return null;
    case 2:
      return new SqsError('ReceiptHandleIsInvalid', `The input receipt handle "${handle}" is not a valid receipt handle.`);
    case 3:
      return new SqsError(
        'InvalidParameterValueException',
        `Value ${handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`,
      );
    case 4:
      return new SqsError(
        'InvalidParameterValueException',
        `Value ${String(timeout)} for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds]`,
      );
    case 5:
      return new SqsError(
        'InvalidParameterValueException',
        `Value ${handle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.`,
      );
  }
}

export const deleteMessage: Action = {
  name: 'DeleteMessage',
  handle(ctx: Context, input: Input) {
    const q = queueOf(ctx, input);
    const handle = reqString(input, 'ReceiptHandle');
    const [outcome] = must(ctx.core.deleteBatch(q.key, [handle]));
    const err = handleError(outcome!, handle);
    if (err) throw err;
    return {};
  },
};

export const deleteMessageBatch: Action = {
  name: 'DeleteMessageBatch',
  handle(ctx: Context, input: Input) {
    const q = queueOf(ctx, input);
    const entries = batchEntries(input, 'DeleteMessageBatchRequestEntry');
    const successful: { Id: string }[] = [];
    const failed: BatchFailure[] = [];
    const handles: string[] = [];
    const ids: string[] = [];
    for (const e of entries) {
      const h = e['ReceiptHandle'];
      if (typeof h !== 'string' || h === '') {
        failed.push(failure(e['Id'] as string, new SqsError('MissingRequiredParameterException', 'The request must contain the parameter ReceiptHandle.')));
        continue;
      }
      handles.push(h);
      ids.push(e['Id'] as string);
    }
    const outcomes = handles.length ? must(ctx.core.deleteBatch(q.key, handles)) : [];
    outcomes.forEach((o, i) => {
      const err = handleError(o, handles[i]!);
      if (err) failed.push(failure(ids[i]!, err));
      else successful.push({ Id: ids[i]! });
    });
    return { Successful: successful, Failed: failed };
  },
};
