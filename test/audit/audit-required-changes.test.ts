// Audit first, for every change that widens access: with auditRequired and a full filesystem (a tmpfs this
// test mounts), a merge, a preset, a tier and a promote are refused before anything is written; a preset
// removal (it narrows) goes ahead, loudly unrecorded. Once there is room, the same change is recorded and
// applied.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/core/audit/audit-log.js';
import { CoreError, EnforcementCore } from '../../src/core/engine/enforcement-core.js';
import { MergeManager } from '../../src/core/merges/merge-manager.js';
import { MERGED_RULES_FILE, MergedRules } from '../../src/core/merges/merged-rules.js';
import { PresetManager } from '../../src/core/presets/preset-manager.js';
import { PresetStore } from '../../src/core/presets/preset-store.js';

const exec = promisify(execFile);
const root = process.platform === 'linux' && process.getuid?.() === 0;
const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function fullCore() {
  const mount = mkdtempSync(join(tmpdir(), 'ost-required-'));
  await exec('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', mount]);
  cleanup.push(() => spawnSync('umount', ['-l', mount]));
  const dir = join(mount, 'state');
  mkdirSync(dir, { mode: 0o700 });
  const audit = await AuditLog.open(join(dir, 'audit.jsonl'));
  const store = await PresetStore.open(dir);
  const merged = await MergedRules.open(dir);
  const core = new EnforcementCore({
    baseline: { version: 1, network_policies: {} },
    audit,
    auditRequired: true,
    presetLayers: () => [...store.layers(), merged.layer()],
    holdTimeoutMs: 0,
  });
  cleanup.push(async () => {
    await core.shutdown();
    await audit.close();
  });
  const filler = join(mount, 'filler');
  spawnSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=4k'], { stdio: 'ignore' });
  return { dir, core, presets: new PresetManager(store, core), merges: new MergeManager(merged, core), free: () => rmSync(filler) };
}

const rule = { name: 'docs', endpoints: [{ host: 'docs.test', port: 443 }], binaries: [{ path: '/usr/bin/curl' }] };

describe.runIf(root)('--audit-required on a full disk', () => {
  it('refuses widening changes before writing anything; records and applies them once there is room', async () => {
    const { dir, core, presets, merges, free } = await fullCore();
    await core.evaluate({ host: 'promoted.test', port: 443, binary: '/usr/bin/curl' });
    const revision = core.revision.number;
    await expect(merges.apply([{ add_rule: { rule_name: 'docs', rule } }])).rejects.toThrow(CoreError);
    expect(existsSync(join(dir, MERGED_RULES_FILE))).toBe(false);
    await expect(presets.add({ name: 'pypi' })).rejects.toThrow(/--audit-required/);
    await expect(presets.applyTier('balanced')).rejects.toThrow(/--audit-required/);
    await expect(presets.promote('r1', { name: 'promoted' })).rejects.toThrow(/--audit-required/);
    expect(existsSync(join(dir, 'applied-presets.json'))).toBe(false);
    expect(existsSync(join(dir, 'presets', 'promoted.yaml'))).toBe(false);
    expect(() => core.approve('r1')).toThrow(/ENOSPC/);
    expect(core.revision.number).toBe(revision);
    expect(core.health().audit).toMatchObject({ writable: false, required: true });

    free();
    await merges.apply([{ add_rule: { rule_name: 'docs', rule } }]);
    await presets.add({ name: 'pypi' });
    expect(core.health().audit.writable).toBe(true);
    const changes = readFileSync(join(dir, 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((e) => e.class_uid === 3004)
      .map((e) => e.unmapped.change);
    expect(changes).toEqual(['merge', 'preset-add']);
    expect(core.revision.number).toBe(revision + 2);
  }, 30_000);
});
