// Reading typed parameters out of a decoded request (JSON protocol objects, or the Query
// protocol's flat parameters already shaped like them), with AWS's errors for bad input.
import { SqsError, invalidValue, missingParameter } from './protocol/errors.js';

export type Input = Record<string, unknown>;

export function optString(input: Input, name: string): string | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw serialization(name, 'a string');
  return v;
}

export function reqString(input: Input, name: string): string {
  const v = optString(input, name);
  if (v === undefined) throw missingParameter(name);
  return v;
}

/** An integer parameter within [min, max]. Query sends numbers as strings. */
export function optInt(input: Input, name: string, min: number, max: number, reason?: string): number | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) n = Number(v);
  else if (typeof v === 'string') throw invalidValue(name, v, `Must be an integer.`);
  else throw serialization(name, 'an integer');
  if (!Number.isInteger(n) || n < min || n > max) {
    throw invalidValue(name, v, reason ?? `Must be between ${min} and ${max}, if provided.`);
  }
  return n;
}

export function optStringList(input: Input, name: string): string[] | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw serialization(name, 'a list of strings');
  return v as string[];
}

export function optStringMap(input: Input, name: string): Record<string, string> | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw serialization(name, 'a map of strings');
  for (const x of Object.values(v)) if (typeof x !== 'string') throw serialization(name, 'a map of strings');
  return v as Record<string, string>;
}

export function optList(input: Input, name: string): Input[] | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'object' || x === null || Array.isArray(x))) {
    throw serialization(name, 'a list of structures');
  }
  return v as Input[];
}

function serialization(name: string, what: string): SqsError {
  return new SqsError('SerializationException', `Parameter ${name} must be ${what}.`);
}

/** Characters AWS accepts in a message body: #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF. */
const INVALID_CHAR = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export function hasInvalidChars(s: string): boolean {
  return INVALID_CHAR.test(s);
}
