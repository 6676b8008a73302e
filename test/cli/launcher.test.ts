// The launcher runs the compiled build only while it is at least as new as every source; otherwise the
// TypeScript through tsx. Both paths give the same program.
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript module of the launcher
import { buildIsFresh, STAMP } from '../../bin/build-state.js';
import { runCli } from '../helpers/cli.js';

function checkout(): string {
  const root = mkdtempSync(join(tmpdir(), 'ost-launcher-'));
  mkdirSync(join(root, 'src', 'core'), { recursive: true });
  mkdirSync(join(root, 'dist'));
  writeFileSync(join(root, 'src', 'core', 'a.ts'), 'export {}\n');
  writeFileSync(join(root, 'package.json'), '{}\n');
  return root;
}
const at = (path: string, seconds: number) => utimesSync(path, seconds, seconds);

describe('launcher', () => {
  it('no build: run from source', () => {
    expect(buildIsFresh(checkout())).toBe(false);
  });

  it('a build newer than every source is used; a source edited after it is not', () => {
    const root = checkout();
    for (const p of ['src/core/a.ts', 'src/core', 'src', 'package.json']) at(join(root, p), 1_000);
    writeFileSync(join(root, STAMP), 'built\n');
    at(join(root, STAMP), 2_000);
    expect(buildIsFresh(root)).toBe(true);
    at(join(root, 'src', 'core', 'a.ts'), 3_000);
    expect(buildIsFresh(root)).toBe(false);
  });

  it('a new file (its directory changes) makes the build stale too', () => {
    const root = checkout();
    for (const p of ['src/core/a.ts', 'src/core', 'src', 'package.json']) at(join(root, p), 1_000);
    writeFileSync(join(root, STAMP), 'built\n');
    at(join(root, STAMP), 2_000);
    writeFileSync(join(root, 'src', 'core', 'b.ts'), 'export {}\n');
    at(join(root, 'src', 'core', 'b.ts'), 1_000); // even with an old mtime of its own
    expect(buildIsFresh(root)).toBe(false);
  });

  it('from source and from the build, the same help', async () => {
    const [built, source] = await Promise.all([runCli(['--help']), runCli(['--help'], undefined, { OPENSHELL_TERM_FROM_SOURCE: '1' })]);
    expect(source.code).toBe(0);
    expect(source.stdout).toBe(built.stdout);
    expect(source.stdout).toContain('gateway');
  });
});
