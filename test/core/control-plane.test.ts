// The control plane answers only its operator: the token goes only to the live core that owns the port
// named in core.json, a token lives exactly as long as its core, another uid gets nothing, and one state
// dir has one core. Every test drives real processes and sockets.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.js';
import { startCoreProcess, type CoreProcess } from '../helpers/core-process.js';
import { exitWithin, recordFeed, startImpostor, type Impostor } from '../helpers/feed-socket.js';
import { FeedClient } from '../../src/gateway/feed/feed-client.js';
import { lockHolder } from '../../src/core/state/state-lock.js';

const exec = promisify(execFile);
const root = process.platform === 'linux' && process.getuid?.() === 0;

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function core(dir: string, extra: string[] = []): Promise<CoreProcess> {
  const c = await startCoreProcess(dir, ['--hold-timeout', '0', ...extra]);
  cleanup.push(() => c.stop());
  return c;
}

async function killHard(c: CoreProcess) {
  const exited = new Promise((r) => c.child.once('exit', r));
  c.child.kill('SIGKILL');
  await exited;
}

const token = (dir: string) => readFileSync(join(dir, 'control.token'), 'utf8').trim();
const tempDir = (name: string) => mkdtempSync(join(tmpdir(), `ost-${name}-`));

async function impostorOn(url: string): Promise<Impostor> {
  const { hostname, port } = new URL(url);
  const impostor = await startImpostor(hostname, Number(port));
  cleanup.push(() => impostor.close());
  return impostor;
}

describe('a stale core.json', () => {
  it('after kill -9, the CLI sends the token to nobody who took over the feed port', async () => {
    const dir = tempDir('stale');
    const c = await core(dir);
    const secret = token(dir);
    await killHard(c);
    const impostor = await impostorOn(c.ws);
    const r = await runCli(['requests', '--state-dir', dir]);
    expect(r.code).toBe(10); // unavailable (README "Exit codes")
    expect(r.stderr).toMatch(/no core is running/);
    expect(impostor.received()).not.toContain(secret);
    expect(impostor.connections()).toBe(0);
  }, 30_000);

  it('a live pid that does not own the port (pid reuse) is not the core either', async () => {
    const dir = tempDir('reuse');
    const c = await core(dir);
    const secret = token(dir);
    const info = JSON.parse(readFileSync(join(dir, 'core.json'), 'utf8'));
    await killHard(c);
    // Another process now has a pid, and core.json names it: exactly what pid reuse after a crash looks like.
    const other = spawn('sleep', ['60'], { stdio: 'ignore' });
    cleanup.push(() => other.kill('SIGKILL'));
    writeFileSync(join(dir, 'core.json'), JSON.stringify({ ...info, pid: other.pid }));
    const impostor = await impostorOn(c.ws);
    const r = await runCli(['approve-all', '--state-dir', dir]);
    expect(r.code).toBe(10); // unavailable
    expect(r.stderr).toMatch(/no core is running/);
    expect(r.stderr).toContain(`pid ${other.pid}`);
    expect(impostor.received()).not.toContain(secret);
    await expect(FeedClient.connectToCore(dir)).rejects.toThrow(/no core is running/);
    expect(impostor.connections()).toBe(0);
  }, 30_000);

  it('`run` does not point an agent at an impostor on the old proxy port', async () => {
    const dir = tempDir('run-stale');
    const c = await core(dir);
    const info = JSON.parse(readFileSync(join(dir, 'core.json'), 'utf8'));
    await killHard(c);
    const other = spawn('sleep', ['60'], { stdio: 'ignore' });
    cleanup.push(() => other.kill('SIGKILL'));
    writeFileSync(join(dir, 'core.json'), JSON.stringify({ ...info, pid: other.pid }));
    const impostor = await impostorOn(`http://${info.proxy}`);
    const r = await runCli(['run', '--state-dir', dir, '--', 'sh', '-c', 'echo "$HTTP_PROXY"']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('started a core');
    expect(r.stdout.trim()).not.toBe(`http://${info.proxy}`);
    expect(impostor.connections()).toBe(0);
  }, 30_000);
});

describe('tokens', () => {
  it('are new for every core lifetime, 0600, and the old one is refused', async () => {
    const dir = tempDir('rotate');
    let c = await core(dir);
    const first = token(dir);
    expect(statSync(join(dir, 'control.token')).mode & 0o777).toBe(0o600);
    await c.stop();
    c = await core(dir);
    const second = token(dir);
    expect(second).not.toBe(first);
    expect(statSync(join(dir, 'control.token')).mode & 0o777).toBe(0o600);
    const old = recordFeed(c.ws, first);
    await expect(old.opened).rejects.toThrow(/401/);
    await killHard(c);
    c = await core(dir);
    expect(token(dir)).not.toBe(second);
    const current = recordFeed(c.ws, token(dir));
    await current.opened;
    current.ws.close();
  }, 40_000);
});

describe('another uid', () => {
  it.runIf(root)(
    'cannot read the token, and the feed refuses it on loopback',
    async () => {
      const dir = tempDir('uid');
      const c = await core(dir);
      const asNobody = (cmd: string, args: string[]) =>
        exec('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', cmd, ...args]).then(
          (r) => ({ code: 0, ...r }),
          (e) => ({ code: e.code as number, stdout: e.stdout as string, stderr: e.stderr as string }),
        );
      const read = await asNobody('cat', [join(dir, 'control.token')]);
      expect(read.code).not.toBe(0);
      expect(read.stderr).toMatch(/Permission denied/);
      const { port } = new URL(c.ws);
      const upgrade = (query: string, headers: string[] = []) =>
        asNobody('curl', [
          '-s',
          '-o',
          '/dev/null',
          '-w',
          '%{http_code}',
          '-H',
          'Connection: Upgrade',
          '-H',
          'Upgrade: websocket',
          '-H',
          'Sec-WebSocket-Version: 13',
          '-H',
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
          ...headers.flatMap((h) => ['-H', h]),
          `http://127.0.0.1:${port}/${query}`,
        ]);
      expect((await upgrade('')).stdout).toBe('401');
      expect((await upgrade('?token=guess')).stdout).toBe('401');
      expect((await upgrade('', [`Authorization: Bearer ${'0'.repeat(64)}`])).stdout).toBe('401');
      const cli = await asNobody(process.execPath, [BIN, 'requests', '--state-dir', dir]);
      expect(cli.code).not.toBe(0);
    },
    30_000,
  );
});

describe('one core per state dir', () => {
  it('a second core exits naming the first one, which carries on', async () => {
    const dir = tempDir('two');
    const first = await core(dir);
    const second = spawn(process.execPath, [BIN, 'core', '--state-dir', dir, '--proxy-listen', '127.0.0.1:0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    second.stdout!.on('data', (d) => (output += d));
    second.stderr!.on('data', (d) => (output += d));
    expect(await exitWithin(second, 15_000)).toBe(1);
    expect(output).toContain(`pid ${first.child.pid}`);
    expect(JSON.parse(readFileSync(join(dir, 'core.json'), 'utf8')).pid).toBe(first.child.pid);
    expect((await runCli(['requests', '--state-dir', dir])).code).toBe(0);
    expect(await lockHolder(dir)).toMatchObject({ pid: first.child.pid });
  }, 30_000);

  it('the lock dies with its core: after kill -9 a new core starts', async () => {
    const dir = tempDir('lock-death');
    const first = await core(dir);
    await killHard(first);
    expect(await lockHolder(dir)).toBeUndefined();
    const next = await core(dir);
    expect(await lockHolder(dir)).toMatchObject({ pid: next.child.pid });
  }, 30_000);
});
