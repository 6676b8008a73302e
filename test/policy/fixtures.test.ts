// Our fixtures are what the README and tests point people at: the valid ones load, each invalid one
// fails exactly where its "# expect: line L, col C: message" header says.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblem, loadPolicyFile } from '../../src/core/policy/source.js';

const root = join(import.meta.dirname, '..', '..', 'fixtures');
const yamlIn = (dir: string) =>
  readdirSync(join(root, dir))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(root, dir, f));

describe('valid fixtures', () => {
  for (const file of [...yamlIn('policies'), ...yamlIn('presets')]) {
    it(file.slice(root.length + 1), async () => {
      const result = await loadPolicyFile(file);
      expect(result.errors.map(formatProblem)).toEqual([]);
    });
  }
});

describe('invalid fixtures', () => {
  for (const file of yamlIn('invalid')) {
    it(file.slice(root.length + 1), async () => {
      const header = /# expect: line (\d+), col (\d+): (.*)/.exec(readFileSync(file, 'utf8'));
      expect(header, 'fixture has an # expect: header').not.toBeNull();
      const result = await loadPolicyFile(file);
      expect(result.errors.length).toBeGreaterThan(0);
      const [line, col] = [Number(header![1]), Number(header![2])];
      expect(result.errors.map((e) => `${e.line}:${e.col}`)).toContain(`${line}:${col}`);
    });
  }
});
