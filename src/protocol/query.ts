// The Query protocol (form-encoded Action=...&Version=2012-11-05, XML answers).
//
// Both directions are driven by the SQS shapes in query-shapes.ts (generated from botocore's
// service model by scripts/query-shapes.mjs), so no action needs code here:
//   - decode: flat parameters (Attribute.1.Name, MessageAttribute.2.Value.StringValue,
//     SendMessageBatchRequestEntry.3.Id, ...) become the JSON-shaped input the handlers take
//     (Attributes: {..}, MessageAttributes: {name: {DataType, StringValue}}, Entries: [..]).
//   - encode: the JSON-shaped output becomes AWS's XML: <{Action}Response><{Action}Result>
//     ...</{Action}Result><ResponseMetadata>..</ResponseMetadata></{Action}Response>, with
//     flattened lists repeated under their member name and maps as <Attribute><Name/><Value/>.
import { SqsError } from './errors.js';
import { xmlText } from './xml.js';
import { OPERATIONS, SHAPES, XML_NAMESPACE, type QueryShape } from './query-shapes.js';

// ---------------------------------------------------------------------------------------------
// Decoding

/** Parameters split on '.' into a tree: Attribute.1.Name=x → Attribute → 1 → Name = x. */
interface Node {
  v?: string;
  c?: Map<string, Node>;
}

function treeOf(params: URLSearchParams): Node {
  const root: Node = {};
  for (const [key, value] of params) {
    let n = root;
    for (const seg of key.split('.')) {
      n.c ??= new Map();
      let next = n.c.get(seg);
      if (!next) n.c.set(seg, (next = {}));
      n = next;
    }
    // The first occurrence wins (the URL's query string comes before the form body).
    if (n.v === undefined) n.v = value;
  }
  return root;
}

function shape(name: string): QueryShape {
  const s = SHAPES[name];
  if (!s) throw new Error(`query-shapes: no shape ${name}`);
  return s;
}

/** Children with positive integer names (1-based list/map indices), in numeric order. */
function indexed(n: Node | undefined): Node[] {
  if (!n?.c) return [];
  const out: [number, Node][] = [];
  for (const [k, v] of n.c) if (/^[1-9]\d*$/.test(k)) out.push([Number(k), v]);
  return out.sort((a, b) => a[0] - b[0]).map((e) => e[1]);
}

function decodeScalar(t: QueryShape['t'], v: string): unknown {
  switch (t) {
    case 'integer':
    case 'long':
      // Numbers the handlers get as numbers; anything else stays a string so the handler
      // reports it with AWS's "Value X for parameter Y is invalid" message.
      if (/^-?\d+$/.test(v)) {
        const n = Number(v);
        if (Number.isSafeInteger(n)) return n;
      }
      return v;
    case 'boolean':
      return v === 'true' ? true : v === 'false' ? false : v;
    default:
      // Strings, and blobs as the base64 text both protocols carry.
      return v;
  }
}

function decodeNode(shapeName: string, n: Node): unknown {
  const s = shape(shapeName);
  switch (s.t) {
    case 'structure': {
      const out: Record<string, unknown> = {};
      for (const [member, wire, memberShape] of s.m) {
        const child = n.c?.get(wire);
        if (!child) continue;
        const v = decodeNode(memberShape, child);
        if (v !== undefined) out[member] = v;
      }
      return out;
    }
    case 'list': {
      const holder = s.flat ? n : n.c?.get(s.itemName);
      const items = indexed(holder);
      // botocore sends an empty list as `Name=` with no items.
      if (items.length === 0) return n.v !== undefined ? [] : undefined;
      return items.map((item) => decodeNode(s.item, item) ?? null);
    }
    case 'map': {
      const holder = s.flat ? n : n.c?.get('entry');
      const entries = indexed(holder);
      if (entries.length === 0) return n.v !== undefined ? {} : undefined;
      const out: [string, unknown][] = [];
      for (const e of entries) {
        const k = e.c?.get(s.keyName);
        const key = k ? decodeNode(s.key, k) : undefined;
        if (typeof key !== 'string') continue;
        const v = e.c?.get(s.valueName);
        // A missing value is null, so the handler reports it as AWS does rather than the
        // entry vanishing.
        out.push([key, (v ? decodeNode(s.value, v) : undefined) ?? null]);
      }
      // fromEntries defines own properties: a key named __proto__ stays a key (as JSON.parse
      // keeps it) instead of replacing the map's prototype and vanishing.
      return Object.fromEntries(out);
    }
    default:
      return n.v === undefined ? undefined : decodeScalar(s.t, n.v);
  }
}

export function decodeQuery(params: URLSearchParams): { action: string; input: Record<string, unknown> } {
  const action = params.get('Action');
  if (!action) throw new SqsError('MissingAction', 'The request must contain the parameter Action.');
  const op = Object.hasOwn(OPERATIONS, action) ? OPERATIONS[action] : undefined;
  if (!op) throw new SqsError('InvalidAction', `The action ${action} is not valid for this endpoint.`);
  if (!op.input) return { action, input: {} };
  const input = decodeNode(op.input, treeOf(params)) as Record<string, unknown>;
  return { action, input };
}

// ---------------------------------------------------------------------------------------------
// Encoding

function scalarText(t: QueryShape['t'], v: unknown): string {
  if (t === 'blob' && typeof v === 'object' && v !== null && v instanceof Uint8Array) {
    return Buffer.from(v).toString('base64');
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return xmlText(String(v));
}

function element(name: string, inner: string): string {
  return `<${name}>${inner}</${name}>`;
}

/** The XML for `value` of shape `shapeName` as a member named `name` (repeated if flattened). */
function encodeMember(name: string, shapeName: string, value: unknown): string {
  if (value === undefined || value === null) return '';
  const s = shape(shapeName);
  switch (s.t) {
    case 'structure':
      return element(name, encodeFields(s, value));
    case 'list': {
      if (!Array.isArray(value)) return '';
      const items = value.map((item) => encodeMember(s.flat ? name : s.itemName, s.item, item)).join('');
      return s.flat ? items : element(name, items);
    }
    case 'map': {
      if (typeof value !== 'object') return '';
      let out = '';
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (v === undefined || v === null) continue;
        const entry = encodeMember(s.keyName, s.key, k) + encodeMember(s.valueName, s.value, v);
        out += element(s.flat ? name : 'entry', entry);
      }
      return s.flat ? out : element(name, out);
    }
    default:
      return element(name, scalarText(s.t, value));
  }
}

function encodeFields(s: Extract<QueryShape, { t: 'structure' }>, value: unknown): string {
  if (typeof value !== 'object' || value === null) return '';
  const obj = value as Record<string, unknown>;
  let out = '';
  for (const [member, wire, memberShape] of s.m) out += encodeMember(wire, memberShape, obj[member]);
  return out;
}

export function encodeQuery(action: string, out: object, requestId: string): string {
  const op = OPERATIONS[action];
  let result = '';
  if (op?.output && op.result) {
    const inner = encodeFields(shape(op.output) as Extract<QueryShape, { t: 'structure' }>, out);
    result = inner ? element(op.result, inner) : `<${op.result}/>`;
  }
  return (
    `<?xml version="1.0"?><${action}Response xmlns="${XML_NAMESPACE}">${result}` +
    `<ResponseMetadata><RequestId>${xmlText(requestId)}</RequestId></ResponseMetadata></${action}Response>`
  );
}
