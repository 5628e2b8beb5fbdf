// The JSON protocol's hot actions, answered by the core in one call from the request's bytes to
// the answer's (native/binding/src/fast.rs). The core declines, changing nothing, any request
// it cannot answer exactly as src/actions/ would; those go the general path, which alone words
// every error. Used only without signatures and users: authorization needs the decoded input.
import type { Config } from './config.js';

/** X-Amz-Target → the action and its code in fast.rs. */
export const FAST_ACTIONS = new Map<string, { name: string; code: number }>([
  ['AmazonSQS.SendMessage', { name: 'SendMessage', code: 1 }],
  ['AmazonSQS.SendMessageBatch', { name: 'SendMessageBatch', code: 2 }],
  ['AmazonSQS.ReceiveMessage', { name: 'ReceiveMessage', code: 3 }],
  ['AmazonSQS.DeleteMessage', { name: 'DeleteMessage', code: 4 }],
  ['AmazonSQS.DeleteMessageBatch', { name: 'DeleteMessageBatch', code: 5 }],
]);

export function fastPathOn(config: Config): boolean {
  return config.fastPath && config.auth === 'off' && config.users.length === 0;
}
