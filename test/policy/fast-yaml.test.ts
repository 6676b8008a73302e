// The fast policy reader is only an accelerator: wherever it accepts a file, it must produce exactly the
// document the full YAML parser produces; everywhere else it must decline. Checked on every policy in the
// conformance corpus, the fixtures, the built-in presets' shapes re-serialised, and synthetic policies.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { readBlockYaml } from '../../src/core/policy/fast-yaml.js';
import { parsePolicyText } from '../../src/core/policy/source.js';
import { syntheticPolicy } from '../../bench/policy/generate.js';
import { loadDecisionSuites, loadValidationCases } from '../helpers/conformance.js';

const root = join(import.meta.dirname, '..', '..');
const texts: Array<[string, string]> = [];
for (const s of loadDecisionSuites()) texts.push([`${s.file}#${s.name}`, s.policy]);
for (const c of loadValidationCases()) texts.push([`${c.file}#${c.name}`, c.yaml]);
for (const dir of ['fixtures/policies', 'fixtures/invalid']) {
  for (const f of readdirSync(join(root, dir))) texts.push([`${dir}/${f}`, readFileSync(join(root, dir, f), 'utf8')]);
}
// Presets' network_policies wrapped as policies, written by the yaml library (block style).
for (const f of readdirSync(join(root, 'presets')).filter((f) => f.endsWith('.yaml'))) {
  const doc = parse(readFileSync(join(root, 'presets', f), 'utf8'));
  texts.push([`presets/${f} as a policy`, stringify({ version: 1, network_policies: doc.network_policies })]);
}
texts.push(['synthetic 500', stringify(syntheticPolicy(500))]);

describe('fast policy reader', () => {
  let accepted = 0;
  it.each(texts)('%s: same document as the full parser, or declined', (_name, text) => {
    const fast = parsePolicyText(text, 'f.yaml', 'any');
    const full = parsePolicyText(text, 'f.yaml', 'any', { fast: false });
    expect(fast.errors).toEqual(full.errors);
    expect(fast.warnings).toEqual(full.warnings);
    expect(fast.document).toEqual(full.document);
    if (fast.positions.size === 0 && fast.document) accepted++;
  });
  it('takes the fast path for a good share of clean policies', () => {
    expect(accepted).toBeGreaterThan(20);
  });
  it.each([
    ['an anchor', 'a: &x 1\nb: *x\n'],
    ['a block scalar', 'a: |\n  text\n'],
    ['a multi-line plain scalar', 'a: one\n  two\n'],
    ['a tag', 'a: !!str 1\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['a leading zero', 'a: 0443\n'],
    ['an unusual boolean', 'a: True\n'],
    ['a float', 'a: 1.5\n'],
    ['a tab', 'a:\n\t- 1\n'],
    ['a nested flow list', 'a: [[1]]\n'],
    ['a second document', 'a: 1\n---\nb: 2\n'],
    ['CRLF line ends', 'a: 1\r\n'],
  ])('declines %s', (_what, text) => {
    expect(readBlockYaml(text)).toBeUndefined();
  });
});
