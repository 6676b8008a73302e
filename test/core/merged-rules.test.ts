// The merged layer: what UpdateConfig merge operations change, persisted in the state dir above the presets.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { MERGED_LAYER_NAME, MERGED_RULES_FILE, MergedRules } from '../../src/core/merges/merged-rules.js';
import { composeLayers, presetLayer, type PolicyLayer } from '../../src/core/policy/layers.js';
import { MergeError, type MergeOperation } from '../../src/core/policy/merge-operations.js';
import type { NetworkPolicyRule, PresetDocument, SandboxPolicy } from '../../src/core/policy/types.js';

const CURL = '/usr/bin/curl';
const GH = '/usr/bin/gh';

const baseline: SandboxPolicy = {
  version: 1,
  network_policies: {
    pypi: { name: 'pypi', endpoints: [{ host: 'pypi.org', port: 443 }], binaries: [{ path: CURL }] },
  },
};
const preset: PresetDocument = {
  preset: { name: 'github', description: 'GitHub API' },
  network_policies: {
    github: {
      name: 'github',
      endpoints: [{ host: 'api.github.com', port: 443, protocol: 'rest', access: 'read-only' }],
      binaries: [{ path: GH }],
    },
    github_web: { name: 'github_web', endpoints: [{ host: 'github.com', port: 443 }], binaries: [{ path: GH }] },
  },
};
const docsRule: NetworkPolicyRule = { name: 'docs', endpoints: [{ host: 'docs.test', port: 443 }], binaries: [{ path: CURL }] };

let stateDir: string;
const file = () => join(stateDir, MERGED_RULES_FILE);
const effective = (merged: MergedRules, extra: PolicyLayer[] = []) =>
  composeLayers(baseline, [presetLayer(preset), merged.layer(), ...extra]);
const onDisk = async () =>
  parse(await readFile(file(), 'utf8')) as { version: number; network_policies: Record<string, NetworkPolicyRule> };

/** Awaits apply() expecting a MergeError; returns its message. */
async function refused(merged: MergedRules, ops: MergeOperation[], extra: PolicyLayer[] = []): Promise<string> {
  const error = await merged.apply(ops, effective(merged, extra)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MergeError);
  return (error as Error).message;
}

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'ost-merged-'));
});
afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

describe('MergedRules', () => {
  it('starts empty when the state dir has no merged-rules.yaml', async () => {
    const merged = await MergedRules.open(stateDir);
    expect(merged.layer()).toEqual({ kind: 'merge', name: MERGED_LAYER_NAME, network_policies: {} });
    expect(existsSync(file())).toBe(false);
  });

  it('apply() persists to merged-rules.yaml (mode 0600), and reopening loads the same layer', async () => {
    const merged = await MergedRules.open(stateDir);
    const changed = await merged.apply([{ add_rule: { rule_name: 'docs', rule: docsRule } }], effective(merged));
    expect(changed).toEqual(['docs']);
    expect((await stat(file())).mode & 0o777).toBe(0o600);
    expect(await onDisk()).toEqual({ version: 1, network_policies: { docs: docsRule } });
    expect(merged.layer().network_policies).toEqual({ docs: docsRule });
    const reopened = await MergedRules.open(stateDir);
    expect(reopened.layer()).toEqual(merged.layer());
    // The reopened layer composes into the effective policy above the presets.
    const composed = effective(reopened);
    expect(composed.policy.network_policies.docs).toEqual(docsRule);
    expect(composed.origin.get('docs')?.kind).toBe('merge');
  });

  it('keeps only entries that differ from the lower layers: an edited preset rule is shadowed, the rest are not copied', async () => {
    const merged = await MergedRules.open(stateDir);
    const changed = await merged.apply(
      [{ add_allow_rules: { host: 'api.github.com', port: 443, rules: [{ allow: { method: 'POST', path: '/repos/*/issues' } }] } }],
      effective(merged),
    );
    expect(changed).toEqual(['github']);
    const layer = (await onDisk()).network_policies;
    expect(Object.keys(layer)).toEqual(['github']);
    expect(layer.github.endpoints[0].rules).toContainEqual({ allow: { method: 'POST', path: '/repos/*/issues' } });
    // The preset itself is untouched: the edit lives in the merged layer, which wins in the composition.
    expect(preset.network_policies.github.endpoints[0]).toEqual({
      host: 'api.github.com',
      port: 443,
      protocol: 'rest',
      access: 'read-only',
    });
    const composed = effective(merged);
    expect(composed.origin.get('github')?.kind).toBe('merge');
    expect(composed.origin.get('github_web')?.kind).toBe('preset');
    expect(composed.origin.get('pypi')?.kind).toBe('baseline');
  });

  it('operations that change nothing persist nothing and report no change', async () => {
    const merged = await MergedRules.open(stateDir);
    const changed = await merged.apply(
      [
        { add_rule: { rule_name: 'github', rule: structuredClone(preset.network_policies.github) } },
        { remove_rule: { rule_name: 'absent' } },
      ],
      effective(merged),
    );
    expect(changed).toEqual([]);
    expect((await onDisk()).network_policies).toEqual({});
  });

  it("keeps this layer's earlier entries when a later apply changes something else", async () => {
    const merged = await MergedRules.open(stateDir);
    await merged.apply([{ add_rule: { rule_name: 'docs', rule: docsRule } }], effective(merged));
    const changed = await merged.apply(
      [
        { remove_binary: { rule_name: 'pypi', binary_path: '/nope' } },
        { add_rule: { rule_name: 'more', rule: { ...docsRule, name: 'more', endpoints: [{ host: 'more.test', port: 443 }] } } },
      ],
      effective(merged),
    );
    expect(changed).toEqual(['more']);
    expect(Object.keys((await onDisk()).network_policies).sort()).toEqual(['docs', 'more']);
  });

  it('removes an entry of its own', async () => {
    const merged = await MergedRules.open(stateDir);
    await merged.apply([{ add_rule: { rule_name: 'docs', rule: docsRule } }], effective(merged));
    expect(await merged.apply([{ remove_rule: { rule_name: 'docs' } }], effective(merged))).toEqual(['docs']);
    expect((await onDisk()).network_policies).toEqual({});
    expect((await MergedRules.open(stateDir)).layer().network_policies).toEqual({});
  });

  it('refuses to remove a key that comes from a preset or the baseline, naming where it comes from, and writes nothing', async () => {
    const merged = await MergedRules.open(stateDir);
    expect(await refused(merged, [{ remove_rule: { rule_name: 'github_web' } }])).toBe(
      "'github_web' comes from preset 'github'; remove it there",
    );
    expect(await refused(merged, [{ remove_rule: { rule_name: 'pypi' } }])).toBe("'pypi' comes from the baseline; remove it there");
    // A remove_endpoint or remove_binary that empties a lower layer's rule is the same removal.
    expect(await refused(merged, [{ remove_endpoint: { host: 'pypi.org', port: 443 } }])).toMatch(/^'pypi' comes from the baseline/);
    expect(await refused(merged, [{ remove_binary: { rule_name: 'github_web', binary_path: GH } }])).toMatch(
      /^'github_web' comes from preset 'github'/,
    );
    const approval: PolicyLayer = { kind: 'approval', name: 'r1', network_policies: { approval_r1: docsRule } };
    expect(await refused(merged, [{ remove_rule: { rule_name: 'approval_r1' } }], [approval])).toMatch(
      /^'approval_r1' comes from a session approval/,
    );
    expect(existsSync(file())).toBe(false);
    expect(merged.layer().network_policies).toEqual({});
  });

  it('a refused or failing batch leaves the file and the layer as they were', async () => {
    const merged = await MergedRules.open(stateDir);
    await merged.apply([{ add_rule: { rule_name: 'docs', rule: docsRule } }], effective(merged));
    const before = await readFile(file(), 'utf8');
    await refused(merged, [
      { add_rule: { rule_name: 'more', rule: { ...docsRule, endpoints: [{ host: 'more.test', port: 443 }] } } },
      { remove_rule: { rule_name: 'pypi' } },
    ]);
    await refused(merged, [{ remove_rule: { rule_name: 'docs' } }, { add_allow_rules: { host: 'missing.test', port: 443, rules: [] } }]);
    expect(await readFile(file(), 'utf8')).toBe(before);
    expect(merged.layer().network_policies).toEqual({ docs: docsRule });
  });

  it('a multi-port remove_endpoint is persisted in a form that loads again', async () => {
    const merged = await MergedRules.open(stateDir);
    const multi: NetworkPolicyRule = {
      name: 'multi',
      endpoints: [{ host: 'api.test', ports: [80, 443, 8443] }],
      binaries: [{ path: CURL }],
    };
    await merged.apply([{ add_rule: { rule_name: 'multi', rule: multi } }], effective(merged));
    await merged.apply([{ remove_endpoint: { host: 'api.test', port: 443 } }], effective(merged));
    expect((await MergedRules.open(stateDir)).layer().network_policies.multi.endpoints).toEqual([{ host: 'api.test', ports: [80, 8443] }]);
    await merged.apply([{ remove_endpoint: { host: 'api.test', port: 8443 } }], effective(merged));
    expect((await MergedRules.open(stateDir)).layer().network_policies.multi.endpoints).toEqual([{ host: 'api.test', port: 80 }]);
  });

  it('refuses a result that would not load again (here a reserved _provider_ key) instead of persisting it', async () => {
    const merged = await MergedRules.open(stateDir);
    const message = await refused(merged, [{ add_rule: { rule_name: '_provider_x', rule: docsRule } }]);
    expect(message).toContain("reserved '_provider_' prefix");
    expect(existsSync(file())).toBe(false);
    expect(merged.layer().network_policies).toEqual({});
  });

  it('a corrupt merged-rules.yaml is an error naming file:line:col', async () => {
    await writeFile(file(), 'version: 1\nnetwork_policies:\n  docs: {name: docs, endpoints: [\n', { mode: 0o600 });
    await expect(MergedRules.open(stateDir)).rejects.toThrow(
      new RegExp(`^${file().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: invalid YAML`),
    );
  });

  it('a merged-rules.yaml that parses but is not a valid policy is an error naming file:line:col of the fault', async () => {
    await writeFile(
      file(),
      [
        'version: 1',
        'network_policies:',
        '  docs:',
        '    endpoints:',
        '      - host: docs.test',
        '        port: 99999',
        '    binaries: [{path: /usr/bin/curl}]',
        '',
      ].join('\n'),
    );
    await expect(MergedRules.open(stateDir)).rejects.toThrow(`${file()}:6:`);
  });

  it('a preset file in its place is refused', async () => {
    await writeFile(
      file(),
      'preset: {name: x, description: y}\nnetwork_policies:\n  docs: {endpoints: [{host: docs.test, port: 443}], binaries: [{path: /usr/bin/curl}]}\n',
    );
    await expect(MergedRules.open(stateDir)).rejects.toThrow(/merged-rules\.yaml:1:1: this is a preset file/);
  });
});
