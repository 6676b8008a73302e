// PresetStore against real files in temporary directories: applying and removing presets, the custom-preset
// rules NemoClaw's --from-file and --from-dir enforce, dry runs, persistence across a reopen, and the policy
// layers the store hands to composeLayers().
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decide } from '../../src/core/policy/decide.js';
import { composeLayers } from '../../src/core/policy/layers.js';
import { compilePolicy } from '../../src/core/policy/matcher.js';
import { loadPolicyFile } from '../../src/core/policy/source.js';
import type { PresetDocument, SandboxPolicy } from '../../src/core/policy/types.js';
import { PresetError } from '../../src/core/presets/preset-error.js';
import { MAX_PRESET_FILE_BYTES } from '../../src/core/presets/preset-file.js';
import { PresetStore } from '../../src/core/presets/preset-store.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let work: string;
let stateDir: string;
let inbox: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'preset-store-'));
  stateDir = join(work, 'state');
  inbox = join(work, 'inbox');
  await mkdir(inbox);
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A valid custom preset; `key` defaults to the name with underscores. */
function presetText(name: string, host = `${name}.example.com`, key = name.replace(/-/g, '_')): string {
  return [
    '# a custom preset',
    'preset:',
    `  name: ${name}`,
    `  description: "Custom ${name}"`,
    '',
    'network_policies:',
    `  ${key}:`,
    `    name: ${key}`,
    '    endpoints:',
    `      - host: ${host}`,
    '        port: 443',
    '        protocol: rest',
    '        enforcement: enforce',
    '        access: read-only',
    '    binaries:',
    '      - { path: /usr/bin/curl }',
    '',
  ].join('\n');
}

async function writePreset(name: string, text = presetText(name), dir = inbox, file = `${name}.yaml`): Promise<string> {
  const path = join(dir, file);
  await writeFile(path, text);
  return path;
}

function customDoc(name: string): PresetDocument {
  const key = name.replace(/-/g, '_');
  return {
    preset: { name, description: `Custom ${name}` },
    network_policies: {
      [key]: { name: key, endpoints: [{ host: `${name}.example.com`, port: 443 }], binaries: [{ path: '/usr/bin/curl' }] },
    },
  };
}

async function baseline(): Promise<SandboxPolicy> {
  const loaded = await loadPolicyFile(join(ROOT, 'fixtures/policies/baseline.yaml'), 'policy');
  if (loaded.document?.kind !== 'policy') throw new Error('baseline fixture did not load');
  return loaded.document.policy;
}

async function rejection(promise: Promise<unknown>): Promise<PresetError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PresetError);
  return error as PresetError;
}

/** Everything under the state directory, for "nothing was written" checks. */
async function stateListing(): Promise<string[]> {
  try {
    return (await readdir(stateDir, { recursive: true })).sort();
  } catch {
    return [];
  }
}

describe('PresetStore: built-ins and applied state', () => {
  it('lists the built-ins, none applied, on a fresh state directory (which it does not create)', async () => {
    const store = await PresetStore.open(stateDir);
    const list = store.list();
    expect(list.map((p) => p.name)).toContain('pypi');
    expect(list.every((p) => p.source === 'builtin' && !p.applied)).toBe(true);
    expect(store.applied()).toEqual([]);
    expect(store.problems()).toEqual([]);
    expect(store.get('github')?.network_policies.github).toBeDefined();
    expect(store.get('nope')).toBeUndefined();
    expect(await stateListing()).toEqual([]);
  });

  it('adds and removes built-ins, keeps the order, and persists it for a new store', async () => {
    const store = await PresetStore.open(stateDir);
    const result = await store.add('pypi');
    expect(result).toMatchObject({ name: 'pypi', applied: true, dryRun: false });
    expect(result.yaml).toContain('files.pythonhosted.org');
    await store.add('npm');
    await store.add('github');
    expect(store.applied()).toEqual(['pypi', 'npm', 'github']);
    expect(
      store
        .list()
        .filter((p) => p.applied)
        .map((p) => p.name)
        .sort(),
    ).toEqual(['github', 'npm', 'pypi']);

    const file = join(stateDir, 'applied-presets.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(stateDir)).mode & 0o777).toBe(0o700);

    await store.remove('npm');
    expect(store.applied()).toEqual(['pypi', 'github']);
    const reopened = await PresetStore.open(stateDir);
    expect(reopened.applied()).toEqual(['pypi', 'github']);
    expect(reopened.layers()).toEqual(store.layers());

    // Re-applying moves a preset last, so its entries win again over anything applied after it.
    await reopened.add('pypi');
    expect(reopened.applied()).toEqual(['github', 'pypi']);
    expect((await PresetStore.open(stateDir)).applied()).toEqual(['github', 'pypi']);
  });

  it('refuses unknown names with a hint, and removing what is not applied', async () => {
    const store = await PresetStore.open(stateDir);
    const unknown = await rejection(store.add('pypy'));
    expect(unknown.code).toBe('not-found');
    expect(unknown.message).toMatch(/did you mean 'pypi'/);
    expect((await rejection(store.add('../../etc/passwd'))).code).toBe('not-found');
    expect((await rejection(store.remove('pypi'))).code).toBe('not-applied');
    expect((await rejection(store.remove('pypi', { deleteFile: true }))).message).toMatch(/built-in/);
  });

  it('makes dry runs that write nothing', async () => {
    const store = await PresetStore.open(stateDir);
    const added = await store.add('pypi', { dryRun: true });
    expect(added).toMatchObject({ name: 'pypi', applied: false, dryRun: true });
    const fromFile = await store.addFromFile(await writePreset('team-api'), { dryRun: true });
    expect(fromFile).toMatchObject({ name: 'team-api', applied: false, dryRun: true, file: join(stateDir, 'presets', 'team-api.yaml') });
    expect(fromFile.yaml).toBe(presetText('team-api'));
    await writePreset('zeta');
    const fromDir = await store.addFromDir(inbox, { dryRun: true });
    expect(fromDir.map((r) => [r.name, r.applied])).toEqual([
      ['team-api', false],
      ['zeta', false],
    ]);
    const saved = await store.saveCustom(customDoc('zeta'), { dryRun: true });
    expect(saved.file).toBe(join(stateDir, 'presets', 'zeta.yaml'));
    expect(saved.yaml).toContain('zeta.example.com');
    expect(store.applied()).toEqual([]);
    expect(await stateListing()).toEqual([]);

    await store.add('pypi');
    await store.addFromFile(await writePreset('team-api'));
    const before = await readFile(join(stateDir, 'applied-presets.json'), 'utf8');
    await store.remove('pypi', { dryRun: true });
    await store.remove('team-api', { dryRun: true, deleteFile: true });
    expect(store.applied()).toEqual(['pypi', 'team-api']);
    expect(await readFile(join(stateDir, 'applied-presets.json'), 'utf8')).toBe(before);
    expect(await readdir(join(stateDir, 'presets'))).toEqual(['team-api.yaml']);
  });
});

describe('PresetStore.addFromFile', () => {
  it('copies the file verbatim into the state directory (0600), applies it, and keeps it across a reopen', async () => {
    const store = await PresetStore.open(stateDir);
    const source = await writePreset('team-api', presetText('team-api'), inbox, 'whatever-name.yml');
    const result = await store.addFromFile(source);
    const copy = join(stateDir, 'presets', 'team-api.yaml');
    expect(result).toMatchObject({ name: 'team-api', file: copy, applied: true });
    expect(await readFile(copy, 'utf8')).toBe(presetText('team-api'));
    expect((await stat(copy)).mode & 0o777).toBe(0o600);
    expect((await stat(join(stateDir, 'presets'))).mode & 0o777).toBe(0o700);
    expect(await readdir(join(stateDir, 'presets'))).toEqual(['team-api.yaml']);

    const reopened = await PresetStore.open(stateDir);
    expect(reopened.applied()).toEqual(['team-api']);
    expect(reopened.list().find((p) => p.name === 'team-api')).toEqual({
      name: 'team-api',
      description: 'Custom team-api',
      source: 'custom',
      file: copy,
      applied: true,
    });
  });

  it('refuses a symlink, even to a valid preset', async () => {
    const target = await writePreset('team-api');
    const link = join(inbox, 'link.yaml');
    await symlink(target, link);
    const store = await PresetStore.open(stateDir);
    const error = await rejection(store.addFromFile(link));
    expect(error.message).toMatch(/must not be a symbolic link/);
    expect(await stateListing()).toEqual([]);
  });

  it('refuses other extensions, missing files and directories', async () => {
    const store = await PresetStore.open(stateDir);
    const txt = await writePreset('team-api', presetText('team-api'), inbox, 'team-api.txt');
    expect((await rejection(store.addFromFile(txt))).message).toBe(`Preset file must be .yaml or .yml: ${txt}`);
    expect((await rejection(store.addFromFile(join(inbox, 'absent.yaml')))).code).toBe('not-found');
    await mkdir(join(inbox, 'dir.yaml'));
    expect((await rejection(store.addFromFile(join(inbox, 'dir.yaml')))).message).toMatch(/not a regular file/);
    expect(await stateListing()).toEqual([]);
  });

  it('refuses a file over 10,000,000 bytes without reading it', async () => {
    const file = join(inbox, 'big.yaml');
    await writeFile(file, presetText('big'));
    await truncate(file, MAX_PRESET_FILE_BYTES + 1);
    const store = await PresetStore.open(stateDir);
    const error = await rejection(store.addFromFile(file));
    expect(error.message).toBe(`Preset file too large: ${file} (${MAX_PRESET_FILE_BYTES + 1} bytes; max ${MAX_PRESET_FILE_BYTES} bytes).`);
  });

  it('refuses a name or a network_policies key that belongs to a built-in, pointing at the line', async () => {
    const store = await PresetStore.open(stateDir);
    const named = await writePreset('pypi', presetText('pypi', 'mirror.example.com', 'my_mirror'));
    const byName = await rejection(store.addFromFile(named));
    expect(byName.code).toBe('conflict');
    expect(byName.message).toBe(`${named}:3:9: Preset name 'pypi' collides with a built-in preset. Rename 'preset.name' in ${named}.`);

    const keyed = await writePreset('my-npm', presetText('my-npm', 'registry.example.com', 'npm_yarn'));
    const byKey = await rejection(store.addFromFile(keyed));
    expect(byKey.code).toBe('conflict');
    expect(byKey.message).toMatch(
      new RegExp(
        `^${keyed}:7:3: Custom presets cannot own reserved network policy key 'npm_yarn' \\(it belongs to built-in preset 'npm'\\)`,
      ),
    );
    const reserved = await writePreset('poi', presetText('poi', 'a.example.com', 'personal_open_internet'));
    expect((await rejection(store.addFromFile(reserved))).message).toMatch(/reserved network policy key 'personal_open_internet'/);
    expect(await stateListing()).toEqual([]);
  });

  it('refuses allowed_ips except on host.openshell.internal', async () => {
    const store = await PresetStore.open(stateDir);
    const pinned = presetText('pinned').replace(
      '        access: read-only\n',
      '        access: read-only\n        allowed_ips: [192.168.1.0/24]\n',
    );
    const error = await rejection(store.addFromFile(await writePreset('pinned', pinned)));
    expect(error.message).toMatch(/pinned\.yaml:15:9: .*contains 'allowed_ips', which is not permitted in user-supplied presets/);

    const bridge = pinned.replace('host: pinned.example.com', 'host: host.openshell.internal');
    const ok = await store.addFromFile(await writePreset('pinned', bridge));
    expect(ok.applied).toBe(true);
  });

  it('refuses catch-all hosts in any spelling', async () => {
    const store = await PresetStore.open(stateDir);
    for (const host of ['"*"', '0.0.0.0', '"::"', '"0.0.0.0:443"', '"[::]:443"', '0.0.0.0/0']) {
      const text = presetText('wide').replace('host: wide.example.com', `host: ${host}`);
      const error = await rejection(store.addFromFile(await writePreset('wide', text)));
      expect(error.message, host).toMatch(/wide\.yaml:10:\d+: /);
    }
    expect(store.applied()).toEqual([]);
  });

  it('reports bad YAML and schema errors with file:line:col', async () => {
    const store = await PresetStore.open(stateDir);
    const broken = await writePreset('broken', 'preset:\n  name: broken\nnetwork_policies:\n  x: [unclosed\n');
    const yamlError = await rejection(store.addFromFile(broken));
    expect(yamlError.code).toBe('invalid');
    expect(yamlError.message).toMatch(new RegExp(`^${broken}:\\d+:\\d+: invalid YAML`));
    expect(yamlError.problems.length).toBeGreaterThan(0);

    const typo = await writePreset('typo', presetText('typo').replace('        port: 443', '        prot: 443'));
    expect((await rejection(store.addFromFile(typo))).message).toMatch(new RegExp(`^${typo}:11:9: .*prot`, 'm'));
    const badName = await writePreset('bad', presetText('Bad_Name'));
    expect((await rejection(store.addFromFile(badName))).message).toMatch(/:3:9: .*RFC 1123/);
    expect(await stateListing()).toEqual([]);
  });
});

describe('PresetStore.addFromDir', () => {
  it('applies non-hidden .yaml/.yml regular files in byte order, skipping everything else', async () => {
    await writePreset('b-two', presetText('b-two'), inbox, 'B-two.yml');
    await writePreset('a-one');
    await writePreset('c-three');
    await writePreset('hidden', presetText('hidden'), inbox, '.hidden.yaml');
    await writePreset('notes', 'not a preset', inbox, 'notes.txt');
    await symlink(join(inbox, 'a-one.yaml'), join(inbox, 'z-link.yaml'));
    await mkdir(join(inbox, 'sub.yaml'));
    const store = await PresetStore.open(stateDir);
    const results = await store.addFromDir(inbox);
    // Upper case sorts before lower case in byte order.
    expect(results.map((r) => r.name)).toEqual(['b-two', 'a-one', 'c-three']);
    expect(store.applied()).toEqual(['b-two', 'a-one', 'c-three']);
  });

  it('stops at the first failure; presets before it stay applied, later ones are not touched', async () => {
    await writePreset('a-one');
    await writePreset('b-bad', presetText('b-bad').replace('port: 443', 'port: 70000'));
    await writePreset('c-three');
    const store = await PresetStore.open(stateDir);
    const error = await rejection(store.addFromDir(inbox));
    expect(error.message).toMatch(
      /^Aborting: .*b-bad\.yaml failed; not applied: c-three\.yaml; applied before it \(they stay applied\): a-one\./,
    );
    expect(error.message).toMatch(/b-bad\.yaml:11:15: /);
    expect(error.applied).toEqual(['a-one']);
    expect(store.applied()).toEqual(['a-one']);
    expect(await readdir(join(stateDir, 'presets'))).toEqual(['a-one.yaml']);
    expect((await PresetStore.open(stateDir)).applied()).toEqual(['a-one']);
  });

  it('refuses an empty or missing directory', async () => {
    const store = await PresetStore.open(stateDir);
    expect((await rejection(store.addFromDir(inbox))).message).toBe(`No .yaml/.yml preset files in ${inbox}`);
    expect((await rejection(store.addFromDir(join(work, 'absent')))).code).toBe('not-found');
  });
});

describe('PresetStore: custom presets on disk', () => {
  it('removes an applied custom preset after its file was deleted, and still lists it until then', async () => {
    const store = await PresetStore.open(stateDir);
    await store.addFromFile(await writePreset('team-api'));
    const copy = join(stateDir, 'presets', 'team-api.yaml');
    await rm(copy);
    const reopened = await PresetStore.open(stateDir);
    expect(reopened.applied()).toEqual(['team-api']);
    expect(reopened.layers().map((l) => l.name)).toEqual(['team-api']);
    expect(reopened.list().find((p) => p.name === 'team-api')).toMatchObject({ source: 'custom', applied: true, file: copy });
    expect(reopened.get('team-api')?.preset.name).toBe('team-api');
    await reopened.remove('team-api');
    expect(reopened.applied()).toEqual([]);
    expect(reopened.list().some((p) => p.name === 'team-api')).toBe(false);
  });

  it('deletes the file with deleteFile, applied or not', async () => {
    const store = await PresetStore.open(stateDir);
    await store.addFromFile(await writePreset('team-api'));
    await store.remove('team-api', { deleteFile: true });
    expect(store.applied()).toEqual([]);
    expect(await readdir(join(stateDir, 'presets'))).toEqual([]);

    await store.saveCustom(customDoc('saved-only'));
    expect((await rejection(store.remove('saved-only'))).code).toBe('not-applied');
    await store.remove('saved-only', { deleteFile: true });
    expect(await readdir(join(stateDir, 'presets'))).toEqual([]);
    expect(store.list().some((p) => p.name === 'saved-only')).toBe(false);
  });

  it('reports bad files in the presets directory at open without failing, and skips them', async () => {
    const dir = join(stateDir, 'presets');
    await mkdir(dir, { recursive: true });
    await writePreset('good', presetText('good'), dir);
    await writePreset('broken', 'preset: [\n', dir);
    await writePreset('slack', presetText('slack', 'x.example.com', 'my_slack'), dir);
    await writePreset('mismatch', presetText('other-name'), dir);
    await symlink(join(dir, 'good.yaml'), join(dir, 'linked.yaml'));
    const store = await PresetStore.open(stateDir);
    const problems = store.problems().map((p) => `${p.file.slice(dir.length + 1)}: ${p.message}`);
    expect(problems).toHaveLength(4);
    expect(problems.find((p) => p.startsWith('broken.yaml'))).toMatch(/broken\.yaml:\d+:\d+: invalid YAML/);
    expect(problems.find((p) => p.startsWith('slack.yaml'))).toMatch(/collides with a built-in/);
    expect(problems.find((p) => p.startsWith('mismatch.yaml'))).toMatch(/rename the file to other-name\.yaml/);
    expect(problems.find((p) => p.startsWith('linked.yaml'))).toMatch(/symbolic link/);
    expect(
      store
        .list()
        .filter((p) => p.source === 'custom')
        .map((p) => p.name),
    ).toEqual(['good']);
    expect((await store.add('good')).file).toBe(join(dir, 'good.yaml'));
  });

  it('re-reads a saved custom preset when it is added by name', async () => {
    const store = await PresetStore.open(stateDir);
    await store.addFromFile(await writePreset('team-api'));
    const copy = join(stateDir, 'presets', 'team-api.yaml');
    await writeFile(copy, presetText('team-api', 'changed.example.com'));
    // Until it is re-applied, the applied copy stays in force.
    expect(JSON.stringify(store.layers())).toContain('team-api.example.com');
    await store.add('team-api');
    expect(JSON.stringify(store.layers())).toContain('changed.example.com');
    await writeFile(copy, 'preset: {name: team-api}\nnetwork_policies: {x: {endpoints: [{host: "*", port: 443}]}}\n');
    expect((await rejection(store.add('team-api'))).message).toMatch(/team-api\.yaml:\d+:\d+: /);
    expect(JSON.stringify(store.layers())).toContain('changed.example.com');
  });

  it('saves custom documents atomically (0600) and refuses built-in names and keys', async () => {
    const store = await PresetStore.open(stateDir);
    const doc = {
      preset: { name: 'promoted', description: 'from a request' },
      network_policies: {
        promoted: {
          name: 'promoted',
          endpoints: [{ host: 'api.example.com', port: 443, protocol: 'rest', access: 'read-only' }],
          binaries: [{ path: '/usr/bin/curl' }],
        },
      },
    };
    const saved = await store.saveCustom(doc);
    expect(saved.file).toBe(join(stateDir, 'presets', 'promoted.yaml'));
    expect(await readFile(saved.file, 'utf8')).toBe(saved.yaml);
    expect((await stat(saved.file)).mode & 0o777).toBe(0o600);
    expect(await readdir(join(stateDir, 'presets'))).toEqual(['promoted.yaml']);
    expect(store.applied()).toEqual([]);
    expect(store.list().find((p) => p.name === 'promoted')).toMatchObject({ source: 'custom', applied: false });
    await store.add('promoted');
    expect(store.applied()).toEqual(['promoted']);

    expect((await rejection(store.saveCustom({ ...doc, preset: { name: 'github' } }))).code).toBe('conflict');
    const github = { ...doc, network_policies: { github: doc.network_policies.promoted } };
    expect((await rejection(store.saveCustom(github, { onExisting: 'replace' }))).code).toBe('conflict');
    // A merge adds only what is not already there: the same grant under a built-in's key adds nothing.
    expect(await store.saveCustom(github)).toMatchObject({ change: 'unchanged', diff: '' });
    expect((await rejection(store.saveCustom({ ...doc, preset: { name: '../escape' } }))).code).toBe('invalid');
  });

  it('fails loudly on an applied-presets.json that is not its own, and drops entries that no longer validate', async () => {
    await mkdir(stateDir, { recursive: true });
    const file = join(stateDir, 'applied-presets.json');
    await writeFile(file, '{not json');
    expect((await rejection(PresetStore.open(stateDir))).message).toMatch(/applied-presets\.json: not valid JSON/);

    const evil = {
      preset: { name: 'evil' },
      network_policies: {
        evil: { endpoints: [{ host: 'x.example.com', port: 443, allowed_ips: ['8.8.8.8'] }], binaries: [{ path: '/bin/sh' }] },
      },
    };
    await writeFile(
      file,
      JSON.stringify({
        version: 1,
        applied: [
          { name: 'evil', source: 'custom', preset: evil },
          { name: 'pypi', source: 'builtin', preset: (await PresetStore.open(work)).get('pypi') },
        ],
      }),
    );
    const store = await PresetStore.open(stateDir);
    expect(store.applied()).toEqual(['pypi']);
    expect(store.problems()[0].message).toMatch(/'evil'.*allowed_ips.*dropped/);
  });

  it('serialises concurrent changes', async () => {
    const store = await PresetStore.open(stateDir);
    await Promise.all(['pypi', 'npm', 'brew', 'brave', 'huggingface'].map((name) => store.add(name)));
    expect(store.applied()).toEqual(['pypi', 'npm', 'brew', 'brave', 'huggingface']);
    expect((await PresetStore.open(stateDir)).applied()).toEqual(store.applied());
  });

  it('leaves the applied list untouched when the state cannot be written', async () => {
    const store = await PresetStore.open(stateDir);
    await store.add('pypi');
    // A directory where the state file goes: the final rename fails, even for root.
    const file = join(stateDir, 'applied-presets.json');
    await rm(file);
    await mkdir(file);
    const error = await rejection(store.add('npm'));
    expect(error.code).toBe('io');
    expect(error.message).toMatch(/^Cannot save the applied presets: /);
    expect(store.applied()).toEqual(['pypi']);
    expect((await readdir(stateDir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});

describe('PresetStore.layers', () => {
  it('compose with a baseline into the expected network_policies keys, each labelled by its layer', async () => {
    const store = await PresetStore.open(stateDir);
    await store.add('pypi');
    await store.add('github');
    await store.addFromFile(await writePreset('team-api'));
    const base = await baseline();
    const composed = composeLayers(base, store.layers());
    expect(Object.keys(composed.policy.network_policies).sort()).toEqual(
      [...Object.keys(base.network_policies), 'pypi', 'github', 'team_api'].sort(),
    );
    expect(composed.origin.get('github')).toMatchObject({ kind: 'preset', name: 'github' });
    expect(composed.origin.get('team_api')).toMatchObject({ kind: 'preset', name: 'team-api' });
    expect(composed.origin.get('docs_portal')?.kind).toBe('baseline');

    const compiled = compilePolicy(composed.policy);
    expect(
      decide(compiled, { host: 'pypi.org', port: 443, binary: '/usr/bin/python3.11', method: 'GET', path: '/simple/requests/' }).outcome,
    ).toBe('allow');
    expect(decide(compiled, { host: 'pypi.org', port: 443, binary: '/usr/bin/python3.11', method: 'POST', path: '/legacy/' }).outcome).toBe(
      'deny',
    );
  });

  it('removing a preset restores exactly the previous effective policy, even when it replaced a baseline entry', async () => {
    const base = await baseline();
    const store = await PresetStore.open(stateDir);
    await store.add('npm');
    const before = composeLayers(base, store.layers()).policy;

    // A custom preset may take over a baseline key (not a built-in's); later layers win.
    await store.addFromFile(await writePreset('docs-override', presetText('docs-override', 'docs.example.org', 'docs_portal')));
    await store.add('huggingface');
    const during = composeLayers(base, store.layers()).policy;
    expect(during.network_policies.docs_portal.binaries).toEqual([{ path: '/usr/bin/curl' }]);
    expect(during).not.toEqual(before);

    await store.remove('huggingface');
    await store.remove('docs-override');
    expect(composeLayers(base, store.layers()).policy).toEqual(before);
    expect(composeLayers(base, (await PresetStore.open(stateDir)).layers()).policy).toEqual(before);
  });

  it('hands out copies: changing a layer does not change the store', async () => {
    const store = await PresetStore.open(stateDir);
    await store.add('pypi');
    const layer = store.layers()[0];
    layer.network_policies.pypi.endpoints.length = 0;
    expect(store.layers()[0].network_policies.pypi.endpoints.length).toBe(2);
  });
});
