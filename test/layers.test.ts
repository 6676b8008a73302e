// Imports point one way: components ← hooks ← store ← gateway ← core, with the console shell and the CLI
// on top (TEAM.md). Biome forbids cycles; this forbids a lower layer reaching up, type-only imports included.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const LAYERS = [
  ['core', 'src/core/'],
  ['gateway', 'src/gateway/'],
  ['store', 'src/store/'],
  ['hooks', 'hooks/'],
  ['components', 'components/'],
  ['console', 'src/console/'],
  ['cli', 'src/cli'],
] as const;

const rank = (file: string) => LAYERS.findIndex(([, prefix]) => file.startsWith(prefix));

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

describe('import direction', () => {
  it('no module imports from a layer above its own', () => {
    const upward: string[] = [];
    for (const file of [...sources('src'), ...sources('hooks'), ...sources('components')]) {
      const from = rank(file);
      for (const m of readFileSync(join(ROOT, file), 'utf8').matchAll(/(?:from|import\()\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
        const target = normalize(join(dirname(file), m[1]));
        const to = rank(target);
        if (from >= 0 && to > from) upward.push(`${file} → ${target}`);
      }
    }
    expect(upward).toEqual([]);
  });
});
