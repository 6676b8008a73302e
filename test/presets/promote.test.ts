// Promote: a preset built from one request must pass the policy loader and, once layered, allow exactly
// that host, port and binary (GET at least) and nothing wider than the operator chose.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decide } from '../../src/core/policy/decide.js';
import { composeLayers, presetLayer } from '../../src/core/policy/layers.js';
import { compilePolicy, type CompiledPolicy } from '../../src/core/policy/matcher.js';
import { loadPolicyFile, parsePolicyText } from '../../src/core/policy/source.js';
import type { DecisionRequest, PresetDocument } from '../../src/core/policy/types.js';
import { BUILTIN_PRESETS_DIR } from '../../src/core/presets/builtin-dir.js';
import { PresetError } from '../../src/core/presets/preset-error.js';
import { PresetStore } from '../../src/core/presets/preset-store.js';
import { presetFromRequest, presetYaml, type PromoteInput } from '../../src/core/presets/promote.js';

const REQUEST: PromoteInput = { host: 'api.weather.example.com', port: 443, binary: '/usr/bin/curl', method: 'GET', name: 'weather-api' };

function compiled(doc: PresetDocument): CompiledPolicy {
  return compilePolicy(composeLayers({ version: 1, network_policies: {} }, [presetLayer(doc)]).policy);
}

const ask = (policy: CompiledPolicy, overrides: Partial<DecisionRequest> = {}) =>
  decide(policy, { host: REQUEST.host, port: REQUEST.port, binary: REQUEST.binary, method: 'GET', path: '/v1/forecast', ...overrides });

describe('presetFromRequest', () => {
  it('scopes a preset to exactly the host, port and binary, read-only for a GET', () => {
    const doc = presetFromRequest(REQUEST);
    expect(doc).toEqual({
      preset: { name: 'weather-api', description: 'read-only access to api.weather.example.com:443 for /usr/bin/curl' },
      network_policies: {
        weather_api: {
          name: 'weather_api',
          endpoints: [{ host: 'api.weather.example.com', port: 443, protocol: 'rest', enforcement: 'enforce', access: 'read-only' }],
          binaries: [{ path: '/usr/bin/curl' }],
        },
      },
    });
  });

  it('produces YAML the policy loader accepts without warnings, in NemoClaw layout', () => {
    const yaml = presetYaml(presetFromRequest({ ...REQUEST, description: 'Forecasts: "today" & more' }));
    const loaded = parsePolicyText(yaml, 'weather-api.yaml', 'preset');
    expect(loaded.errors).toEqual([]);
    expect(loaded.warnings).toEqual([]);
    expect(loaded.document?.kind === 'preset' && loaded.document.preset.preset.description).toBe('Forecasts: "today" & more');
    expect(yaml).toMatch(/^preset:\n {2}name: weather-api\n/);
    expect(yaml).toContain('\n\nnetwork_policies:\n  weather_api:\n');
    expect(yaml).toContain('      - { path: /usr/bin/curl }\n');
  });

  it('through decide(): allows that host/port/binary with GET, denies other binaries, ports and hosts', () => {
    const policy = compiled(presetFromRequest(REQUEST));
    expect(ask(policy)).toMatchObject({ outcome: 'allow', policy: 'weather_api', stage: 'l7' });
    expect(ask(policy, { method: 'HEAD' }).outcome).toBe('allow');
    expect(ask(policy, { binary: '/usr/bin/wget' })).toMatchObject({ outcome: 'deny', stage: 'no_match' });
    expect(ask(policy, { binary: 'unknown' }).outcome).toBe('deny');
    expect(ask(policy, { port: 8443 }).outcome).toBe('deny');
    expect(ask(policy, { host: 'other.weather.example.com' }).outcome).toBe('deny');
    // Read-only and enforced: a write is refused, not audited through.
    expect(ask(policy, { method: 'POST' })).toMatchObject({ outcome: 'deny', stage: 'l7', audit: false });
  });

  it('defaults to read-only for reads and unknown methods, read-write otherwise; an explicit access wins', () => {
    const access = (input: Partial<PromoteInput>) =>
      Object.values(presetFromRequest({ ...REQUEST, ...input }).network_policies)[0].endpoints[0].access;
    expect(access({ method: undefined })).toBe('read-only');
    expect(access({ method: 'head' })).toBe('read-only');
    expect(access({ method: 'OPTIONS' })).toBe('read-only');
    expect(access({ method: 'POST' })).toBe('read-write');
    expect(access({ method: 'PATCH' })).toBe('read-write');
    expect(access({ method: 'POST', access: 'full' })).toBe('full');
    expect(access({ method: 'GET', access: 'read-write' })).toBe('read-write');

    const posted = compiled(presetFromRequest({ ...REQUEST, method: 'POST' }));
    expect(ask(posted, { method: 'POST' }).outcome).toBe('allow');
    expect(ask(posted, { method: 'DELETE' }).outcome).toBe('deny');
  });

  it('allows any real executable with anyBinary, but never an unidentified one', () => {
    const doc = presetFromRequest({ ...REQUEST, binary: 'unknown', anyBinary: true });
    expect(doc.network_policies.weather_api.binaries).toEqual([{ path: '/**' }]);
    expect(doc.preset.description).toMatch(/for any binary$/);
    const policy = compiled(doc);
    expect(ask(policy, { binary: '/usr/bin/wget' }).outcome).toBe('allow');
    expect(ask(policy, { binary: '/opt/agent/bin/agent' }).outcome).toBe('allow');
    expect(ask(policy, { binary: 'unknown' }).outcome).toBe('deny');
  });

  it('normalises the host, and refuses what cannot be scoped to one destination', () => {
    expect(presetFromRequest({ ...REQUEST, host: ' API.Weather.Example.COM ' }).network_policies.weather_api.endpoints[0].host).toBe(
      'api.weather.example.com',
    );
    const bad: Partial<PromoteInput>[] = [
      { name: 'Weather_API' },
      { name: '-weather' },
      { name: '_provider_x' },
      { host: '*.weather.example.com' },
      { host: '' },
      { host: 'bad host' },
      { port: 0 },
      { port: 65536 },
      { port: 44.5 },
      { binary: 'unknown' },
      { binary: '' },
    ];
    for (const input of bad) expect(() => presetFromRequest({ ...REQUEST, ...input }), JSON.stringify(input)).toThrow(PresetError);
  });
});

describe('presetYaml', () => {
  it('round-trips every built-in and fixture preset through the loader unchanged', async () => {
    const dirs = [BUILTIN_PRESETS_DIR, fileURLToPath(new URL('../../fixtures/presets/', import.meta.url))];
    for (const dir of dirs) {
      for (const name of await readdir(dir)) {
        const original = await loadPolicyFile(join(dir, name), 'preset');
        if (original.document?.kind !== 'preset') throw new Error(`${name} did not load`);
        const again = parsePolicyText(presetYaml(original.document.preset), name, 'preset');
        expect(again.errors, name).toEqual([]);
        expect(again.document, name).toEqual(original.document);
      }
    }
  });
});

describe('promote into the store', () => {
  let stateDir: string;
  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'promote-'));
  });
  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('saves the promoted preset as a custom preset that applies and decides like the document', async () => {
    const store = await PresetStore.open(stateDir);
    const doc = presetFromRequest(REQUEST);
    const saved = await store.saveCustom(doc);
    expect(saved.yaml).toBe(presetYaml(doc));
    await store.add('weather-api');
    const policy = compilePolicy(composeLayers({ version: 1, network_policies: {} }, store.layers()).policy);
    expect(ask(policy).outcome).toBe('allow');
    expect(ask(policy, { binary: '/usr/bin/wget' }).outcome).toBe('deny');
    expect(store.get('weather-api')).toEqual(doc);
  });

  it('refuses to promote under a built-in name', async () => {
    const store = await PresetStore.open(stateDir);
    await expect(store.saveCustom(presetFromRequest({ ...REQUEST, name: 'pypi' }))).rejects.toMatchObject({ code: 'conflict' });
  });
});
