// The built-in presets shipped in presets/: every file loads through the project's policy loader, and the
// tiers name only presets that exist and describe them truthfully (a 'read' preset admits no writes).
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/core/policy/decide.js';
import { compilePolicy, endpointPorts } from '../../src/core/policy/matcher.js';
import { loadPolicyFile } from '../../src/core/policy/source.js';
import type { PresetDocument } from '../../src/core/policy/types.js';
import { BUILTIN_PRESETS_DIR } from '../../src/core/presets/builtin-dir.js';
import { PresetError } from '../../src/core/presets/preset-error.js';
import { presetsForTier, TIERS } from '../../src/core/presets/tiers.js';

/** Paths that some built-in's rules admit, so each endpoint is probed where it is open. */
const PATHS = [
  '/',
  '/simple/requests/',
  '/res/v1/web/search',
  '/models/gpt2',
  '/o/r.git/git-upload-pack',
  '/repos/o/r/pulls',
  '/api/v10/channels/1/messages',
  '/bot1:x/sendMessage',
  '/v1/chat/completions',
];

const EXPECTED = [
  'brave',
  'brew',
  'discord',
  'docker',
  'github',
  'huggingface',
  'jira',
  'local-inference',
  'npm',
  'outlook',
  'pypi',
  'slack',
  'telegram',
];

async function builtins(): Promise<Map<string, PresetDocument>> {
  const docs = new Map<string, PresetDocument>();
  for (const name of (await readdir(BUILTIN_PRESETS_DIR)).sort()) {
    const loaded = await loadPolicyFile(join(BUILTIN_PRESETS_DIR, name), 'preset');
    expect(loaded.errors, name).toEqual([]);
    if (loaded.document?.kind === 'preset') docs.set(loaded.document.preset.preset.name, loaded.document.preset);
  }
  return docs;
}

describe('built-in presets', () => {
  it('are exactly the expected set, each valid, named after its file', async () => {
    const files = (await readdir(BUILTIN_PRESETS_DIR)).sort();
    expect(files).toEqual(EXPECTED.map((n) => `${n}.yaml`));
    const docs = await builtins();
    expect([...docs.keys()].sort()).toEqual(EXPECTED);
    for (const [name, doc] of docs) {
      expect(doc.preset.description, name).toBeTruthy();
      for (const [key, rule] of Object.entries(doc.network_policies)) {
        expect(rule.binaries.length, `${name}.${key}`).toBeGreaterThan(0);
        expect(rule.endpoints.length, `${name}.${key}`).toBeGreaterThan(0);
      }
    }
  });

  it('warn only about local-inference pinning the RFC 1918 ranges to the host bridge', async () => {
    for (const name of EXPECTED) {
      const loaded = await loadPolicyFile(join(BUILTIN_PRESETS_DIR, `${name}.yaml`), 'preset');
      for (const warning of loaded.warnings) {
        expect(name).toBe('local-inference');
        expect(warning.message).toMatch(/very broad CIDR/);
      }
    }
  });

  it('use allowed_ips only for host.openshell.internal, and no two own the same network_policies key', async () => {
    const owners = new Map<string, string>();
    for (const [name, doc] of await builtins()) {
      for (const [key, rule] of Object.entries(doc.network_policies)) {
        expect(owners.get(key), `key ${key}`).toBeUndefined();
        owners.set(key, name);
        for (const ep of rule.endpoints) if (ep.allowed_ips) expect(ep.host).toBe('host.openshell.internal');
      }
    }
  });
});

describe('tiers', () => {
  it('resolve: restricted is empty, open contains balanced, every name is a built-in', async () => {
    const docs = await builtins();
    expect(presetsForTier('restricted')).toEqual([]);
    expect(presetsForTier('balanced')).toEqual(['npm', 'pypi', 'huggingface', 'brew', 'brave']);
    const open = presetsForTier('open');
    expect(open.slice(0, 5)).toEqual(presetsForTier('balanced'));
    expect([...open].sort()).toEqual([
      'brave',
      'brew',
      'discord',
      'docker',
      'github',
      'huggingface',
      'jira',
      'npm',
      'outlook',
      'pypi',
      'slack',
      'telegram',
    ]);
    for (const tier of TIERS) for (const p of tier.presets) expect(docs.has(p.name), `${tier.name}: ${p.name}`).toBe(true);
  });

  it('refuse an unknown tier with a hint', () => {
    expect(() => presetsForTier('balance')).toThrow(PresetError);
    expect(() => presetsForTier('balance')).toThrow(/did you mean 'balanced'/);
  });

  it("mark a preset 'read' only when it admits GET and refuses every write method", async () => {
    const docs = await builtins();
    for (const tier of TIERS) {
      for (const { name, access } of tier.presets) {
        const doc = docs.get(name)!;
        const compiled = compilePolicy({ version: 1, network_policies: doc.network_policies });
        let writable = false;
        for (const rule of Object.values(doc.network_policies)) {
          const binary = rule.binaries.find((b) => !b.path.includes('*'))!.path;
          for (const ep of rule.endpoints) {
            const host = ep.host!.replace('*', 'site');
            for (const port of endpointPorts(ep)) {
              const outcomes = (method: string) => PATHS.map((path) => decide(compiled, { host, port, binary, method, path }));
              if (access === 'read')
                expect(
                  outcomes('GET').some((d) => d.outcome === 'allow'),
                  `${name} ${host} GET`,
                ).toBe(true);
              for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
                for (const d of outcomes(method)) {
                  if (d.outcome === 'allow') writable = true;
                  // Enforced, never audit: a denied write is refused, not logged and let through.
                  expect(d.audit, `${name} ${host} ${method}`).toBe(false);
                }
              }
            }
          }
        }
        expect(writable, `${tier.name}: ${name} is marked ${access}`).toBe(access === 'read-write');
      }
    }
  });
});
