// Rules every *Batch action shares: 1 to 10 entries, ids of letters, digits, hyphens and
// underscores up to 80 characters, distinct.
import { LIMITS } from '../generated/limits.js';
import { SqsError } from '../protocol/errors.js';
import { optList, type Input } from '../validate.js';

const ID = /^[A-Za-z0-9_-]+$/;

export interface BatchFailure {
  Id: string;
  SenderFault: boolean;
  Code: string;
  Message: string;
}

export function batchEntries(input: Input, entryShape: string): Input[] {
  const entries = optList(input, 'Entries') ?? [];
  if (entries.length === 0) {
    throw new SqsError('EmptyBatchRequest', `There should be at least one ${entryShape} in the request.`);
  }
  if (entries.length > LIMITS.batch_entries_max) {
    throw new SqsError(
      'TooManyEntriesInBatchRequest',
      `Maximum number of entries per request are ${LIMITS.batch_entries_max}. You have sent ${entries.length}.`,
    );
  }
  const seen = new Set<string>();
  for (const e of entries) {
    const id = e['Id'];
    if (typeof id !== 'string' || id.length > LIMITS.batch_entry_id_len_max || !ID.test(id)) {
      throw new SqsError(
        'InvalidBatchEntryId',
        'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
      );
    }
    if (seen.has(id)) throw new SqsError('BatchEntryIdsNotDistinct', `Id ${id} repeated.`);
    seen.add(id);
  }
  return entries;
}

/** A failed entry as AWS reports it inside a batch result. */
export function failure(id: string, e: SqsError): BatchFailure {
  return { Id: id, SenderFault: e.spec.senderFault, Code: e.spec.queryCode.replace(/^AWS\.SimpleQueueService\./, ''), Message: e.message };
}
