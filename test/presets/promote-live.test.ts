// Promote on a real core with real clients: a second promote into the same preset keeps the first one's
// access (python and curl both still get through), --dry-run shows the diff and writes nothing, a tunnel
// says whether it will be inspected and the operator's choice is what the proxy then does, and a core
// killed with SIGKILL in the middle of promotes loses nothing it acknowledged.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicyText } from '../../src/core/policy/source.js';
import type { PresetDocument } from '../../src/core/policy/types.js';
import { FeedClient } from '../../src/gateway/feed/feed-client.js';
import { runCli } from '../helpers/cli.js';
import { startCoreProcess, type CoreProcess } from '../helpers/core-process.js';
import { curlVia } from '../helpers/curl.js';
import { startUpstream } from '../helpers/upstream.js';

const exec = promisify(execFile);
let upstream: Awaited<ReturnType<typeof startUpstream>>;
beforeAll(async () => {
  upstream = await startUpstream('local api says hi');
});
afterAll(async () => {
  await upstream.close();
});

/** python's own HTTP stack (urllib) through the proxy: the status it got. */
async function pythonVia(proxy: string, url: string): Promise<number> {
  const script = [
    'import sys, urllib.request, urllib.error',
    `opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": sys.argv[1]}))`,
    'try: print(opener.open(sys.argv[2], timeout=20).status)',
    'except urllib.error.HTTPError as e: print(e.code)',
  ].join('\n');
  const { stdout } = await exec('python3', ['-c', script, proxy, url]);
  return Number(stdout.trim());
}

async function requests(dir: string): Promise<Array<{ id: string; host: string; binary: string; status: string }>> {
  const r = await runCli(['requests', '--json', '--all', '--state-dir', dir]);
  return JSON.parse(r.stdout || '[]');
}

async function idFor(dir: string, match: (r: { host: string; binary: string }) => boolean): Promise<string> {
  const entry = (await requests(dir)).find(match);
  if (!entry) throw new Error(`no such request in ${JSON.stringify(await requests(dir))}`);
  return entry.id;
}

function loadPreset(file: string): PresetDocument {
  const loaded = parsePolicyText(readFileSync(file, 'utf8'), file, 'preset');
  expect(loaded.errors).toEqual([]);
  if (loaded.document?.kind !== 'preset') throw new Error(`${file} is not a preset`);
  return loaded.document.preset;
}

const flags = ['--resolve', 'api.local.test:127.0.0.1', '--allow-loopback', '--hold-timeout', '0'];

describe('promote twice into one preset', () => {
  let dir: string;
  let core: CoreProcess;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ost-promote-twice-'));
    core = await startCoreProcess(dir, flags);
  });
  afterAll(async () => {
    await core.stop();
  });

  it('keeps both: python and curl are both allowed afterwards; --dry-run shows the diff and writes nothing', async () => {
    const url = `http://api.local.test:${upstream.port}/v1/things`;
    // Nothing allows either yet: both are denied and wait in the inbox.
    expect(await pythonVia(core.proxy, url)).toBe(403);
    expect((await curlVia(core.proxy, url)).status).toBe(403);
    const python = await idFor(dir, (r) => r.binary.includes('python'));
    const curl = await idFor(dir, (r) => r.binary.endsWith('/curl'));

    const first = await runCli(['promote', python, '--preset', 'local-api', '--state-dir', dir]);
    expect(first.stderr).toBe('');
    expect(first.stdout).toContain(`promoted ${python} to preset 'local-api' (created`);
    expect(await pythonVia(core.proxy, url)).toBe(200);

    const file = join(dir, 'presets', 'local-api.yaml');
    const before = readFileSync(file, 'utf8');
    const applied = readFileSync(join(dir, 'applied-presets.json'), 'utf8');
    const mtime = statSync(file).mtimeMs;
    const dry = await runCli(['promote', curl, '--preset', 'local-api', '--dry-run', '--state-dir', dir]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`would merge into preset 'local-api' (${file})`);
    expect(dry.stdout).toContain(`--- ${file}\n+++ ${file}\n`);
    expect(dry.stdout).toMatch(/\n\+ {6}- \{ path: \/usr\/bin\/curl \}\n/);
    // A merge removes no line (the description promote wrote is kept true: it lists both grants).
    const removed = dry.stdout.split('\n').filter((line) => line.startsWith('-') && !line.startsWith('---'));
    expect(removed).toEqual([expect.stringMatching(/^- {2}description: read-only access to api\.local\.test:\d+ for \S*python/)]);
    // Nothing written, nothing applied, nothing released.
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(statSync(file).mtimeMs).toBe(mtime);
    expect(readFileSync(join(dir, 'applied-presets.json'), 'utf8')).toBe(applied);
    expect((await curlVia(core.proxy, url)).status).toBe(403);

    const second = await runCli(['promote', curl, '--preset', 'local-api', '--json', '--state-dir', dir]);
    expect(second.code).toBe(0);
    const result = JSON.parse(second.stdout);
    expect(result).toMatchObject({ change: 'merged', dryRun: false, released: [curl] });
    expect(result.diff).toContain('+      - { path: /usr/bin/curl }');
    // Both clients, over the real proxy: the first promote's access survived the second.
    expect((await curlVia(core.proxy, url)).status).toBe(200);
    expect(await pythonVia(core.proxy, url)).toBe(200);
    const doc = loadPreset(file);
    const rules = Object.values(doc.network_policies);
    expect(rules).toHaveLength(1);
    expect(rules[0].binaries.map((b) => b.path)).toEqual([expect.stringContaining('python'), '/usr/bin/curl']);
    // Still read-only for both: the merge widened nothing.
    expect((await curlVia(core.proxy, url, ['-X', 'POST', '-d', 'x'])).status).toBe(403);
  }, 60_000);

  it('refuses with --if-exists refuse and names the choices; --if-exists replace replaces', async () => {
    // Denied before any name is resolved: the host need not exist.
    expect((await curlVia(core.proxy, 'http://write.local.test/v2/', ['-X', 'POST', '-d', 'x'])).status).toBe(403);
    const post = await idFor(dir, (r) => r.host === 'write.local.test');
    const refused = await runCli(['promote', post, '--preset', 'local-api', '--if-exists', 'refuse', '--state-dir', dir]);
    expect(refused.code).toBe(5); // conflict (README "Exit codes")
    expect(refused.stderr).toContain("preset 'local-api' already exists");
    expect(refused.stderr).toContain('--if-exists merge');
    const bad = await runCli(['promote', post, '--preset', 'local-api', '--if-exists', 'overwrite', '--state-dir', dir]);
    expect(bad.code).toBe(2);
    const replaced = await runCli(['promote', post, '--preset', 'other-api', '--state-dir', dir]);
    expect(replaced.code).toBe(0);
    const again = await runCli([
      'promote',
      post,
      '--preset',
      'other-api',
      '--if-exists',
      'replace',
      '--access',
      'read-only',
      '--state-dir',
      dir,
    ]);
    expect(again.stdout).toContain('(replaced');
    expect(again.stdout).toContain('-        access: read-write');
    expect(again.stdout).toContain('+        access: read-only');
  }, 60_000);
});

describe('promoting a tunnel', () => {
  it('says it turns on inspection (the default) and honours --tls skip, as the proxy then behaves', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ost-promote-tunnel-'));
    const core = await startCoreProcess(dir, [...flags, '--resolve', 'inspected.test:127.0.0.1', '--resolve', 'blind.test:127.0.0.1']);
    try {
      // curl -p: a CONNECT tunnel even for http://, so the proxy sees only host and port (no method or path).
      // A failed tunnel is status 0 (curl exits non-zero).
      const tunnelled = (host: string) =>
        curlVia(core.proxy, `http://${host}:${upstream.port}/`, ['-p', '--max-time', '10']).catch(() => ({ status: 0, body: '' }));
      expect((await tunnelled('inspected.test')).status).not.toBe(200);
      expect((await tunnelled('blind.test')).status).not.toBe(200);
      const inspected = await idFor(dir, (r) => r.host === 'inspected.test');
      const blind = await idFor(dir, (r) => r.host === 'blind.test');

      const dry = await runCli(['promote', inspected, '--preset', 'inspected', '--dry-run', '--state-dir', dir]);
      expect(dry.stdout).toContain('was a tunnel; the preset turns on TLS inspection there');
      expect(dry.stdout).toContain('+        protocol: rest');
      const skipDry = await runCli(['promote', blind, '--preset', 'blind', '--tls', 'skip', '--dry-run', '--state-dir', dir]);
      expect(skipDry.stdout).toContain('stays an uninspected tunnel');
      expect(skipDry.stdout).not.toContain('protocol:');
      const accessless = await runCli(['promote', blind, '--preset', 'blind', '--tls', 'skip', '--access', 'full', '--state-dir', dir]);
      expect(accessless.code).toBe(2); // invalid argument
      expect(accessless.stderr).toContain('needs an inspected endpoint');

      expect((await runCli(['promote', inspected, '--preset', 'inspected', '--state-dir', dir])).code).toBe(0);
      expect((await runCli(['promote', blind, '--preset', 'blind', '--tls', 'skip', '--state-dir', dir])).code).toBe(0);
      // Inspected: the proxy now terminates TLS inside the tunnel, so plain HTTP in it goes nowhere.
      expect((await tunnelled('inspected.test')).status).not.toBe(200);
      // Skipped: a blind tunnel carries whatever the client sends.
      expect(await tunnelled('blind.test')).toEqual({ status: 200, body: 'local api says hi' });
      // A plain-HTTP request was never a tunnel: there is nothing to leave uninspected.
      await curlVia(core.proxy, `http://api.local.test:${upstream.port}/`);
      const plain = await idFor(dir, (r) => r.host === 'api.local.test');
      const notTunnel = await runCli(['promote', plain, '--preset', 'plain', '--tls', 'skip', '--state-dir', dir]);
      expect(notTunnel.stderr).toContain('only a tunnel can be left uninspected');
    } finally {
      await core.stop();
    }
  }, 60_000);
});

describe('kill -9 in the middle of promotes', () => {
  it('leaves no half-written file and loses no acknowledged promote', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ost-promote-kill-'));
    const file = join(dir, 'presets', 'grow.yaml');
    const acknowledged = new Set<string>();
    for (let round = 0; round < 3; round++) {
      const core = await startCoreProcess(dir, ['--hold-timeout', '0']);
      // Fresh hosts each round; the policy decides before any name is resolved, so none need to exist.
      const hosts = Array.from({ length: 30 }, (_, i) => `h${round}-${i}.grow.test`);
      await Promise.all(hosts.map((host) => curlVia(core.proxy, `http://${host}/`)));
      const ids = new Map((await requests(dir)).map((r) => [r.host, r.id]));
      const info = JSON.parse(readFileSync(join(dir, 'core.json'), 'utf8'));
      const { client } = await FeedClient.connect(info.ws, readFileSync(join(dir, 'control.token'), 'utf8').trim());
      // Every promote at once: the core is always in the middle of one when the kill lands.
      let acks = 0;
      for (const host of hosts) {
        client
          .command({ type: 'promote', id: ids.get(host)!, name: 'grow' })
          .then(() => {
            acknowledged.add(host);
            acks++;
          })
          .catch(() => undefined);
      }
      for (let i = 0; i < 3000 && acks < 3 + round * 5; i++) await new Promise((r) => setTimeout(r, 10));
      core.child.kill('SIGKILL');
      await new Promise((r) => core.child.once('exit', r));
      client.close();
      expect(acks, 'some promotes were acknowledged before the kill').toBeGreaterThan(0);

      // Whole files only: the preset and the applied list parse, and hold every acknowledged promote.
      const onDisk = loadPreset(file);
      const hostsIn = (doc: PresetDocument) => new Set(Object.values(doc.network_policies).flatMap((r) => r.endpoints.map((e) => e.host)));
      const saved = hostsIn(onDisk);
      const appliedState = JSON.parse(readFileSync(join(dir, 'applied-presets.json'), 'utf8'));
      const applied = hostsIn(appliedState.applied.find((e: { name: string }) => e.name === 'grow').preset);
      for (const host of acknowledged) {
        expect(saved.has(host), `${host} in the file`).toBe(true);
        expect(applied.has(host), `${host} applied`).toBe(true);
      }
      // What was applied is never ahead of the file (the file is written first).
      for (const host of applied) expect(saved.has(host), `${host} applied but not saved`).toBe(true);
    }
    // A restart cleans any temp file the kill left, and enforces every acknowledged host.
    const core = await startCoreProcess(dir, ['--hold-timeout', '0']);
    try {
      expect(readdirSync(join(dir, 'presets'))).toEqual(['grow.yaml']);
      const effective = await runCli(['policy', 'get', '--full', '--state-dir', dir]);
      for (const host of acknowledged) expect(effective.stdout).toContain(`host: ${host}`);
    } finally {
      await core.stop();
    }
  }, 120_000);
});
