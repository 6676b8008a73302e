// canonicalPolicyYaml builds a revision's YAML from cached per-entry pieces; it must be canonicalYaml's output
// character for character (revision hashes and diffs depend on it), for every policy and preset we ship and
// for approvals of agent-chosen hosts and binaries with every awkward character.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { approvalLayer } from '../../src/core/approvals/session-approvals.js';
import { composeLayers, presetLayer } from '../../src/core/policy/layers.js';
import { parsePolicyText } from '../../src/core/policy/source.js';
import type { PresetDocument, SandboxPolicy } from '../../src/core/policy/types.js';
import { canonicalPolicyYaml } from '../../src/core/revisions/canonical-policy-yaml.js';
import { canonicalYaml } from '../../src/core/revisions/canonical-yaml.js';

const ROOT = join(import.meta.dirname, '..', '..');

function load(dir: string): Array<{ file: string; policy?: SandboxPolicy; preset?: PresetDocument }> {
  return readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => {
      const loaded = parsePolicyText(readFileSync(join(ROOT, dir, f), 'utf8'), f);
      const doc = loaded.document;
      return { file: f, policy: doc?.kind === 'policy' ? doc.policy : undefined, preset: doc?.kind === 'preset' ? doc.preset : undefined };
    });
}

const AWKWARD = [
  'pypi.org',
  '**.example.com',
  '*',
  'true',
  '443',
  '1e3',
  'null',
  'a: b',
  '#hash',
  "quote'single",
  'quote"double',
  'back\\slash',
  'ünïcödé.test',
  '- dash',
  '[brackets]',
  '{braces}',
  '&anchor',
  '!tag',
  '%percent',
  '@at',
  '`tick`',
  ' leading space',
  'trailing space ',
  'multi\nline',
  'tab\there',
  '',
  '/opt/agent/*',
  '/usr/bin/python3*',
  'unknown',
  '~',
  '? question',
  '|pipe',
  '>fold',
];

function approvals(count: number) {
  return Array.from({ length: count }, (_, i) =>
    approvalLayer({
      requestId: `r${i + 1}`,
      host: AWKWARD[i % AWKWARD.length],
      port: [80, 443, 8080, 65535][i % 4],
      binary: AWKWARD[(i * 7) % AWKWARD.length],
      approvedAt: 0,
      by: 'test',
    }),
  );
}

describe('canonicalPolicyYaml', () => {
  const policies = load('fixtures/policies');
  const presets = load('presets');
  const empty: SandboxPolicy = { version: 1, network_policies: {} };

  it.each(policies.map((p) => [p.file, p.policy!]))('equals canonicalYaml for %s, alone and with approvals', (_file, policy) => {
    expect(canonicalPolicyYaml(policy)).toBe(canonicalYaml(policy));
    const composed = composeLayers(policy, approvals(200)).policy;
    expect(canonicalPolicyYaml(composed)).toBe(canonicalYaml(composed));
    // Again, now from the cache.
    expect(canonicalPolicyYaml(composed)).toBe(canonicalYaml(composed));
  });

  it('equals canonicalYaml for every shipped preset layered over the baseline, with approvals of awkward strings', () => {
    const baseline = policies.find((p) => p.file === 'baseline.yaml')!.policy!;
    const composed = composeLayers(baseline, [...presets.map((p) => presetLayer(p.preset!)), ...approvals(AWKWARD.length * 3)]).policy;
    expect(canonicalPolicyYaml(composed)).toBe(canonicalYaml(composed));
  });

  it('equals canonicalYaml for an empty policy and for other values', () => {
    expect(canonicalPolicyYaml(empty)).toBe(canonicalYaml(empty));
    expect(canonicalPolicyYaml({ version: 1 })).toBe(canonicalYaml({ version: 1 }));
    expect(canonicalPolicyYaml([1, 2])).toBe(canonicalYaml([1, 2]));
  });
});
