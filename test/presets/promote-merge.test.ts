// Merging a promoted grant into an existing preset: through decide(), everything allowed before is still
// allowed, the new (host, port, binary) is allowed, and no other binary gains any destination.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decide } from '../../src/core/policy/decide.js';
import { compilePolicy } from '../../src/core/policy/matcher.js';
import type { PresetDocument } from '../../src/core/policy/types.js';
import { PresetStore } from '../../src/core/presets/preset-store.js';
import { presetFromRequest, type PromoteInput } from '../../src/core/presets/promote.js';
import { mergePromoted } from '../../src/core/presets/promote-merge.js';

const PY = '/usr/bin/python3';
const CURL = '/usr/bin/curl';
const grant = (input: Partial<PromoteInput>) =>
  presetFromRequest({ host: 'api.example.com', port: 443, binary: PY, method: 'GET', name: 'team-api', ...input });

const allows = (doc: PresetDocument, host: string, binary: string, method = 'GET', port = 443) =>
  decide(compilePolicy({ version: 1, network_policies: doc.network_policies }), { host, port, binary, method, path: '/x' }).outcome ===
  'allow';

/** Every (host, binary, method) a document allows, over a small universe. */
function allowed(doc: PresetDocument): string[] {
  const out: string[] = [];
  for (const host of ['api.example.com', 'files.example.com', 'other.example.com'])
    for (const binary of [PY, CURL, '/usr/bin/wget'])
      for (const method of ['GET', 'POST', 'DELETE']) if (allows(doc, host, binary, method)) out.push(`${host} ${binary} ${method}`);
  return out;
}

describe('mergePromoted', () => {
  it('adds a second binary for the same endpoint to the same rule (python and curl both allowed)', () => {
    const merged = mergePromoted(grant({}), grant({ binary: CURL }));
    expect(merged.change).toBe('merged');
    expect(merged.summary).toBe(`rule 'team_api': added binary ${CURL}`);
    expect(allowed(merged.doc)).toEqual([`api.example.com ${PY} GET`, `api.example.com ${CURL} GET`]);
  });

  it('adds a new endpoint for the same binary to its rule', () => {
    const merged = mergePromoted(grant({}), grant({ host: 'files.example.com' }));
    expect(merged.summary).toBe(`rule 'team_api': added endpoint files.example.com:443 for ${PY}`);
    expect(Object.keys(merged.doc.network_policies)).toEqual(['team_api']);
    expect(allowed(merged.doc)).toEqual([`api.example.com ${PY} GET`, `files.example.com ${PY} GET`]);
  });

  it('never lets one binary reach another binary’s destinations: a rule with two endpoints gets a sibling rule', () => {
    const two = mergePromoted(grant({}), grant({ host: 'files.example.com' })).doc;
    const merged = mergePromoted(two, grant({ binary: CURL }));
    expect(merged.summary).toBe(`new rule 'team_api_2': api.example.com:443 for ${CURL}`);
    expect(allowed(merged.doc)).toEqual([`api.example.com ${PY} GET`, `api.example.com ${CURL} GET`, `files.example.com ${PY} GET`]);
  });

  it('widens the access for that binary only, and keeps explicit rules while adding the methods', () => {
    const shared = mergePromoted(grant({}), grant({ binary: CURL })).doc;
    const widened = mergePromoted(shared, grant({ binary: CURL, method: 'POST' }));
    // curl shares its rule with python, so the write goes to a rule of its own: python stays read-only.
    expect(allows(widened.doc, 'api.example.com', CURL, 'POST')).toBe(true);
    expect(allows(widened.doc, 'api.example.com', PY, 'POST')).toBe(false);
    const alone = mergePromoted(grant({}), grant({ method: 'POST' }));
    expect(alone.summary).toBe(`rule 'team_api': api.example.com:443 for ${PY} widened to read-write access`);
    expect(alone.doc.network_policies.team_api.endpoints).toHaveLength(1);

    const explicit = grant({});
    explicit.network_policies.team_api.endpoints[0] = {
      host: 'api.example.com',
      port: 443,
      protocol: 'rest',
      enforcement: 'enforce',
      rules: [{ allow: { method: 'GET', path: '/v1/**' } }],
    };
    const added = mergePromoted(explicit, grant({ method: 'POST' })).doc.network_policies.team_api.endpoints[0];
    expect(added.rules?.[0]).toEqual({ allow: { method: 'GET', path: '/v1/**' } });
    expect(added.rules?.map((r) => r.allow.method)).toEqual(['GET', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH']);
  });

  it('reports a grant that is already there as unchanged', () => {
    const base = grant({ method: 'POST' });
    expect(mergePromoted(base, grant({}))).toMatchObject({ change: 'unchanged', doc: base });
  });

  it('keeps everything allowed before, whatever is merged in (every order of six grants)', () => {
    const grants = [
      grant({}),
      grant({ binary: CURL }),
      grant({ host: 'files.example.com' }),
      grant({ method: 'POST' }),
      grant({ binary: '/usr/bin/wget', host: 'other.example.com', method: 'DELETE', access: 'full' }),
      grant({ binary: CURL, host: 'files.example.com', method: 'POST' }),
    ];
    const wanted = (g: PresetDocument) => allowed(g);
    for (let rotation = 0; rotation < grants.length; rotation++) {
      const order = [...grants.slice(rotation), ...grants.slice(0, rotation)];
      let doc = order[0];
      const union = new Set(wanted(doc));
      for (const next of order.slice(1)) {
        const before = allowed(doc);
        doc = mergePromoted(doc, next).doc;
        for (const pair of before) expect(allowed(doc), `kept ${pair}`).toContain(pair);
        for (const pair of wanted(next)) union.add(pair);
      }
      // Exactly the union: nothing beyond what some grant asked for.
      expect(new Set(allowed(doc))).toEqual(union);
    }
  });
});

describe('PresetStore.saveCustom into an existing preset', () => {
  let stateDir: string;
  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'promote-merge-'));
  });
  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('merges by default with a diff, writes nothing on a dry run, and refuses unknown choices', async () => {
    const store = await PresetStore.open(stateDir);
    const first = await store.saveCustom(grant({}));
    expect(first).toMatchObject({ change: 'created' });
    expect(first.diff).toMatch(/^--- \/dev\/null\n\+\+\+ .*team-api\.yaml\n/);
    const file = join(stateDir, 'presets', 'team-api.yaml');
    const before = await readFile(file, 'utf8');
    const dry = await store.saveCustom(grant({ binary: CURL }), { dryRun: true });
    expect(dry).toMatchObject({ change: 'merged', before });
    expect(dry.diff).toContain(`+      - { path: ${CURL} }`);
    expect(await readFile(file, 'utf8')).toBe(before);
    expect(await readdir(join(stateDir, 'presets'))).toEqual(['team-api.yaml']);
    await expect(store.saveCustom(grant({ binary: CURL }), { onExisting: 'refuse' })).rejects.toMatchObject({ code: 'conflict' });
    await expect(store.saveCustom(grant({ binary: CURL }), { onExisting: 'clobber' as never })).rejects.toMatchObject({
      code: 'invalid',
    });
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  it('refuses to merge into a file that no longer loads (it would drop what the file held)', async () => {
    const store = await PresetStore.open(stateDir);
    await store.saveCustom(grant({}));
    const file = join(stateDir, 'presets', 'team-api.yaml');
    await writeFile(file, 'preset:\n  name: team-api\nnetwork_policies:\n  team_api: [broken\n');
    await expect(store.saveCustom(grant({ binary: CURL }))).rejects.toThrow(/exists but cannot be read, so nothing was merged/);
    expect(await readFile(file, 'utf8')).toContain('[broken');
    // The operator can still choose to replace it.
    expect(await store.saveCustom(grant({ binary: CURL }), { onExisting: 'replace' })).toMatchObject({ change: 'replaced' });
  });

  it('merges into the applied copy when the file was deleted', async () => {
    const store = await PresetStore.open(stateDir);
    await store.saveCustom(grant({}));
    await store.add('team-api');
    await rm(join(stateDir, 'presets', 'team-api.yaml'));
    const merged = await store.saveCustom(grant({ binary: CURL }));
    expect(merged.change).toBe('merged');
    expect(allowed(store.get('team-api')!)).toEqual([`api.example.com ${PY} GET`, `api.example.com ${CURL} GET`]);
  });
});
