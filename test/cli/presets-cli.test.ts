// Presets on the real core: promote persists across restarts, tiers apply, and a core killed with
// SIGKILL in the middle of preset writes leaves every preset whole and restarts cleanly.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedClient } from '../../src/gateway/feed/feed-client.js';
import { parsePolicyText } from '../../src/core/policy/source.js';
import { runCli } from '../helpers/cli.js';
import { startCoreProcess } from '../helpers/core-process.js';
import { curlVia } from '../helpers/curl.js';
import { startUpstream } from '../helpers/upstream.js';

let upstream: Awaited<ReturnType<typeof startUpstream>>;
beforeAll(async () => {
  upstream = await startUpstream('promoted hello');
});
afterAll(async () => {
  await upstream.close();
});

const flags = (extra: string[] = []) => ['--resolve', 'promo.test:127.0.0.1', '--allow-loopback', ...extra];

describe('promote', () => {
  it('writes a NemoClaw preset, releases the held request, and still allows after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ost-promote-'));
    let core = await startCoreProcess(dir, flags(['--hold-timeout', '15']));
    try {
      const held = curlVia(core.proxy, `http://promo.test:${upstream.port}/simple/`);
      let id: string | undefined;
      for (let i = 0; i < 200 && !id; i++) {
        const r = await runCli(['requests', '--json', '--state-dir', dir]);
        id = (JSON.parse(r.stdout || '[]') as Array<{ id: string; held: number }>).find((x) => x.held > 0)?.id;
      }
      const dry = await runCli(['promote', id!, '--preset', 'promo-test', '--dry-run', '--state-dir', dir]);
      expect(dry.stdout).toContain("would create preset 'promo-test'");
      expect(dry.stdout).toContain('access: read-only');
      const r = await runCli(['promote', id!, '--preset', 'promo-test', '--state-dir', dir]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("promoted r1 to preset 'promo-test'");
      expect(await held).toEqual({ status: 200, body: 'promoted hello' });
      const file = join(dir, 'presets', 'promo-test.yaml');
      const text = readFileSync(file, 'utf8');
      const loaded = parsePolicyText(text, file, 'preset');
      expect(loaded.errors).toEqual([]);
      expect(text).toContain('host: promo.test');
      await core.stop();
      core = await startCoreProcess(dir, flags(['--hold-timeout', '0']));
      expect((await curlVia(core.proxy, `http://promo.test:${upstream.port}/other`)).status).toBe(200);
      // Read-only: a POST is refused by the promoted preset's L7 rules.
      expect((await curlVia(core.proxy, `http://promo.test:${upstream.port}/other`, ['-X', 'POST', '-d', 'x'])).status).toBe(403);
      const list = await runCli(['preset', 'list', '--json', '--state-dir', dir]);
      expect(JSON.parse(list.stdout)).toEqual(
        expect.arrayContaining([expect.objectContaining({ name: 'promo-test', applied: true, source: 'custom' })]),
      );
    } finally {
      await core.stop();
    }
  }, 40_000);

  it('refuses built-in names and invalid names clearly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ost-promote-bad-'));
    const core = await startCoreProcess(dir, flags(['--hold-timeout', '0']));
    try {
      await curlVia(core.proxy, `http://promo.test:${upstream.port}/`);
      const builtin = await runCli(['promote', 'r1', '--preset', 'pypi', '--state-dir', dir]);
      expect(builtin.code).toBe(5); // conflict (README "Exit codes")
      expect(builtin.stderr).toMatch(/built-in/);
      const bad = await runCli(['promote', 'r1', '--preset', 'Bad_Name', '--state-dir', dir]);
      expect(bad.stderr).toContain('invalid preset name');
    } finally {
      await core.stop();
    }
  }, 20_000);
});

describe('tiers', () => {
  it('--tier balanced applies its presets as a revision', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ost-tier-'));
    const core = await startCoreProcess(dir, ['--tier', 'balanced']);
    try {
      const policy = await runCli(['policy', 'get', '--full', '--state-dir', dir]);
      expect(policy.stdout).toMatch(/Cause: tier/);
      for (const key of ['pypi:', 'npm_yarn:']) expect(policy.stdout).toContain(key);
    } finally {
      await core.stop();
    }
    const bad = await runCli(['core', '--tier', 'wide-open', '--state-dir', dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown tier 'wide-open'");
  }, 20_000);
});

describe('kill -9 during preset writes', () => {
  it('leaves every preset file old or new, never partial, and the core restarts cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ost-kill-'));
    const sources = mkdtempSync(join(tmpdir(), 'ost-kill-src-'));
    // Two versions of one custom preset, large enough that a write takes a while.
    const version = (tag: string) => {
      const endpoints = Array.from({ length: 2000 }, (_, i) => `      - { host: h${i}.${tag}.example, port: 443 }`).join('\n');
      return `preset:\n  name: churn\n  description: version ${tag}\nnetwork_policies:\n  churn:\n    name: churn\n    endpoints:\n${endpoints}\n    binaries: [{ path: /usr/bin/curl }]\n`;
    };
    writeFileSync(join(sources, 'a.yaml'), version('a'));
    writeFileSync(join(sources, 'b.yaml'), version('b'));
    for (let round = 0; round < 3; round++) {
      const core = await startCoreProcess(dir, ['--hold-timeout', '0']);
      const info = JSON.parse(readFileSync(join(dir, 'core.json'), 'utf8'));
      const { client } = await FeedClient.connect(info.ws, readFileSync(join(dir, 'control.token'), 'utf8').trim());
      let n = 0;
      const writes = (async () => {
        for (;;) await client.command({ type: 'preset.add', file: join(sources, n++ % 2 ? 'a.yaml' : 'b.yaml') }).catch(() => undefined);
      })();
      // Kill mid-churn: once the first write has landed (a busy machine may take a while), then a little later.
      for (let i = 0; i < 400 && !existsSync(join(dir, 'presets', 'churn.yaml')); i++) await new Promise((r) => setTimeout(r, 25));
      await new Promise((r) => setTimeout(r, 100 + round * 170));
      core.child.kill('SIGKILL');
      await new Promise((r) => core.child.once('exit', r));
      client.close();
      void writes;
      const file = join(dir, 'presets', 'churn.yaml');
      const text = readFileSync(file, 'utf8');
      expect([version('a'), version('b')]).toContain(text);
      expect(readdirSync(join(dir, 'presets')).filter((f) => f !== 'churn.yaml')).toEqual(
        // A kill mid-write may leave the write's hidden temp file (cleaned at the next start, checked below).
        readdirSync(join(dir, 'presets')).filter((f) => f.startsWith('.') && f.endsWith('.atomic-tmp')),
      );
    }
    // Restart: temp leftovers are cleaned, the preset loads, the core serves.
    const core = await startCoreProcess(dir, ['--hold-timeout', '0']);
    try {
      expect(readdirSync(join(dir, 'presets'))).toEqual(['churn.yaml']);
      const list = JSON.parse((await runCli(['preset', 'list', '--json', '--state-dir', dir])).stdout);
      expect(list).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'churn', applied: true })]));
    } finally {
      await core.stop();
    }
  }, 60_000);
});
