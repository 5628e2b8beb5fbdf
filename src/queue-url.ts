// Queue URLs and ARNs look like AWS's: http://HOST/ACCOUNT_ID/QUEUE_NAME and
// arn:aws:sqs:REGION:ACCOUNT_ID:NAME. A URL with another host but a known path resolves.
import { SqsError } from './protocol/errors.js';

export interface QueueRef {
  account: string;
  name: string;
  /** The core's key for the queue. */
  key: string;
}

const PATH = /^\/(\d{12})\/([A-Za-z0-9_-]{1,80}(?:\.fifo)?)\/?$/;

export function parseQueueUrl(url: string): QueueRef {
  let path = url;
  const scheme = url.indexOf('://');
  if (scheme >= 0) {
    const slash = url.indexOf('/', scheme + 3);
    path = slash < 0 ? '/' : url.slice(slash);
  }
  const m = PATH.exec(path);
  // AWS answers a malformed queue URL as it answers an unknown queue (docs/contract.md).
  if (!m) throw new SqsError('QueueDoesNotExist', 'The specified queue does not exist.');
  const account = m[1]!;
  const name = m[2]!;
  return { account, name, key: `${account}/${name}` };
}

export function queueUrl(host: string, account: string, name: string): string {
  return `http://${host}/${account}/${name}`;
}

export function queueArn(region: string, account: string, name: string): string {
  return `arn:aws:sqs:${region}:${account}:${name}`;
}

/** The queue an ARN names, or null if it is not an SQS queue ARN. */
export function parseQueueArn(arn: string): { region: string; account: string; name: string } | null {
  const m = /^arn:aws:sqs:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,80}(?:\.fifo)?)$/.exec(arn);
  return m ? { region: m[1]!, account: m[2]!, name: m[3]! } : null;
}
