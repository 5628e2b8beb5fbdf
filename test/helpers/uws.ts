// Whether the installed uWebSockets.js has a real binary for this Node line (checked apart
// from src/transport/uws.ts, so tests do not take the code under test's word for it).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const dir = path.dirname(createRequire(import.meta.url).resolve('uWebSockets.js/package.json'));

export const UWS_BINARY_HERE = existsSync(
  path.join(dir, 'binaries', `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`),
);
