// The whole product in a real terminal: the console (standalone) in tmux, a real agent (curl) through
// its proxy, decisions by keystroke.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { freePort, haveTmux, TmuxSession } from '../helpers/tmux.js';
import { startUpstream } from '../helpers/upstream.js';
import { curlVia } from '../helpers/curl.js';

const exec = promisify(execFile);
let upstream: Awaited<ReturnType<typeof startUpstream>>;
let tmux: TmuxSession;
let proxy: string;

const curl = (url: string) => curlVia(proxy, url);

describe.runIf(haveTmux())('console end to end (tmux)', () => {
  beforeAll(async () => {
    upstream = await startUpstream('hello through the console');
    const port = await freePort();
    proxy = `http://127.0.0.1:${port}`;
    const stateDir = mkdtempSync(join(tmpdir(), 'ost-e2e-'));
    tmux = new TmuxSession();
    const hosts = ['pypi.test', 'tracker.test'].map((h) => `--resolve ${h}:127.0.0.1`).join(' ');
    await tmux.start(
      `${process.execPath} ${BIN} --state-dir ${stateDir} --proxy-listen 127.0.0.1:${port} ${hosts} --allow-loopback --hold-timeout 20`,
    );
    await tmux.waitFor((s) => s.includes('● connected'), 'the console');
  });

  afterAll(async () => {
    await tmux?.stop();
    await upstream?.close();
  });

  it('a request appears; a approves it and curl gets 200; the next one passes without prompting', async () => {
    const pending = curl(`http://pypi.test:${upstream.port}/simple/requests/`);
    const screen = await tmux.waitFor((s) => s.includes('pypi.test') && /held \d+s/.test(s), 'the held request');
    expect(screen).toContain('GET /simple/requests/');
    expect(screen).toContain('curl');
    await tmux.press('a');
    expect(await pending).toEqual({ status: 200, body: 'hello through the console' });
    await tmux.waitFor((s) => s.includes('approved'), 'approved status');
    expect((await curl(`http://pypi.test:${upstream.port}/simple/other/`)).status).toBe(200);
  }, 30_000);

  it('r rejects: the agent gets a 403 naming the request', async () => {
    const pending = curl(`http://tracker.test:${upstream.port}/collect`);
    await tmux.waitFor((s) => s.includes('tracker.test') && /held \d+s/.test(s), 'the second held request');
    // The newest request is at the top, and selected on arrival only when nothing else is: go to the top.
    await tmux.press('g', 'r');
    const r = await pending;
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body)).toMatchObject({ error: 'egress_denied', host: 'tracker.test' });
    await tmux.waitFor((s) => s.includes('rejected'), 'rejected status');
  }, 30_000);

  it('the screen never shows an error, and q quits', async () => {
    expect(await tmux.screen()).not.toContain('Error');
    await tmux.press('q');
    let alive = true;
    for (let i = 0; i < 100 && alive; i++) {
      alive = await tmux.alive();
      if (alive) await new Promise((r) => setTimeout(r, 50));
    }
    expect(alive).toBe(false);
    // Its proxy is gone with it: the held-request machinery shut down cleanly.
    await expect(curl(`http://pypi.test:${upstream.port}/`)).rejects.toThrow();
  }, 20_000);
});

describe.runIf(haveTmux())('console at 80×24 and on resize', () => {
  it('fits every line in the terminal, and re-lays out when resized', async () => {
    const session = new TmuxSession();
    const stateDir = mkdtempSync(join(tmpdir(), 'ost-e2e-size-'));
    const port = await freePort();
    await session.start(`${process.execPath} ${BIN} --state-dir ${stateDir} --proxy-listen 127.0.0.1:${port} --hold-timeout 20`, 80, 24);
    try {
      await session.waitFor((s) => s.includes('● connected'), 'the console');
      // A request with a long host and path, to stress the column widths.
      const proxyUrl = `http://127.0.0.1:${port}`;
      const long = `http://a-very-long-host-name-for-testing-column-truncation.example.invalid/${'p'.repeat(120)}`;
      const pending = exec('curl', ['-s', '-x', proxyUrl, long]).catch(() => undefined);
      let screen = await session.waitFor((s) => s.includes('a-very-long'), 'the long request');
      for (const line of screen.split('\n')) expect([...line].length).toBeLessThanOrEqual(80);
      expect(screen.split('\n')[0]).toMatch(/^openshell-term │/);
      await exec('tmux', ['resize-window', '-t', session.name, '-x', '120', '-y', '30']);
      screen = await session.waitFor((s) => s.split('\n').some((l) => [...l].length > 80), 'the wider layout');
      for (const line of screen.split('\n')) expect([...line].length).toBeLessThanOrEqual(120);
      expect(screen.split('\n')[0]).toMatch(/^openshell-term │/);
      expect(screen).not.toContain('Error');
      await session.press('r');
      await pending;
    } finally {
      await session.stop();
    }
  }, 30_000);
});

describe.runIf(haveTmux())('promote from the console survives a restart (tmux)', () => {
  it('p, Enter: the held request proceeds; after a restart the destination is still allowed', async () => {
    const upstream2 = await startUpstream('kept across restarts');
    const stateDir = mkdtempSync(join(tmpdir(), 'ost-e2e-promote-'));
    const port = await freePort();
    const proxyUrl = `http://127.0.0.1:${port}`;
    const command = (hold: number) =>
      `${process.execPath} ${BIN} --state-dir ${stateDir} --proxy-listen 127.0.0.1:${port} --resolve mirror.test:127.0.0.1 --allow-loopback --hold-timeout ${hold}`;
    let session = new TmuxSession();
    try {
      await session.start(command(20));
      await session.waitFor((s) => s.includes('● connected'), 'the console');
      const held = curlVia(proxyUrl, `http://mirror.test:${upstream2.port}/simple/`);
      await session.waitFor((s) => s.includes('mirror.test') && /held \d+s/.test(s), 'the held request');
      await session.press('p');
      await session.waitFor((s) => s.includes('Promote r1') && s.includes('✓ ready'), 'the promote dialog');
      await session.press('Enter');
      expect(await held).toEqual({ status: 200, body: 'kept across restarts' });
      await session.waitFor((s) => s.includes("to preset 'mirror-test'"), 'the status line');
      await session.press('q');
      for (let i = 0; i < 100 && (await session.alive()); i++) await new Promise((r) => setTimeout(r, 50));
      session = new TmuxSession();
      await session.start(command(0));
      await session.waitFor((s) => s.includes('● connected'), 'the restarted console');
      expect(await curlVia(proxyUrl, `http://mirror.test:${upstream2.port}/other/`)).toEqual({ status: 200, body: 'kept across restarts' });
      expect(await session.screen()).toContain('No requests yet');
    } finally {
      await session.stop();
      await upstream2.close();
    }
  }, 40_000);
});
