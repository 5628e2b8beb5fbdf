// What a JS string can hold that UTF-8 cannot: a lone surrogate (half of a UTF-16 pair), which
// a JSON client sends as "\ud800". Every other string crossing into the core (napi's string
// arguments, Buffer.write in native/codec.ts) turns each into U+FFFD; these helpers let the
// hand-built crossings do the same instead of failing.

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `s` with each lone surrogate replaced by U+FFFD (String.prototype.toWellFormed, ES2024). */
export function wellFormed(s: string): string {
  return s.replace(LONE_SURROGATE, '\uFFFD');
}

/** `v` with every string in it, map keys included, made well-formed. */
export function wellFormedDeep(v: unknown): unknown {
  if (typeof v === 'string') return wellFormed(v);
  if (Array.isArray(v)) return v.map(wellFormedDeep);
  if (typeof v !== 'object' || v === null) return v;
  // fromEntries defines own properties, so a client's "__proto__" key stays a key.
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [wellFormed(k), wellFormedDeep(x)]));
}
