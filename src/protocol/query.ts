// The Query protocol (form-encoded Action=...&Version=2012-11-05, XML answers).
// Decoding flat parameters into the JSON-shaped input handlers take, and encoding results.
import { SqsError } from './errors.js';

export function decodeQuery(params: URLSearchParams): { action: string; input: Record<string, unknown> } {
  const action = params.get('Action');
  if (!action) throw new SqsError('MissingAction', 'The request must contain the parameter Action.');
  throw new SqsError('InvalidAction', `The action ${action} is not valid for this endpoint.`);
}

export function encodeQuery(action: string, out: object, requestId: string): string {
  void out;
  return `<?xml version="1.0"?><${action}Response xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
}
