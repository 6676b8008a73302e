// The checkout's root (where package.json, presets/ and proto/ live), found by walking up from this
// module: the same code runs from src/ (through tsx) and from the compiled dist/src/.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'openshell-term') return dir;
    if (dirname(dir) === dir) throw new Error(`openshell-term: cannot find its package.json above ${from}`);
  }
}

export const PROJECT_ROOT = findRoot(import.meta.dirname);
