// The headless core driven from the command line, the way a script or the acceptance test does it.
import { execFile } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startCoreProcess, type CoreProcess } from '../helpers/core-process.js';
import { startUpstream } from '../helpers/upstream.js';
import { curlVia } from '../helpers/curl.js';

const exec = promisify(execFile);
let upstream: Awaited<ReturnType<typeof startUpstream>>;
let stateDir: string;
let core: CoreProcess;

const curl = (proxy: string, url: string) => curlVia(proxy, url);

const coreFlags = () => ['--resolve', `pypi.test:127.0.0.1`, '--allow-loopback', '--hold-timeout', '10'];

beforeAll(async () => {
  upstream = await startUpstream('simple index');
  stateDir = mkdtempSync(join(tmpdir(), 'ost-core-'));
  core = await startCoreProcess(stateDir, coreFlags());
});

afterAll(async () => {
  await core?.stop();
  await upstream.close();
});

describe('core from the command line', () => {
  it('keeps its secrets private', () => {
    expect(statSync(join(stateDir, 'control.token')).mode & 0o777).toBe(0o600);
    expect(statSync(stateDir).mode & 0o777).toBe(0o700);
  });

  it('a request appears as pending, approve lets it through, the approval holds for the session', async () => {
    const url = `http://pypi.test:${upstream.port}/simple/requests/`;
    const held = curl(core.proxy, url);
    let pending: Array<{ id: string; host: string; held: number }> = [];
    for (let i = 0; i < 100 && !pending.some((r) => r.held > 0); i++) {
      const r = await runCli(['requests', '--json', '--state-dir', stateDir]);
      expect(r.code).toBe(0);
      pending = JSON.parse(r.stdout);
    }
    const entry = pending.find((r) => r.host === 'pypi.test')!;
    expect(entry).toBeDefined();
    const approved = await runCli(['approve', entry.id, '--state-dir', stateDir]);
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain(`approved ${entry.id}`);
    expect(await held).toEqual({ status: 200, body: 'simple index' });
    expect((await curl(core.proxy, url)).status).toBe(200);
    const revisions = await runCli(['policy', 'revisions', '--json', '--state-dir', stateDir]);
    expect(JSON.parse(revisions.stdout).map((r: { cause: string }) => r.cause)).toEqual(['baseline', 'approval']);
    const policy = await runCli(['policy', 'get', '--full', '--state-dir', stateDir]);
    expect(policy.stdout).toContain(`session_approval_${entry.id}`);
  }, 30_000);

  it('a restart forgets session approvals', async () => {
    expect(await core.stop()).toBe(0);
    core = await startCoreProcess(stateDir, [...coreFlags(), '--hold-timeout', '0']);
    const r = await curl(core.proxy, `http://pypi.test:${upstream.port}/simple/requests/`);
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body).error).toBe('egress_denied');
  }, 30_000);

  it('reports clearly when no core runs, and on unknown ids', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'ost-none-'));
    const none = await runCli(['requests', '--state-dir', empty]);
    expect(none.code).toBe(10); // unavailable (README "Exit codes")
    expect(none.stderr).toContain('no core is running');
    const unknown = await runCli(['approve', 'r999', '--state-dir', stateDir]);
    expect(unknown.code).toBe(3); // not found
    expect(unknown.stderr).toContain("no request with id 'r999'");
    const badLifetime = await runCli(['approve', 'r1', '--for', 'forever', '--state-dir', stateDir]);
    expect(badLifetime.stderr).toContain("invalid lifetime 'forever'");
  });
});

describe('run', () => {
  it('runs an agent through an in-process core; approved via the CLI, the agent gets its answer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ost-run-'));
    const agent = runCli([
      'run',
      '--state-dir',
      dir,
      '--resolve',
      'agent.test:127.0.0.1',
      '--allow-loopback',
      '--hold-timeout',
      '10',
      '--',
      'curl',
      '-s',
      `http://agent.test:${upstream.port}/x`,
    ]);
    let id: string | undefined;
    for (let i = 0; i < 200 && !id; i++) {
      const r = await runCli(['requests', '--json', '--state-dir', dir]);
      if (r.code === 0) id = (JSON.parse(r.stdout) as Array<{ id: string; held: number }>).find((x) => x.held > 0)?.id;
    }
    expect(id).toBeDefined();
    await runCli(['approve', id!, '--state-dir', dir]);
    const result = await agent;
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('simple index');
  }, 30_000);

  it("passes the agent's exit code through", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ost-run-'));
    const r = await runCli(['run', '--state-dir', dir, '--', 'sh', '-c', 'echo "$HTTPS_PROXY|$no_proxy"; exit 7']);
    expect(r.code).toBe(7);
    expect(r.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\|\n$/);
  });
});

describe('binary identity', () => {
  it('pending requests name the real executable that asked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ost-id-'));
    const c = await startCoreProcess(dir, ['--resolve', 'who.test:127.0.0.1', '--allow-loopback', '--hold-timeout', '0']);
    try {
      await curl(c.proxy, `http://who.test:${upstream.port}/`);
      const r = JSON.parse((await runCli(['requests', '--json', '--state-dir', dir])).stdout);
      const { realpathSync } = await import('node:fs');
      const { stdout } = await exec('sh', ['-c', 'command -v curl']);
      expect(r[0].binary).toBe(realpathSync(stdout.trim()));
      expect(r[0].pid).toBeGreaterThan(0);
    } finally {
      await c.stop();
    }
  }, 20_000);
});

describe('run --isolate', () => {
  const rootOnLinux = process.platform === 'linux' && process.getuid?.() === 0;
  it.runIf(rootOnLinux)(
    'an agent that ignores the proxy cannot reach anything; through the proxy it can',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ost-iso-'));
      const policy = join(dir, 'policy.yaml');
      const { writeFileSync } = await import('node:fs');
      writeFileSync(
        policy,
        `version: 1\nnetwork_policies:\n  up:\n    name: up\n    endpoints: [{host: up.test, port: ${upstream.port}}]\n    binaries: [{path: "**"}]\n`,
      );
      const common = [
        'run',
        '--isolate',
        '--state-dir',
        dir,
        '--policy',
        policy,
        '--resolve',
        'up.test:127.0.0.1',
        '--allow-loopback',
        '--hold-timeout',
        '0',
        '--',
      ];
      const bypass = await runCli([...common, 'curl', '-s', '--max-time', '3', '--noproxy', '*', `http://127.0.0.1:${upstream.port}/`]);
      expect(bypass.code).not.toBe(0);
      expect(bypass.stdout).toBe('');
      const viaProxy = await runCli([...common, 'curl', '-s', '--max-time', '5', `http://up.test:${upstream.port}/`]);
      expect(viaProxy.stdout).toBe('simple index');
      expect(viaProxy.code).toBe(0);
      const { stdout } = await exec('ip', ['netns', 'list']);
      expect(stdout).not.toMatch(/ost-[0-9a-f]{6}/); // cleaned up
    },
    30_000,
  );

  it.runIf(!rootOnLinux)('without root it says why, clearly', async () => {
    const r = await runCli(['run', '--isolate', '--', 'true']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--isolate needs');
  });
});

describe('audit log', () => {
  it('records decisions as OCSF JSON Lines in the state dir, without query strings', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ost-audit-'));
    const c = await startCoreProcess(dir, ['--resolve', 'aud.test:127.0.0.1', '--allow-loopback', '--hold-timeout', '0']);
    try {
      await curl(c.proxy, `http://aud.test:${upstream.port}/x?token=supersecret`);
      const id = JSON.parse((await runCli(['requests', '--json', '--state-dir', dir])).stdout)[0].id;
      await runCli(['approve', id, '--state-dir', dir]);
      expect((await curl(c.proxy, `http://aud.test:${upstream.port}/y?token=supersecret`)).status).toBe(200);
    } finally {
      await c.stop();
    }
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(join(dir, 'audit.jsonl'), 'utf8');
    expect(text).not.toContain('supersecret');
    const events = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const network = events.filter((e) => e.class_uid === 4001);
    expect(network.map((e) => e.action ?? e.disposition)).toEqual(expect.arrayContaining(['Denied', 'Allowed']));
    expect(network.some((e) => e.dst_endpoint?.hostname === 'aud.test')).toBe(true);
    expect(events.some((e) => e.class_uid !== 4001 && JSON.stringify(e).includes('approve'))).toBe(true);
  }, 30_000);
});
