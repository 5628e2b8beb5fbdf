// Drives boto_client.py (boto3/botocore 1.34.89, whose SQS model speaks the Query protocol) as a
// line server from vitest: one Python process per test file, one JSON line per call.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const venvPython = path.join(here, '.venv', 'bin', 'python');

export interface BotoError {
  Code: string;
  Message: string;
  Type?: string;
  HTTPStatusCode?: number;
  RequestId?: string;
}

export type BotoResult = { ok: Record<string, any>; error?: undefined } | { ok?: undefined; error: BotoError };

/** Why the Query client tests cannot run here, or null when they can. */
export function unavailable(): string | null {
  const py = process.env['PYTHON'] ?? 'python3';
  const probe = spawnSync(py, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return `${py} is not installed; the Query protocol client (boto3 1.34.89) needs Python 3`;
  return null;
}

/** Creates test/query/.venv with the pinned client if it is not there yet (needs PyPI access). */
export function ensureClient(): void {
  if (existsSync(venvPython)) {
    const ok = spawnSync(venvPython, ['-c', 'import boto3, botocore'], { encoding: 'utf8' });
    if (ok.status === 0) return;
  }
  const r = spawnSync('bash', [path.join(here, 'setup.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`test/query/setup.sh failed:\n${r.stdout}\n${r.stderr}`);
}

export class Boto {
  private proc: ChildProcessWithoutNullStreams;
  private waiting: ((line: string) => void)[] = [];
  private stderr = '';

  constructor(endpoint: string) {
    this.proc = spawn(venvPython, [path.join(here, 'boto_client.py'), endpoint], { stdio: 'pipe' });
    this.proc.stderr.on('data', (d) => (this.stderr += d.toString()));
    createInterface({ input: this.proc.stdout }).on('line', (line) => this.waiting.shift()?.(line));
    this.proc.on('exit', (code) => {
      const err = JSON.stringify({ error: { Code: 'ClientExited', Message: `python exited ${code}: ${this.stderr}` } });
      for (const w of this.waiting.splice(0)) w(err);
    });
  }

  /** One call; resolves to {ok} or {error} (never throws for a service error). */
  call(op: string, params: Record<string, unknown> = {}): Promise<BotoResult> {
    return new Promise((resolve) => {
      this.waiting.push((line) => resolve(JSON.parse(line) as BotoResult));
      this.proc.stdin.write(JSON.stringify({ op, params }) + '\n');
    });
  }

  /** One call that must succeed; its response without ResponseMetadata. */
  async ok(op: string, params: Record<string, unknown> = {}): Promise<Record<string, any>> {
    const r = await this.call(op, params);
    if (r.error) throw new Error(`${op} failed: ${r.error.Code}: ${r.error.Message}`);
    return r.ok;
  }

  /** One call that must fail; its error. */
  async err(op: string, params: Record<string, unknown> = {}): Promise<BotoError> {
    const r = await this.call(op, params);
    if (!r.error) throw new Error(`${op} succeeded but should have failed: ${JSON.stringify(r.ok)}`);
    return r.error;
  }

  /** The form body of the last request sent. */
  async wire(): Promise<string> {
    return (await this.ok('__wire__')).body as string;
  }

  async close(): Promise<void> {
    this.proc.stdin.end();
    await new Promise((r) => (this.proc.exitCode !== null ? r(null) : this.proc.once('exit', r)));
  }
}

/** Bytes for a BinaryValue, in the runner's {"__bytes": base64} form. */
export const bytes = (b: Uint8Array | number[]) => ({ __bytes: Buffer.from(b as Uint8Array).toString('base64') });
