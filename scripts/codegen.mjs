#!/usr/bin/env node
// Generates the error and limit tables from their single sources:
//
//   spec/errors.json -> src/generated/errors.ts, native/core/src/error_code.rs, docs/errors.md
//   spec/limits.json -> src/generated/limits.ts, native/core/src/limits.rs
//
// Usage: `node scripts/codegen.mjs` writes the files. `node scripts/codegen.mjs --check` builds
// them in memory and exits 1 if any file on disk differs, so CI can catch a stale table.
// Plain Node ESM with no dependencies, so it runs before `npm install` has built anything.

import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const columns_max = 100;

// ---------------------------------------------------------------------------------------------
// Loading and validation. A bad spec stops generation with a message naming the entry.

function fail(message) {
  throw new Error(`codegen: ${message}`);
}

function readJson(relPath) {
  return JSON.parse(readFileSync(join(root, relPath), 'utf8'));
}

const errorFields = ['code', 'queryCode', 'httpStatus', 'senderFault', 'message'];
const errorFieldsOptional = ['template', 'source', 'note'];

function loadErrors() {
  const entries = readJson('spec/errors.json');
  if (!Array.isArray(entries) || entries.length === 0) fail('spec/errors.json must be an array');
  const seen = new Set();
  for (const e of entries) {
    const where = `spec/errors.json entry ${JSON.stringify(e.code)}`;
    for (const key of Object.keys(e)) {
      if (!errorFields.includes(key) && !errorFieldsOptional.includes(key)) {
        fail(`${where}: unknown field ${key}`);
      }
    }
    if (typeof e.code !== 'string' || !/^[A-Z][A-Za-z0-9]*$/.test(e.code)) {
      fail(`${where}: code must be a PascalCase identifier (it becomes a Rust variant)`);
    }
    if (seen.has(e.code)) fail(`${where}: duplicate code`);
    seen.add(e.code);
    if (typeof e.queryCode !== 'string' || !/^[A-Za-z][A-Za-z0-9.]*$/.test(e.queryCode)) {
      fail(`${where}: queryCode must be a dotted identifier`);
    }
    if (!Number.isInteger(e.httpStatus) || e.httpStatus < 400 || e.httpStatus > 599) {
      fail(`${where}: httpStatus must be an integer in 400..599`);
    }
    if (typeof e.senderFault !== 'boolean') fail(`${where}: senderFault must be a boolean`);
    if (e.senderFault !== e.httpStatus < 500) {
      fail(`${where}: senderFault must be true exactly when httpStatus is 4xx`);
    }
    for (const key of ['message', ...errorFieldsOptional]) {
      if (key in e && (typeof e[key] !== 'string' || e[key].length === 0)) {
        fail(`${where}: ${key} must be a non-empty string`);
      }
    }
    if (!('message' in e)) fail(`${where}: message is required`);
  }
  return [...entries].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}

// Units decide the Rust type: durations and sizes are u64 (they meet clocks and file offsets),
// counts and lengths are usize (they meet `len()`).
const unitTypes = { count: 'usize', chars: 'usize', bytes: 'u64', s: 'u64', ms: 'u64' };

function loadLimits() {
  const spec = readJson('spec/limits.json');
  const { sources, limits, relations } = spec;
  if (typeof sources !== 'object' || !Array.isArray(limits) || !Array.isArray(relations)) {
    fail('spec/limits.json must have sources, limits and relations');
  }
  const byName = new Map();
  const sourcesUsed = new Set();
  for (const l of limits) {
    const where = `spec/limits.json limit ${JSON.stringify(l.name)}`;
    if (typeof l.name !== 'string' || !/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/.test(l.name)) {
      fail(`${where}: name must be snake_case`);
    }
    if (byName.has(l.name)) fail(`${where}: duplicate name`);
    if (!(l.unit in unitTypes)) fail(`${where}: unit must be one of ${Object.keys(unitTypes)}`);
    if (['bytes', 's', 'ms'].includes(l.unit) && !l.name.split('_').includes(l.unit)) {
      fail(`${where}: a ${l.unit} limit must carry _${l.unit} in its name`);
    }
    if (l.unit === 'chars' && !/_(len|chars)_/.test(l.name)) {
      fail(`${where}: a chars limit must carry _len_ or _chars_ in its name`);
    }
    if (!/_(min|max|default|window|cooldown)$/.test(l.name) && !/_(ms|s)$/.test(l.name)) {
      fail(`${where}: name must end in its qualifier (min, max, default) or its unit`);
    }
    for (const key of ['strict', 'relaxed']) {
      if (key in l && (!Number.isSafeInteger(l[key]) || l[key] < 0)) {
        fail(`${where}: ${key} must be a non-negative safe integer`);
      }
    }
    if (!('strict' in l)) fail(`${where}: strict is required`);
    if ('relaxed' in l && l.relaxed < l.strict && !l.name.endsWith('_min')) {
      fail(`${where}: a relaxed maximum must not be below the strict one`);
    }
    if (!(l.source in sources)) fail(`${where}: unknown source ${l.source}`);
    if (typeof l.doc !== 'string' || l.doc.length === 0) fail(`${where}: doc is required`);
    sourcesUsed.add(l.source);
    byName.set(l.name, { ...l, relaxed: l.relaxed ?? l.strict, type: unitTypes[l.unit] });
  }
  for (const name of Object.keys(sources)) {
    if (!sourcesUsed.has(name)) fail(`spec/limits.json source ${name} is never used`);
  }
  const parsed = relations.map((r) => parseRelation(r, byName));
  return { sources, limits: [...byName.values()], relations: parsed };
}

const relationPattern = /^([a-z0-9_]+)(?:\s*\*\s*(\d+))?\s*(<=|<|==|>=|>)\s*([a-z0-9_]+)$/;

function parseRelation(relation, byName) {
  const where = `spec/limits.json relation ${JSON.stringify(relation.check)}`;
  const match = relationPattern.exec(relation.check ?? '');
  if (!match) fail(`${where}: must read "a [* k] OP b"`);
  const [, left, factorText, op, right] = match;
  const factor = factorText === undefined ? 1 : Number(factorText);
  for (const name of [left, right]) {
    if (!byName.has(name)) fail(`${where}: unknown limit ${name}`);
  }
  if (byName.get(left).type !== byName.get(right).type) {
    fail(`${where}: both sides must have the same Rust type`);
  }
  if (typeof relation.why !== 'string' || relation.why.length === 0) fail(`${where}: why needed`);
  for (const mode of ['strict', 'relaxed']) {
    const a = byName.get(left)[mode] * factor;
    const b = byName.get(right)[mode];
    const holds = { '<=': a <= b, '<': a < b, '==': a === b, '>=': a >= b, '>': a > b }[op];
    if (!holds) fail(`${where}: does not hold for the ${mode} values (${a} ${op} ${b})`);
  }
  return { left, factor, op, right, why: relation.why };
}

// ---------------------------------------------------------------------------------------------
// Formatting helpers.

// Splits text into lines of at most `width` characters at spaces. A single word longer than
// the width (a URL) stays whole on its own line.
function wrapWords(text, width) {
  const lines = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w.length > 0)) {
    if (line.length === 0) line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line.length > 0) lines.push(line);
  return lines;
}

// A JSDoc comment: one line when it fits, else a ` * ` block.
function jsdoc(text, indent = '') {
  const single = `${indent}/** ${text} */`;
  if (single.length <= columns_max) return single;
  return [`${indent}/**`, comment(' *', text, indent), `${indent} */`].join('\n');
}

function comment(prefix, text, indent = '') {
  const width = columns_max - indent.length - prefix.length - 1;
  return wrapWords(text, width).map((l) => `${indent}${prefix} ${l}`).join('\n');
}

// Groups digits in threes, as both TypeScript and Rust allow: 1048576 -> 1_048_576.
function groupDigits(n) {
  const text = String(n);
  if (text.length < 5) return text;
  return text.replace(/\B(?=(\d{3})+(?!\d))/g, '_');
}

// Splits a string into chunks that break after a space, each at most `width` characters.
function chunkString(text, width) {
  const chunks = [];
  let rest = text;
  while (rest.length > width) {
    let cut = rest.lastIndexOf(' ', width - 1);
    if (cut <= 0) cut = width - 1;
    chunks.push(rest.slice(0, cut + 1));
    rest = rest.slice(cut + 1);
  }
  chunks.push(rest);
  return chunks;
}

// A TypeScript string property, split into `+`-joined literals when the line would be too long.
function tsStringProperty(indent, key, value) {
  const single = `${indent}${key}: ${JSON.stringify(value)},`;
  if (single.length <= columns_max) return single;
  const inner = `${indent}  `;
  const chunks = chunkString(value, columns_max - inner.length - 6).map((c) => JSON.stringify(c));
  return `${indent}${key}:\n${chunks.map((c) => `${inner}${c}`).join(' +\n')},`;
}

// A Rust struct field holding a string, shaped as rustfmt shapes it: on one line when it fits,
// else with the literal on the next line, and as a `concat!` of pieces when even that is too long.
function rustStringField(indent, name, value) {
  const literal = JSON.stringify(value);
  if (`${indent}${name}: ${literal},`.length <= columns_max) return `${indent}${name}: ${literal},`;
  const inner = `${indent}    `;
  if (`${inner}${literal},`.length <= columns_max) return `${indent}${name}:\n${inner}${literal},`;
  const chunks = chunkString(value, columns_max - inner.length - 4).map((c) => JSON.stringify(c));
  const pieces = chunks.map((c) => `${inner}${c},`).join('\n');
  return `${indent}${name}: concat!(\n${pieces}\n${indent}),`;
}

function markdownCell(text) {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

// ---------------------------------------------------------------------------------------------
// Errors.

function generateErrorsTs(errors) {
  const out = [
    '// Generated by scripts/codegen.mjs from spec/errors.json — do not edit.',
    '',
    '/** One SQS error as it goes on the wire. */',
    'export interface ErrorSpec {',
    '  /** JSON protocol shape name: `__type` is `com.amazonaws.sqs#<code>`. */',
    '  readonly code: string;',
    '  /** Query protocol `<Code>`, and the `x-amzn-query-error: <queryCode>;Sender` header. */',
    '  readonly queryCode: string;',
    '  readonly httpStatus: number;',
    '  /** `true` for `Sender` (4xx), `false` for `Receiver` (5xx). */',
    '  readonly senderFault: boolean;',
    "  /** AWS's default message; docs/errors.md lists the parameterized forms. */",
    '  readonly message: string;',
    '}',
    '',
    'export const ERRORS = {',
  ];
  for (const e of errors) {
    out.push(`  ${e.code}: {`);
    out.push(tsStringProperty('    ', 'code', e.code));
    out.push(tsStringProperty('    ', 'queryCode', e.queryCode));
    out.push(`    httpStatus: ${e.httpStatus},`);
    out.push(`    senderFault: ${e.senderFault},`);
    out.push(tsStringProperty('    ', 'message', e.message));
    out.push('  },');
  }
  out.push('} as const satisfies Record<string, ErrorSpec>;');
  out.push('');
  out.push('export type ErrorCode = keyof typeof ERRORS;');
  out.push('');
  return out.join('\n');
}

function generateErrorCodeRs(errors) {
  const out = [
    '//! Generated by scripts/codegen.mjs from spec/errors.json — do not edit.',
    '//!',
    comment('//!', 'Every SQS error code Sluice can put on the wire. The core maps its ' +
      'per-operation errors onto these codes; only the TypeScript edge turns a code into an ' +
      'HTTP response. A native error crosses napi as its `as_str()` string alone.'),
    '',
    '/// One row of the catalogue.',
    '#[derive(Clone, Copy, Debug, PartialEq, Eq)]',
    'pub struct ErrorSpec {',
    '    /// The JSON protocol shape name; `__type` is `com.amazonaws.sqs#<code>`.',
    "    pub code: &'static str,",
    '    /// The Query protocol `<Code>` and the `x-amzn-query-error` code.',
    "    pub query_code: &'static str,",
    '    /// The HTTP status of the error response.',
    '    pub http_status: u16,',
    '    /// `true` when the client is at fault (`Sender`), `false` for `Receiver`.',
    '    pub sender_fault: bool,',
    "    /// AWS's default message.",
    "    pub message: &'static str,",
    '}',
    '',
    comment('///', 'An SQS error code, named by its JSON protocol shape (`__type` is ' +
      '`com.amazonaws.sqs#<name>`).'),
    '#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]',
    'pub enum ErrorCode {',
  ];
  for (const e of errors) {
    const fault = e.senderFault ? 'Sender' : 'Receiver';
    const doc = `HTTP ${e.httpStatus}, ${fault}, Query code \`${e.queryCode}\`.`;
    out.push(comment('///', doc, '    '));
    out.push(`    ${e.code},`);
  }
  out.push('}');
  out.push('');
  out.push('/// The catalogue rows, in `ErrorCode` declaration order.');
  out.push(`const SPECS: [ErrorSpec; ${errors.length}] = [`);
  for (const e of errors) {
    out.push('    ErrorSpec {');
    out.push(rustStringField('        ', 'code', e.code));
    out.push(rustStringField('        ', 'query_code', e.queryCode));
    out.push(`        http_status: ${e.httpStatus},`);
    out.push(`        sender_fault: ${e.senderFault},`);
    out.push(rustStringField('        ', 'message', e.message));
    out.push('    },');
  }
  out.push('];');
  out.push('');
  out.push(...`impl ErrorCode {
    /// Every code, sorted by name.
    pub const ALL: [ErrorCode; ${errors.length}] = [
${errors.map((e) => `        Self::${e.code},`).join('\n')}
    ];

    /// The catalogue row of this code.
    #[must_use]
    pub const fn spec(self) -> ErrorSpec {
        SPECS[self as usize]
    }

    /// The JSON protocol shape name, also the napi error status string.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        self.spec().code
    }

    /// The Query protocol \`<Code>\` and the \`x-amzn-query-error\` code.
    #[must_use]
    pub const fn query_code(self) -> &'static str {
        self.spec().query_code
    }

    /// The HTTP status of the error response.
    #[must_use]
    pub const fn http_status(self) -> u16 {
        self.spec().http_status
    }

    /// \`true\` when the client is at fault (\`Sender\`), \`false\` for \`Receiver\`.
    #[must_use]
    pub const fn sender_fault(self) -> bool {
        self.spec().sender_fault
    }

    /// AWS's default message for the error.
    #[must_use]
    pub const fn message(self) -> &'static str {
        self.spec().message
    }

    /// Looks a code up by its \`as_str()\` name.
    #[must_use]
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.as_str() == code)
    }
}

impl AsRef<str> for ErrorCode {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl core::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

// Every status is an HTTP error status, and the fault follows the status class.
const _: () = {
    let mut i = 0;
    while i < ErrorCode::ALL.len() {
        let code = ErrorCode::ALL[i];
        assert!(code as usize == i);
        assert!(code.http_status() >= 400);
        assert!(code.http_status() <= 599);
        assert!(code.sender_fault() == (code.http_status() < 500));
        i += 1;
    }
};

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn rows_follow_declaration_order() {
        for code in ErrorCode::ALL {
            assert_eq!(format!("{code:?}"), code.as_str());
            assert_eq!(ErrorCode::from_code(code.as_str()), Some(code));
        }
        assert_eq!(ErrorCode::from_code("NoSuchCode"), None);
    }
}
`.split('\n'));
  return out.join('\n');
}

function generateErrorsMd(errors) {
  const out = [
    '<!-- Generated by scripts/codegen.mjs from spec/errors.json — do not edit. -->',
    '',
    '# Sluice error catalogue',
    '',
    ...wrapWords('Every error Sluice can return. `spec/errors.json` is the only source; ' +
      '`node scripts/codegen.mjs` turns it into `src/generated/errors.ts`, ' +
      '`native/core/src/error_code.rs` and this page.', columns_max),
    '',
    '- **Code** is the JSON protocol shape name. The JSON response body is',
    '  `{"__type": "com.amazonaws.sqs#<Code>", "message": "..."}`.',
    '- **Query code** is what the Query protocol puts in `<Error><Code>`. The JSON protocol',
    '  also sends it in the header `x-amzn-query-error: <Query code>;Sender` (or `;Receiver`),',
    '  which current SDKs read, because SQS is `awsQueryCompatible`.',
    '- **Fault** is the `<Type>` of a Query error and the suffix of that header.',
    '',
    '| Code | Query code | HTTP | Fault | Message |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const e of errors) {
    const fault = e.senderFault ? 'Sender' : 'Receiver';
    out.push(`| \`${e.code}\` | \`${e.queryCode}\` | ${e.httpStatus} | ${fault} | ` +
      `${markdownCell(e.message)} |`);
  }
  out.push('');
  out.push('## Message forms, sources and notes');
  out.push('');
  out.push(...wrapWords('A **form** is the parameterized message AWS sends in place of the ' +
    'default. **Source** says where the entry comes from: `model` is the SQS service model ' +
    '(the `awsQueryError` traits in `@aws-sdk/client-sqs`); `recorded` is a response captured ' +
    'from AWS (LocalStack snapshot tests recorded against AWS, or a third party\'s recordings ' +
    'where marked); `docs` is the AWS API Reference; `emulator` is text from moto or ' +
    'LocalStack that is not verified; `guess` is ours; `sluice` is an error that exists only ' +
    'in Sluice.', columns_max));
  out.push('');
  for (const e of errors) {
    out.push(`### ${e.code}`);
    out.push('');
    if (e.template) out.push(`- Form: \`${e.template}\``);
    out.push(`- Source: ${e.source ?? 'unknown'}`);
    if (e.note) {
      out.push(...wrapWords(`- ${e.note}`, columns_max - 2).map((l, i) => (i ? `  ${l}` : l)));
    }
    out.push('');
  }
  out.push('## Internal failures');
  out.push('');
  out.push(...wrapWords('A storage failure answers `ServiceUnavailable` (503): a write or fsync ' +
    'error makes the WAL refuse every later append (`PreviousIo`), and a full disk does too. ' +
    'SDKs retry ' +
    '503 with backoff, and a load balancer can send the retry to a healthy node. Any other ' +
    'unexpected native error answers `InternalFailure` (500). A broken invariant is not an error ' +
    'at all: it is an assertion, and the process crashes.', columns_max));
  out.push('');
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Limits.

function generateLimitsTs({ sources, limits }) {
  const out = [
    '// Generated by scripts/codegen.mjs from spec/limits.json — do not edit.',
    '',
    '/** Strict limits: the values AWS enforces. Each name ends in its unit and qualifier. */',
    'export const LIMITS = {',
  ];
  for (const l of limits) {
    out.push(jsdoc(`${l.doc} Source: ${l.source}.`, '  '));
    out.push(`  ${l.name}: ${groupDigits(l.strict)},`);
  }
  out.push('} as const;');
  out.push('');
  out.push('export type LimitName = keyof typeof LIMITS;');
  out.push('');
  out.push('/** A full set of limits, strict or relaxed. */');
  out.push('export type Limits = { readonly [K in LimitName]: number };');
  out.push('');
  out.push('/** Relaxed limits for development: larger where AWS is tight, but still bounded. */');
  out.push('export const LIMITS_RELAXED: Limits = {');
  for (const l of limits) out.push(`  ${l.name}: ${groupDigits(l.relaxed)},`);
  out.push('};');
  out.push('');
  out.push('/** Where each limit comes from. */');
  out.push('export const LIMIT_SOURCES = {');
  for (const [name, text] of Object.entries(sources)) {
    out.push(tsStringProperty('  ', JSON.stringify(name), text));
  }
  out.push('} as const;');
  out.push('');
  return out.join('\n');
}

function rustConstName(name) {
  return name.toUpperCase();
}

function generateLimitsRs({ sources, limits, relations }) {
  const out = [
    '//! Generated by scripts/codegen.mjs from spec/limits.json — do not edit.',
    '//!',
    comment('//!', 'Every SQS limit Sluice enforces. The top-level constants are the strict ' +
      'values, ' +
      'which match AWS; `relaxed` holds the development values, larger but still bounded. Names ' +
      'end in their unit and qualifier. Sources:'),
    '//!',
  ];
  for (const [name, text] of Object.entries(sources)) {
    const shown = text.startsWith('https://') ? `<${text}>` : text;
    const lines = wrapWords(`- \`${name}\`: ${shown}`, columns_max - 4);
    out.push(...lines.map((l, i) => (i === 0 ? `//! ${l}` : `//!   ${l}`)));
  }
  out.push('');
  for (const l of limits) {
    out.push(comment('///', `${l.doc} Source: \`${l.source}\`.`));
    out.push(`pub const ${rustConstName(l.name)}: ${l.type} = ${groupDigits(l.strict)};`);
  }
  out.push('');
  out.push('/// Development limits: larger where AWS is tight, but every one still bounded.');
  out.push('pub mod relaxed {');
  for (const l of limits) {
    out.push(`    /// Relaxed [\`super::${rustConstName(l.name)}\`].`);
    out.push(`    pub const ${rustConstName(l.name)}: ${l.type} = ${groupDigits(l.relaxed)};`);
  }
  out.push('');
  for (const r of relations) out.push(...rustRelation(r, '    '));
  out.push('}');
  out.push('');
  for (const r of relations) out.push(...rustRelation(r, ''));
  out.push('');
  return out.join('\n');
}

function rustRelation({ left, factor, op, right, why }, indent) {
  const lhs = factor === 1 ? rustConstName(left) : `${rustConstName(left)} * ${factor}`;
  return [
    comment('//', why, indent),
    `${indent}const _: () = assert!(${lhs} ${op} ${rustConstName(right)});`,
  ];
}

// ---------------------------------------------------------------------------------------------
// Main.

function generateAll() {
  const errors = loadErrors();
  const limits = loadLimits();
  return new Map([
    ['src/generated/errors.ts', generateErrorsTs(errors)],
    ['native/core/src/error_code.rs', generateErrorCodeRs(errors)],
    ['docs/errors.md', generateErrorsMd(errors)],
    ['src/generated/limits.ts', generateLimitsTs(limits)],
    ['native/core/src/limits.rs', generateLimitsRs(limits)],
  ]);
}

function main(argv) {
  const check = argv.includes('--check');
  const files = generateAll();
  const stale = [];
  for (const [relPath, text] of files) {
    const absPath = join(root, relPath);
    const onDisk = existsSync(absPath) ? readFileSync(absPath, 'utf8') : null;
    if (onDisk === text) continue;
    if (check) {
      stale.push(relPath);
    } else {
      mkdirSync(dirname(absPath), { recursive: true });
      writeFileSync(absPath, text);
      process.stdout.write(`codegen: wrote ${relPath}\n`);
    }
  }
  if (stale.length > 0) {
    process.stderr.write(`codegen: stale generated files (run node scripts/codegen.mjs):\n`);
    for (const relPath of stale) process.stderr.write(`  ${relPath}\n`);
    return 1;
  }
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
}
