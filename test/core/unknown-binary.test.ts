// `unknown` cannot be approved without saying what it means. The core runs as `nobody`, so it cannot read
// the fds of the root-owned curl that asks: the request's binary is genuinely `unknown`. Approving it would
// let every client the core cannot identify through, so the core refuses unless the operator says so.
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { curlVia } from '../helpers/curl.js';
import { until } from '../helpers/feed-socket.js';
import { startUpstream } from '../helpers/upstream.js';

const root = process.platform === 'linux' && process.getuid?.() === 0;
const NOBODY = 65534;
const asNobody = ['--reuid=nobody', '--regid=nogroup', '--clear-groups'];

let upstream: Awaited<ReturnType<typeof startUpstream>>;
let dir: string;
let core: ChildProcess;
let proxy: string;

/** The CLI as the core's own user (it owns the state dir and its token). */
const cli = (args: string[]) => runCliAs([...args, '--state-dir', dir]);
function runCliAs(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('setpriv', [...asNobody, process.execPath, BIN, ...args], { env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  if (!root) return;
  upstream = await startUpstream('reached');
  const parent = mkdtempSync(join(tmpdir(), 'ost-unknown-'));
  chownSync(parent, NOBODY, NOBODY);
  dir = join(parent, 'state');
  core = spawn(
    'setpriv',
    [
      ...asNobody,
      process.execPath,
      BIN,
      'core',
      '--state-dir',
      dir,
      '--proxy-listen',
      '127.0.0.1:0',
      '--hold-timeout',
      '60',
      '--resolve',
      'unknown.test:127.0.0.1',
      '--allow-loopback',
    ],
    { stdio: 'ignore' },
  );
  proxy = await until(() => {
    try {
      return `http://${JSON.parse(readFileSync(join(dir, 'core.json'), 'utf8')).proxy}`;
    } catch {
      return undefined;
    }
  });
}, 30_000);

afterAll(async () => {
  core?.kill('SIGTERM');
  await upstream?.close();
});

describe.runIf(root)('approving a request whose binary is unknown', () => {
  it('is refused unless the operator says what it means; the entry says it first', async () => {
    const agent = curlVia(proxy, `http://unknown.test:${upstream.port}/`);
    const entry = await until(async () => {
      const r = await cli(['requests', '--json']);
      const list = r.code === 0 ? (JSON.parse(r.stdout) as Array<{ id: string; binary: string; held: number; warning?: string }>) : [];
      return list.find((e) => e.held > 0);
    });
    expect(entry.binary).toBe('unknown');
    expect(entry.warning).toMatch(/any program the core cannot identify/);
    const human = await cli(['requests']);
    expect(human.stdout).toMatch(/any program the core cannot identify/);

    const refused = await cli(['approve', entry.id]);
    expect(refused.code).toBe(6); // failed precondition (README "Exit codes"): the flag lifts it
    expect(refused.stderr).toMatch(/--allow-unknown-binary/);
    const all = await cli(['approve-all']);
    expect(all.stdout).toContain('approved 0 requests');
    expect(all.stderr).toMatch(/skipped .*unknown/);

    const approved = await cli(['approve', entry.id, '--allow-unknown-binary']);
    expect(approved.stderr).toBe('');
    expect(approved.code).toBe(0);
    expect(await agent).toEqual({ status: 200, body: 'reached' });
  }, 60_000);
});
