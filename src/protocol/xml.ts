// Text in the Query protocol's XML answers. Answers echo client strings (queue URLs built from
// the Host header, tags, attribute values, error messages quoting a bad value), so the text must
// keep the document well-formed whatever the client sent.

const XML_CHARS = /[&<>"'\r]|[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const XML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  // A literal CR would be normalized away by the client's XML parser; AWS sends it as &#xD;.
  '\r': '&#xD;',
};

/**
 * `s` as XML character data. XML 1.0 has no way to write the other C0 controls, U+FFFE, U+FFFF
 * or a lone surrogate, not even as a character reference, so each becomes U+FFFD [G]: the
 * answer stays parseable, and the values that are stored (bodies, message attributes) never
 * hold one, since AWS refuses them on the way in.
 */
export function xmlText(s: string): string {
  return s.replace(XML_CHARS, (c) => XML_ENTITIES[c] ?? '\uFFFD');
}
