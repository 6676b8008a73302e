// Compiles the TypeScript to dist/ (tsc -p tsconfig.build.json) and stamps it, so the launcher knows
// the build is at least as new as every source. Skips the work when dist/ is already fresh (a checkout's
// `npm install` and `npm pack` both ask); `--clean` empties dist/ first, so a package never carries
// the output of a source file that no longer exists.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { buildIsFresh, STAMP } from '../bin/build-state.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const clean = process.argv.includes('--clean');
if (!clean && buildIsFresh(root)) {
  console.log('dist/ is up to date');
  process.exit(0);
}
if (clean) rmSync(new URL('../dist/', import.meta.url), { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
mkdirSync(new URL('../dist/', import.meta.url), { recursive: true });
writeFileSync(new URL(`../${STAMP}`, import.meta.url), `${new Date().toISOString()}\n`);
