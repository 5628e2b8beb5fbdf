// AWS JSON 1.0: POST with X-Amz-Target: AmazonSQS.<Action>, a JSON object body, a JSON answer.
import { SqsError, jsonError, type WireError } from './errors.js';

const TARGET_PREFIX = 'AmazonSQS.';

export function jsonAction(target: string): string {
  if (!target.startsWith(TARGET_PREFIX)) {
    throw new SqsError('UnknownOperationException', `Unknown operation ${target}.`);
  }
  return target.slice(TARGET_PREFIX.length);
}

export function decodeJson(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch {
    throw new SqsError('SerializationException', 'Start of structure or map found where not expected.');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new SqsError('SerializationException', 'Start of structure or map found where not expected.');
  }
  return v as Record<string, unknown>;
}

/** An answer already in the JSON protocol's bytes (ReceiveMessage renders in the core). */
export class JsonBody {
  constructor(
    readonly bytes: Buffer,
    /** Messages it carries (metrics). */
    readonly messages: number,
  ) {}
}

export function encodeJson(out: object): string | Buffer {
  return out instanceof JsonBody ? out.bytes : JSON.stringify(out);
}

export function encodeJsonError(e: SqsError): WireError {
  return jsonError(e);
}
