// Message attributes: validation, AWS's size accounting, and MD5OfMessageAttributes exactly as
// AWS computes it (names sorted; each of name, data type and value length-prefixed big-endian;
// a transport byte 1 for String/Number, 2 for Binary).
import { createHash } from 'node:crypto';
import { LIMITS } from './generated/limits.js';
import { SqsError, invalidValue } from './protocol/errors.js';
import { hasInvalidChars } from './validate.js';

export interface AttributeValue {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string; // base64 on the wire (JSON); raw bytes are decoded on demand
}

export type Attributes = Record<string, AttributeValue>;

export interface ParsedAttributes {
  /** JSON text as the JSON protocol returns it, '' when there are none. */
  json: string;
  md5: Buffer | null;
  /** Bytes counted against the message size limit. */
  size: number;
}

const NAME = /^[A-Za-z0-9_.-]+$/;
const TYPE = /^(String|Number|Binary)(\.[^\s]*)?$/;

export function validateName(name: string, what = 'Message (user) attribute'): void {
  if (
    name.length === 0 ||
    name.length > LIMITS.message_attribute_name_len_max ||
    !NAME.test(name) ||
    name.startsWith('.') ||
    name.endsWith('.') ||
    name.includes('..') ||
    /^(aws\.|amazon\.)/i.test(name)
  ) {
    throw new SqsError('InvalidParameterValueException', `${what} name '${name}' is invalid.`);
  }
}

export function parseAttributes(raw: unknown, param = 'MessageAttributes'): ParsedAttributes {
  if (raw === undefined || raw === null) return { json: '', md5: null, size: 0 };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new SqsError('SerializationException', `Parameter ${param} must be a map.`);
  }
  const names = Object.keys(raw).sort();
  if (names.length === 0) return { json: '', md5: null, size: 0 };
  if (names.length > LIMITS.message_attributes_max) {
    throw new SqsError(
      'InvalidParameterValueException',
      `Number of message attributes [${names.length}] exceeds the allowed maximum [${LIMITS.message_attributes_max}].`,
    );
  }
  const out: [string, AttributeValue][] = [];
  const hash = createHash('md5');
  let size = 0;
  for (const name of names) {
    validateName(name);
    const v = (raw as Record<string, unknown>)[name] as Record<string, unknown> | undefined;
    if (typeof v !== 'object' || v === null) {
      throw new SqsError('InvalidParameterValueException', `The message attribute '${name}' must contain a value.`);
    }
    const type = v['DataType'];
    if (typeof type !== 'string' || type.length === 0) {
      throw new SqsError('InvalidParameterValueException', `The message attribute '${name}' must contain non-empty message attribute type.`);
    }
    if (!TYPE.test(type) || type.length > LIMITS.message_attribute_type_len_max || hasInvalidChars(type)) {
      throw new SqsError('InvalidParameterValueException', `The type of message (user) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`);
    }
    if (v['StringListValues'] !== undefined || v['BinaryListValues'] !== undefined) {
      const lists = [v['StringListValues'], v['BinaryListValues']];
      if (lists.some((l) => Array.isArray(l) && l.length > 0)) {
        throw new SqsError('UnsupportedOperation', 'Message attribute list values in SendMessage operation are not supported.');
      }
    }
    const binary = type.startsWith('Binary');
    const nameBytes = Buffer.from(name, 'utf8');
    const typeBytes = Buffer.from(type, 'utf8');
    let valueBytes: Buffer;
    const entry: AttributeValue = { DataType: type };
    if (binary) {
      const b = v['BinaryValue'];
      valueBytes = typeof b === 'string' ? Buffer.from(b, 'base64') : b instanceof Uint8Array ? Buffer.from(b) : Buffer.alloc(0);
      if (valueBytes.length === 0) {
        throw new SqsError('InvalidParameterValueException', `Message (user) attribute '${name}' must contain a non-empty value of type '${type}'.`);
      }
      entry.BinaryValue = valueBytes.toString('base64');
    } else {
      const s = v['StringValue'];
      if (typeof s !== 'string' || s.length === 0) {
        throw new SqsError('InvalidParameterValueException', `Message (user) attribute '${name}' must contain a non-empty value of type '${type}'.`);
      }
      // AWS: a String or Number value "has the same restrictions on the content as the message
      // body" (MessageAttributeValue); the error is the body's [G].
      if (hasInvalidChars(s)) throw invalidContents();
      if (type.startsWith('Number') && !isNumber(s)) {
        throw new SqsError('InvalidParameterValueException', `Can't cast the value of message (user) attribute '${name}' to a number.`);
      }
      valueBytes = Buffer.from(s, 'utf8');
      entry.StringValue = s;
    }
    size += nameBytes.length + typeBytes.length + valueBytes.length;
    lengthPrefixed(hash, nameBytes);
    lengthPrefixed(hash, typeBytes);
    hash.update(Uint8Array.of(binary ? 2 : 1));
    lengthPrefixed(hash, valueBytes);
    out.push([name, entry]);
  }
  void param;
  // fromEntries defines own properties: an attribute named __proto__ (a valid name) is kept.
  return { json: JSON.stringify(Object.fromEntries(out)), md5: hash.digest(), size };
}

export function invalidContents(): SqsError {
  return new SqsError(
    'InvalidMessageContents',
    'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF',
  );
}

function lengthPrefixed(hash: ReturnType<typeof createHash>, b: Buffer): void {
  const len = Buffer.allocUnsafe(4);
  len.writeUInt32BE(b.length, 0);
  hash.update(len);
  hash.update(b);
}

/** AWS accepts numbers of up to 38 significant digits, between -10^128 and 10^126. */
function isNumber(s: string): boolean {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s.trim())) return false;
  const digits = s.replace(/[eE].*$/, '').replace(/[^0-9]/g, '').replace(/^0+/, '');
  return digits.length <= LIMITS.number_attribute_digits_max;
}

/** The MD5 of a filtered subset, for a receive that asked for only some attributes. */
export function md5OfAttributes(attrs: Attributes): string | null {
  const names = Object.keys(attrs).sort();
  if (names.length === 0) return null;
  const hash = createHash('md5');
  for (const name of names) {
    const v = attrs[name]!;
    const binary = v.DataType.startsWith('Binary');
    lengthPrefixed(hash, Buffer.from(name, 'utf8'));
    lengthPrefixed(hash, Buffer.from(v.DataType, 'utf8'));
    hash.update(Uint8Array.of(binary ? 2 : 1));
    lengthPrefixed(hash, binary ? Buffer.from(v.BinaryValue ?? '', 'base64') : Buffer.from(v.StringValue ?? '', 'utf8'));
  }
  return hash.digest('hex');
}

export { invalidValue };
