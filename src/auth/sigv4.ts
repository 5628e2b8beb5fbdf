// AWS Signature Version 4, verified on the server side: the Authorization-header form and the
// presigned query-string form, for the JSON protocol (POST + X-Amz-Target) and the Query
// protocol (form POST, or GET with parameters in the URL).
//
// The canonical request is rebuilt from the request exactly as AWS documents it:
//   METHOD \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n PayloadHash
// CanonicalURI: the path as it came on the wire, normalized (no '.', '..' or empty segments)
// and URI-encoded once more (so '%20' on the wire signs as '%2520': non-S3 services sign the
// encoded path, as the SDKs do). CanonicalQuery: every parameter (but X-Amz-Signature)
// decoded, re-encoded with RFC 3986 unreserved characters only, sorted by key then value.
// CanonicalHeaders: the signed headers, lower-cased, values trimmed with inner runs of
// whitespace collapsed. PayloadHash: x-amz-content-sha256 when given (checked against the
// body), else the SHA-256 of the body.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { SqsError } from '../protocol/errors.js';
import type { HttpRequest } from '../transport/types.js';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
/** How far a request's date may be from the server's clock (AWS: 15 minutes). */
export const CLOCK_SKEW_MS_MAX = 15 * 60 * 1000;
/** The longest X-Amz-Expires AWS accepts on a presigned URL (7 days). */
export const PRESIGN_EXPIRES_S_MAX = 7 * 24 * 60 * 60;
/** Derived signing keys kept (one per key, day, region, service); cleared when full. */
export const SIGNING_KEY_CACHE_ENTRIES_MAX = 1024;

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/** What a request claims about its signature, before anything is checked against a secret. */
export interface SignatureClaim {
  presigned: boolean;
  accessKeyId: string;
  /** Credential scope parts: yyyymmdd, region, service. */
  scopeDate: string;
  region: string;
  service: string;
  /** Lower-case header names, in the order given. */
  signedHeaders: string[];
  signature: string;
  /** ISO 8601 basic, e.g. 20150830T123600Z. */
  amzDate: string;
  /** Milliseconds since the epoch of amzDate. */
  dateMs: number;
  /** Presigned only. */
  expiresS?: number;
  securityToken?: string;
}

const incomplete = (why: string) => new SqsError('IncompleteSignatureException', why);
const mismatch = (why?: string) => new SqsError('InvalidSignatureException', why);

/** Parses the claim from the Authorization header or the X-Amz-* query parameters; null if neither. */
export function parseClaim(req: HttpRequest): SignatureClaim | null {
  const auth = req.headers['authorization'];
  if (auth !== undefined) return parseHeaderClaim(req, auth);
  if (/(?:^|&)X-Amz-Algorithm=/i.test(req.query)) return parseQueryClaim(req);
  return null;
}

function parseHeaderClaim(req: HttpRequest, auth: string): SignatureClaim {
  const sp = auth.indexOf(' ');
  const algorithm = sp < 0 ? auth : auth.slice(0, sp);
  if (algorithm !== ALGORITHM) {
    throw incomplete(`Unsupported AWS 'algorithm': '${algorithm.slice(0, 40)}'. Sluice accepts ${ALGORITHM} only.`);
  }
  const parts = new Map<string, string>();
  for (const p of auth.slice(sp + 1).split(',')) {
    const eq = p.indexOf('=');
    if (eq > 0) parts.set(p.slice(0, eq).trim(), p.slice(eq + 1).trim());
  }
  const missing: string[] = [];
  for (const k of ['Credential', 'SignedHeaders', 'Signature']) {
    if (!parts.get(k)) missing.push(`Authorization header requires '${k}' parameter.`);
  }
  const amzDate = req.headers['x-amz-date'] ?? '';
  let dateMs = parseAmzDate(amzDate);
  let iso = amzDate;
  if (Number.isNaN(dateMs) && req.headers['date'] !== undefined) {
    dateMs = Date.parse(req.headers['date']);
    iso = Number.isNaN(dateMs) ? '' : toAmzDate(dateMs);
  }
  if (Number.isNaN(dateMs)) {
    missing.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  }
  if (missing.length) throw incomplete(missing.join(' '));
  const token = req.headers['x-amz-security-token'];
  return {
    presigned: false,
    ...parseCredential(parts.get('Credential')!),
    signedHeaders: parts.get('SignedHeaders')!.split(';'),
    signature: parts.get('Signature')!,
    amzDate: iso,
    dateMs,
    ...(token !== undefined ? { securityToken: token } : {}),
  };
}

function parseQueryClaim(req: HttpRequest): SignatureClaim {
  const q = new Map<string, string>();
  for (const [k, v] of queryPairs(req.query)) if (k.startsWith('X-Amz-') && !q.has(k)) q.set(k, v);
  const algorithm = q.get('X-Amz-Algorithm');
  if (algorithm !== ALGORITHM) {
    throw incomplete(`X-Amz-Algorithm only supports "${ALGORITHM}".`);
  }
  const missing = ['X-Amz-Credential', 'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Signature', 'X-Amz-Expires']
    .filter((k) => !q.get(k));
  if (missing.length) {
    throw incomplete(`AWS query-string parameters must include ${missing.map((k) => `'${k}'`).join(', ')}.`);
  }
  const amzDate = q.get('X-Amz-Date')!;
  const dateMs = parseAmzDate(amzDate);
  if (Number.isNaN(dateMs)) throw incomplete(`X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'".`);
  const expires = q.get('X-Amz-Expires')!;
  const expiresS = /^\d{1,7}$/.test(expires) ? Number(expires) : NaN;
  if (!(expiresS >= 1 && expiresS <= PRESIGN_EXPIRES_S_MAX)) {
    throw incomplete(`X-Amz-Expires must be between 1 and ${PRESIGN_EXPIRES_S_MAX} seconds.`);
  }
  const token = q.get('X-Amz-Security-Token');
  return {
    presigned: true,
    ...parseCredential(q.get('X-Amz-Credential')!),
    signedHeaders: q.get('X-Amz-SignedHeaders')!.split(';'),
    signature: q.get('X-Amz-Signature')!,
    amzDate,
    dateMs,
    expiresS,
    ...(token !== undefined ? { securityToken: token } : {}),
  };
}

function parseCredential(c: string): Pick<SignatureClaim, 'accessKeyId' | 'scopeDate' | 'region' | 'service'> {
  const p = c.split('/');
  if (p.length !== 5 || p[4] !== 'aws4_request' || !/^\d{8}$/.test(p[1]!) || !p[0] || !p[2] || !p[3]) {
    throw incomplete(`Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/aws4_request, got '${p.length} elements'.`);
  }
  return { accessKeyId: p[0], scopeDate: p[1]!, region: p[2], service: p[3] };
}

export function parseAmzDate(s: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return NaN;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

export function toAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/**
 * Checks the claim's dates against `nowMs`: the date must be within 15 minutes of now, and a
 * presigned URL must not have expired. Throws RequestExpired.
 */
export function checkTime(claim: SignatureClaim, nowMs: number): void {
  if (claim.amzDate.slice(0, 8) !== claim.scopeDate) {
    throw mismatch(
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${claim.scopeDate}' != '${claim.amzDate.slice(0, 8)}', from '${claim.amzDate}'.`,
    );
  }
  if (claim.dateMs - nowMs > CLOCK_SKEW_MS_MAX) {
    throw new SqsError('RequestExpired', `Signature not yet current: ${claim.amzDate} is still later than ${toAmzDate(nowMs + CLOCK_SKEW_MS_MAX)} (${toAmzDate(nowMs)} + 15 min.)`);
  }
  if (claim.presigned) {
    if (nowMs > claim.dateMs + claim.expiresS! * 1000) {
      throw new SqsError('RequestExpired', `Request has expired. X-Amz-Date ${claim.amzDate}, X-Amz-Expires ${claim.expiresS}.`);
    }
  } else if (nowMs - claim.dateMs > CLOCK_SKEW_MS_MAX) {
    throw new SqsError('RequestExpired', `Signature expired: ${claim.amzDate} is now earlier than ${toAmzDate(nowMs - CLOCK_SKEW_MS_MAX)} (${toAmzDate(nowMs)} - 15 min.)`);
  }
}

/**
 * Verifies the claim's signature with `secret`. Throws SignatureDoesNotMatch. Dates and the
 * credential scope are the caller's to check (checkTime; region and service against config).
 */
export function verifySignature(req: HttpRequest, claim: SignatureClaim, secret: string): void {
  if (!claim.signedHeaders.includes('host')) {
    throw incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  const key = signingKey(secret, claim.scopeDate, claim.region, claim.service);
  const want = signatureOf(key, claim, canonicalRequest(req, claim, true));
  if (safeEqualHex(want, claim.signature)) return;
  // Some signers add the session token to a presigned URL after signing it (the "sts header
  // after" vectors); accept that form too, as AWS does.
  if (claim.presigned && claim.securityToken !== undefined) {
    const without = signatureOf(key, claim, canonicalRequest(req, claim, false));
    if (safeEqualHex(without, claim.signature)) return;
  }
  throw mismatch();
}

function signatureOf(key: Buffer, claim: SignatureClaim, creq: string): string {
  const scope = `${claim.scopeDate}/${claim.region}/${claim.service}/aws4_request`;
  const sts = `${ALGORITHM}\n${claim.amzDate}\n${scope}\n${sha256Hex(creq)}`;
  return createHmac('sha256', key).update(sts, 'utf8').digest('hex');
}

function safeEqualHex(a: string, b: string): boolean {
  if (a.length !== 64 || b.length !== 64 || !/^[0-9a-f]{64}$/.test(b)) return false;
  return timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}

/** The canonical request string; `withToken` false leaves X-Amz-Security-Token out of a presigned query. */
export function canonicalRequest(req: HttpRequest, claim: SignatureClaim, withToken = true): string {
  const headers = claim.signedHeaders.map((h) => `${h}:${canonicalHeaderValue(req.headers[h] ?? '')}\n`).join('');
  return [
    req.method.toUpperCase(),
    canonicalUri(req.path),
    canonicalQuery(req.query, claim.presigned, withToken),
    headers,
    claim.signedHeaders.join(';'),
    payloadHash(req),
  ].join('\n');
}

function canonicalHeaderValue(v: string): string {
  return v.trim().replace(/\s+/g, ' ');
}

/** AWS's UriEncode: everything but A-Z a-z 0-9 - _ . ~ is %XX of its UTF-8 bytes. */
export function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function canonicalUri(path: string): string {
  const segs: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') segs.pop();
    else segs.push(seg);
  }
  const trailing = segs.length > 0 && path.endsWith('/') ? '/' : '';
  return `/${segs.map(uriEncode).join('/')}${trailing}`;
}

/** Decodes %XX sequences; a malformed one stays as written. '+' stays '+' (RFC 3986, not forms). */
function decode(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
}

function* queryPairs(query: string): Generator<[string, string]> {
  if (query === '') return;
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    yield eq < 0 ? [decode(part), ''] : [decode(part.slice(0, eq)), decode(part.slice(eq + 1))];
  }
}

export function canonicalQuery(query: string, presigned: boolean, withToken = true): string {
  const pairs: [string, string][] = [];
  for (const [k, v] of queryPairs(query)) {
    if (presigned && k === 'X-Amz-Signature') continue;
    if (presigned && !withToken && k === 'X-Amz-Security-Token') continue;
    pairs.push([uriEncode(k), uriEncode(v)]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

function payloadHash(req: HttpRequest): string {
  const actual = req.body.length === 0 ? EMPTY_SHA256 : sha256Hex(req.body);
  const claimed = req.headers['x-amz-content-sha256'];
  if (claimed === undefined) return actual;
  if (claimed === UNSIGNED_PAYLOAD && req.body.length === 0) return claimed;
  if (claimed !== actual) {
    throw mismatch("The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  return claimed;
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

const keyCache = new Map<string, Buffer>();

/** kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"), cached. */
export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const id = `${date}\0${region}\0${service}\0${secret}`;
  let k = keyCache.get(id);
  if (k) return k;
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
  k = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
  if (keyCache.size >= SIGNING_KEY_CACHE_ENTRIES_MAX) keyCache.clear();
  keyCache.set(id, k);
  return k;
}
