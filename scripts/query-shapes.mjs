#!/usr/bin/env node
// Generates src/protocol/query-shapes.ts: the SQS operations and shapes the Query protocol layer
// (src/protocol/query.ts) walks to decode flat parameters and to render XML, with every wire
// name resolved the way botocore's query serializer and XML parser resolve them.
//
// Sources (botocore's SQS service model, 2012-11-05):
//   - the last model with "protocol":"query" (botocore 1.34.89): it carries the `locationName`
//     traits (Attribute.N.Name, MessageAttribute.N.Value.StringValue, QueueUrl, ...). Later
//     models are JSON and dropped most of them.
//   - optionally a current model: members added since (ReceiveMessage's
//     MessageSystemAttributeNames) are merged in, named by NEW_MEMBER_NAMES below.
//
// Usage:
//   pip download --no-deps botocore==1.34.89 -d /tmp/bc-query
//   pip download --no-deps botocore -d /tmp/bc-current            # optional
//   node scripts/query-shapes.mjs /tmp/bc-query/botocore-1.34.89-*.whl [/tmp/bc-current/botocore-*.whl]
// Either argument may also be a service-2.json (or .json.gz) file. `--check` compares with the
// file on disk instead of writing it.

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'src/protocol/query-shapes.ts');
const MODEL_PATH = 'botocore/data/sqs/2012-11-05/service-2.json';

// Query names of members the query-era model does not have (AWS's Query API names them so).
const NEW_MEMBER_NAMES = {
  'ReceiveMessageRequest.MessageSystemAttributeNames': 'MessageSystemAttributeName',
};

function load(file) {
  let buf;
  if (file.endsWith('.whl')) {
    const list = execFileSync('unzip', ['-Z1', file], { encoding: 'utf8' }).split('\n');
    const entry = list.find((l) => l === MODEL_PATH || l === `${MODEL_PATH}.gz`);
    if (!entry) throw new Error(`${file}: no ${MODEL_PATH}`);
    buf = execFileSync('unzip', ['-p', file, entry], { maxBuffer: 64 << 20 });
  } else {
    buf = readFileSync(file);
  }
  if (buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzipSync(buf);
  return JSON.parse(buf.toString('utf8'));
}

const args = process.argv.slice(2);
const check = args.includes('--check');
const files = args.filter((a) => a !== '--check');
if (files.length < 1) {
  console.error('usage: node scripts/query-shapes.mjs <query-era botocore wheel or model> [current one] [--check]');
  process.exit(2);
}
const query = load(files[0]);
if (query.metadata.protocol !== 'query') throw new Error(`${files[0]}: protocol is ${query.metadata.protocol}, not query`);
const current = files[1] ? load(files[1]) : query;

const qs = query.shapes;
const cs = current.shapes;
const ops = current.operations;

/** A shape definition with member/list/map refs taking their locationName from the query model. */
function shapeOf(name) {
  const c = cs[name];
  if (!c) throw new Error(`no shape ${name}`);
  return { c, q: qs[name] };
}

const SCALARS = new Set(['string', 'integer', 'long', 'boolean', 'blob', 'timestamp', 'double', 'float']);
const emitted = {};
const locName = (ref, shapeName) => ref?.locationName ?? qs[shapeName]?.locationName;

function visit(name) {
  if (emitted[name]) return;
  const { c, q } = shapeOf(name);
  if (SCALARS.has(c.type)) {
    emitted[name] = { t: c.type };
    return;
  }
  if (c.type === 'structure') {
    const s = { t: 'structure', m: [] };
    emitted[name] = s;
    for (const [member, ref] of Object.entries(c.members)) {
      const qref = q?.members?.[member];
      const target = cs[ref.shape];
      let wire;
      if (!qref && NEW_MEMBER_NAMES[`${name}.${member}`]) wire = NEW_MEMBER_NAMES[`${name}.${member}`];
      else if (!qref && qs[name]) {
        throw new Error(`${name}.${member}: new in the current model; give its Query name in NEW_MEMBER_NAMES`);
      } else {
        // botocore: a flattened list is named by its member's name when it has one, else like
        // any member: the ref's locationName, else the shape's, else the member name.
        const qt = qs[ref.shape] ?? target;
        const memberName = qt.type === 'list' && qt.flattened ? locName(qt.member, qt.member.shape) : undefined;
        wire = memberName ?? locName(qref ?? ref, ref.shape) ?? member;
      }
      s.m.push([member, wire, ref.shape]);
      visit(ref.shape);
    }
    return;
  }
  if (c.type === 'list') {
    const qm = q?.member ?? c.member;
    emitted[name] = { t: 'list', flat: !!c.flattened, item: c.member.shape, itemName: locName(qm, c.member.shape) ?? 'member' };
    visit(c.member.shape);
    return;
  }
  if (c.type === 'map') {
    emitted[name] = {
      t: 'map',
      flat: !!c.flattened,
      key: c.key.shape,
      keyName: locName(q?.key ?? c.key, c.key.shape) ?? 'key',
      value: c.value.shape,
      valueName: locName(q?.value ?? c.value, c.value.shape) ?? 'value',
    };
    visit(c.key.shape);
    visit(c.value.shape);
    return;
  }
  throw new Error(`${name}: unsupported type ${c.type}`);
}

const operations = {};
for (const [op, def] of Object.entries(ops).sort(([a], [b]) => a.localeCompare(b))) {
  const o = {};
  if (def.input) {
    o.input = def.input.shape;
    visit(def.input.shape);
  }
  if (def.output) {
    o.output = def.output.shape;
    o.result = query.operations[op]?.output?.resultWrapper ?? `${op}Result`;
    visit(def.output.shape);
  }
  operations[op] = o;
}

const shapes = Object.fromEntries(Object.entries(emitted).sort(([a], [b]) => a.localeCompare(b)));
const text =
  `// Generated by scripts/query-shapes.mjs from botocore's SQS service model — do not edit.\n` +
  `// Wire names are resolved as botocore's query serializer and XML parser resolve them.\n\n` +
  `export type QueryShape =\n` +
  `  | { t: 'string' | 'integer' | 'long' | 'boolean' | 'blob' | 'timestamp' | 'double' | 'float' }\n` +
  `  /** m: [JSON member name, Query/XML name, shape] */\n` +
  `  | { t: 'structure'; m: [string, string, string][] }\n` +
  `  | { t: 'list'; flat: boolean; item: string; itemName: string }\n` +
  `  | { t: 'map'; flat: boolean; key: string; keyName: string; value: string; valueName: string };\n\n` +
  `export interface QueryOperation {\n  input?: string;\n  output?: string;\n  /** The XML element wrapping the output: <{result}>. */\n  result?: string;\n}\n\n` +
  `export const XML_NAMESPACE = ${JSON.stringify(query.metadata.xmlNamespace)};\n\n` +
  `export const OPERATIONS: Record<string, QueryOperation> = ${JSON.stringify(operations, null, 2)};\n\n` +
  `export const SHAPES: Record<string, QueryShape> = {\n` +
  Object.entries(shapes)
    .map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},\n`)
    .join('') +
  `};\n`;

if (check) {
  let disk = '';
  try {
    disk = readFileSync(out, 'utf8');
  } catch {}
  if (disk !== text) {
    console.error(`${out} is stale; run scripts/query-shapes.mjs`);
    process.exit(1);
  }
} else {
  writeFileSync(out, text);
  console.log(`wrote ${out}: ${Object.keys(operations).length} operations, ${Object.keys(shapes).length} shapes`);
}
