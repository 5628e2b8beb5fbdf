// The published AWS Signature Version 4 test suite (test/auth/vectors, see its README), fed to
// Sluice's verifier in both forms: Authorization header and presigned query string.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  canonicalRequest,
  checkTime,
  parseClaim,
  signingKey,
  verifySignature,
} from '../../src/auth/sigv4.js';
import { SqsError } from '../../src/protocol/errors.js';
import type { HttpRequest } from '../../src/transport/types.js';

const DIR = path.join(import.meta.dirname, 'vectors');

interface Context {
  credentials: { access_key_id: string; secret_access_key: string; token?: string };
  normalize: boolean;
  timestamp: string;
  region: string;
  service: string;
}

/** Parses a raw HTTP/1.1 request as the suite writes it (folded header lines allowed). */
function parseRequest(raw: string): HttpRequest {
  const blank = raw.indexOf('\n\n');
  const head = blank < 0 ? raw : raw.slice(0, blank);
  const body = blank < 0 ? '' : raw.slice(blank + 2);
  const lines = head.split('\n');
  const first = lines.shift()!;
  const method = first.slice(0, first.indexOf(' '));
  const target = first.slice(method.length + 1).replace(/ HTTP\/1\.1$/, '');
  const q = target.indexOf('?');
  const headers: Record<string, string> = {};
  let last = '';
  for (const line of lines) {
    if (line === '') continue;
    if (/^\s/.test(line)) {
      headers[last] += `\n${line}`;
      continue;
    }
    const colon = line.indexOf(':');
    last = line.slice(0, colon).toLowerCase();
    const v = line.slice(colon + 1);
    headers[last] = headers[last] === undefined ? v : `${headers[last]},${v}`;
  }
  return {
    method,
    path: q < 0 ? target : target.slice(0, q),
    query: q < 0 ? '' : target.slice(q + 1),
    headers,
    body: Buffer.from(body, 'utf8'),
    remoteAddress: '127.0.0.1',
  };
}

const read = (dir: string, f: string) => readFileSync(path.join(DIR, dir, f), 'utf8').replace(/\r\n/g, '\n');
const cases = readdirSync(DIR, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

describe('AWS SigV4 test suite', () => {
  it('has the vectors', () => {
    expect(cases.length).toBeGreaterThanOrEqual(38);
  });
  for (const name of cases) {
    const ctx = JSON.parse(read(name, 'context.json')) as Context;
    const now = Date.parse(ctx.timestamp);
    // SQS normalizes paths; the S3-style unnormalized cases are another service's rules.
    const run = ctx.normalize ? it : it.skip;
    for (const form of ['header', 'query'] as const) {
      run(`${name} (${form})`, () => {
        const req = parseRequest(read(name, `${form}-signed-request.txt`));
        const claim = parseClaim(req)!;
        expect(claim.presigned).toBe(form === 'query');
        expect(claim.accessKeyId).toBe(ctx.credentials.access_key_id);
        if (ctx.credentials.token && form === 'query') expect(claim.securityToken).toBe(ctx.credentials.token);
        checkTime(claim, now);
        // The token-after-signing form is the one case whose canonical query leaves it out.
        if (!name.endsWith('sts-header-after')) {
          expect(canonicalRequest(req, claim)).toBe(read(name, `${form}-canonical-request.txt`).trimEnd());
        }
        expect(() => verifySignature(req, claim, ctx.credentials.secret_access_key)).not.toThrow();
        // The wrong secret, or one flipped bit of the signature, fails.
        expect(() => verifySignature(req, claim, 'x' + ctx.credentials.secret_access_key)).toThrow(SqsError);
        const flipped = claim.signature.replace(/^./, (c) => (c === '0' ? '1' : '0'));
        expect(() => verifySignature(req, { ...claim, signature: flipped }, ctx.credentials.secret_access_key)).toThrow(
          /signature we calculated does not match/,
        );
      });
    }
  }
});

describe('SigV4 verifier edges', () => {
  const ctx = JSON.parse(read('get-vanilla', 'context.json')) as Context;
  const now = Date.parse(ctx.timestamp);
  const header = () => parseRequest(read('get-vanilla', 'header-signed-request.txt'));
  const query = () => parseRequest(read('get-vanilla', 'query-signed-request.txt'));
  const code = (f: () => void) => {
    try {
      f();
    } catch (e) {
      return (e as SqsError).code;
    }
    return 'ok';
  };

  it('derives the documented signing key', () => {
    // AWS General Reference, "Examples of how to derive a signing key for Signature Version 4".
    const k = signingKey('wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', '20120215', 'us-east-1', 'iam');
    expect(k.toString('hex')).toBe('f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d');
    expect(signingKey('wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', '20120215', 'us-east-1', 'iam')).toBe(k);
  });

  it('no signature at all is no claim', () => {
    expect(parseClaim({ ...header(), headers: { host: 'example.amazonaws.com' } })).toBeNull();
  });

  it('accepts 15 minutes of skew either way, not more', () => {
    const c = parseClaim(header())!;
    expect(code(() => checkTime(c, now + 15 * 60_000))).toBe('ok');
    expect(code(() => checkTime(c, now - 15 * 60_000))).toBe('ok');
    expect(code(() => checkTime(c, now + 15 * 60_000 + 1000))).toBe('RequestExpired');
    expect(code(() => checkTime(c, now - 15 * 60_000 - 1000))).toBe('RequestExpired');
  });

  it('a presigned URL lives X-Amz-Expires seconds', () => {
    const c = parseClaim(query())!;
    expect(c.expiresS).toBe(3600);
    expect(code(() => checkTime(c, now + 3600_000))).toBe('ok');
    expect(code(() => checkTime(c, now + 3601_000))).toBe('RequestExpired');
  });

  it('incomplete headers are IncompleteSignature', () => {
    const r = header();
    const bad = (auth: string) => code(() => parseClaim({ ...r, headers: { ...r.headers, authorization: auth } }));
    expect(bad('AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host')).toBe(
      'IncompleteSignatureException',
    );
    expect(bad('AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830, SignedHeaders=host, Signature=00')).toBe(
      'IncompleteSignatureException',
    );
    expect(bad('AWS AKIDEXAMPLE:abc')).toBe('IncompleteSignatureException');
    const { 'x-amz-date': _, ...noDate } = r.headers;
    expect(code(() => parseClaim({ ...r, headers: noDate }))).toBe('IncompleteSignatureException');
  });

  it('a signed body that was changed does not verify', () => {
    const r = parseRequest(read('post-x-www-form-urlencoded', 'header-signed-request.txt'));
    const c = parseClaim(r)!;
    expect(code(() => verifySignature(r, c, ctx.credentials.secret_access_key))).toBe('ok');
    const tampered = { ...r, body: Buffer.from('Param1=value2') };
    expect(code(() => verifySignature(tampered, c, ctx.credentials.secret_access_key))).toBe('InvalidSignatureException');
  });

  it('host must be signed', () => {
    const r = header();
    const c = { ...parseClaim(r)!, signedHeaders: ['x-amz-date'] };
    expect(code(() => verifySignature(r, c, ctx.credentials.secret_access_key))).toBe('IncompleteSignatureException');
  });
});
