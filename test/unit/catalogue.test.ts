// The error catalogue has one source, spec/errors.json, and three generated views of it: the
// TypeScript table, the Rust enum and docs/errors.md. These tests check that all four name the
// same codes, and that every generated file is as fresh as scripts/codegen.mjs would make it.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it, expect } from 'vitest';

import { ERRORS } from '../../src/generated/errors.js';
import { LIMITS, LIMITS_RELAXED } from '../../src/generated/limits.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

function read(relPath: string): string {
  return readFileSync(`${root}${relPath}`, 'utf8');
}

interface SpecEntry {
  code: string;
  queryCode: string;
  httpStatus: number;
  senderFault: boolean;
  message: string;
}

const spec = JSON.parse(read('spec/errors.json')) as SpecEntry[];
const specCodes = spec.map((e) => e.code).sort();

function sorted(codes: Iterable<string>): string[] {
  return [...codes].sort();
}

// The variants of `pub enum ErrorCode { ... }`: each is an indented identifier and a comma.
function rustVariants(source: string): string[] {
  const body = /pub enum ErrorCode \{([\s\S]*?)\n\}/.exec(source);
  expect(body, 'native/core/src/error_code.rs has no ErrorCode enum').not.toBeNull();
  return [...(body?.[1] ?? '').matchAll(/^ {4}([A-Z][A-Za-z0-9]*),$/gm)].map((m) => m[1] ?? '');
}

// The first cell of each row of the catalogue table, written as `Code`.
function markdownCodes(source: string): string[] {
  return [...source.matchAll(/^\| `([A-Z][A-Za-z0-9]*)` \|/gm)].map((m) => m[1] ?? '');
}

describe('error catalogue', () => {
  it('has unique codes in spec/errors.json', () => {
    expect(new Set(specCodes).size).toBe(specCodes.length);
  });

  it('matches src/generated/errors.ts', () => {
    expect(sorted(Object.keys(ERRORS))).toEqual(specCodes);
    for (const entry of spec) {
      const generated = ERRORS[entry.code as keyof typeof ERRORS];
      expect(generated).toEqual({
        code: entry.code,
        queryCode: entry.queryCode,
        httpStatus: entry.httpStatus,
        senderFault: entry.senderFault,
        message: entry.message,
      });
    }
  });

  it('matches native/core/src/error_code.rs', () => {
    expect(sorted(rustVariants(read('native/core/src/error_code.rs')))).toEqual(specCodes);
  });

  it('matches docs/errors.md', () => {
    expect(sorted(markdownCodes(read('docs/errors.md')))).toEqual(specCodes);
  });

  it('keeps the AWS wire codes that SDKs map to typed exceptions', () => {
    expect(ERRORS.QueueDoesNotExist.queryCode).toBe('AWS.SimpleQueueService.NonExistentQueue');
    expect(ERRORS.QueueNameExists.queryCode).toBe('QueueAlreadyExists');
    expect(ERRORS.ReceiptHandleIsInvalid.httpStatus).toBe(404);
    expect(ERRORS.InvalidParameterValueException.queryCode).toBe('InvalidParameterValue');
    expect(ERRORS.MissingRequiredParameterException.queryCode).toBe('MissingParameter');
    expect(ERRORS.ServiceUnavailable.senderFault).toBe(false);
  });
});

describe('limits', () => {
  it('has the same names in strict and relaxed mode', () => {
    expect(sorted(Object.keys(LIMITS_RELAXED))).toEqual(sorted(Object.keys(LIMITS)));
  });

  it('matches spec/limits.json', () => {
    type LimitsFile = { limits: { name: string; strict: number }[] };
    const limits = (JSON.parse(read('spec/limits.json')) as LimitsFile).limits;
    expect(sorted(Object.keys(LIMITS))).toEqual(sorted(limits.map((l) => l.name)));
    for (const l of limits) expect(LIMITS[l.name as keyof typeof LIMITS]).toBe(l.strict);
  });

  it('carries the values other modules rely on', () => {
    expect(LIMITS.batch_entries_max).toBe(10);
    expect(LIMITS.message_bytes_max).toBe(1_048_576);
    expect(LIMITS.visibility_timeout_s_max).toBe(43_200);
    expect(LIMITS.dedup_window_ms).toBe(300_000);
  });
});

describe('codegen', () => {
  it('reports every generated file fresh (node scripts/codegen.mjs --check)', () => {
    const result = spawnSync(process.execPath, ['scripts/codegen.mjs', '--check'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
