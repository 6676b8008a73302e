// The console at a glance, in a real terminal: a real core, real curl agents, decisions by keystroke;
// every status reads by symbol and by colour (capture-pane -e shows the SGR codes), at 80×24 and at
// 200×60; the empty inbox says how to begin; the logs screen is the event stream, filterable by kind; a
// second console on the same state dir attaches instead of failing.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { curlVia } from '../helpers/curl.js';
import { freePort, haveTmux, TmuxSession } from '../helpers/tmux.js';
import { startUpstream } from '../helpers/upstream.js';

const exec = promisify(execFile);

/** The screen with its colours (SGR sequences), as a terminal shows it. */
async function coloured(session: TmuxSession): Promise<string> {
  const { stdout } = await exec('tmux', ['capture-pane', '-t', session.name, '-p', '-e']);
  return stdout;
}

const SGR = /\u001b\[([0-9;]*)m/g;

/** The SGR codes in force where `text` starts on the line that contains it. */
function codesAt(screen: string, text: string): string[] {
  const line = screen.split('\n').find((l) => l.replace(SGR, '').includes(text));
  if (!line) throw new Error(`no line with ${text}:\n${screen.replace(SGR, '')}`);
  const codes: string[] = [];
  let plain = '';
  let i = 0;
  while (i < line.length) {
    SGR.lastIndex = i;
    const m = SGR.exec(line);
    if (m && m.index === i) {
      for (const c of m[1].split(';'))
        if (c === '0' || c === '') codes.length = 0;
        else codes.push(c);
      i += m[0].length;
      continue;
    }
    plain += line[i++];
    if (plain.endsWith(text[0]) && line.replace(SGR, '').indexOf(text) === plain.length - 1) return [...codes];
  }
  return codes;
}

let upstream: Awaited<ReturnType<typeof startUpstream>>;
let tmux: TmuxSession;
let proxy: string;
let stateDir: string;
let deadPort: number;
const captures: Record<string, string> = {};

describe.runIf(haveTmux())('the console at a glance (tmux, 80×24 then 200×60)', () => {
  beforeAll(async () => {
    upstream = await startUpstream('ok');
    deadPort = await freePort();
    const port = await freePort();
    proxy = `http://127.0.0.1:${port}`;
    stateDir = mkdtempSync(join(tmpdir(), 'ost-glance-'));
    tmux = new TmuxSession();
    const hosts = ['pypi.test', 'tracker.test', 'dead.test', 'slow.test', 'new.test'].map((h) => `--resolve ${h}:127.0.0.1`).join(' ');
    await tmux.start(
      `${process.execPath} ${BIN} --state-dir ${stateDir} --proxy-listen 127.0.0.1:${port} ${hosts} --allow-loopback --hold-timeout 6`,
      80,
      24,
    );
    await tmux.waitFor((s) => s.includes('● connected'), 'the console', 25_000);
  }, 30_000);

  afterAll(async () => {
    await tmux?.stop();
    await upstream?.close();
    if (process.env.OPENSHELL_TERM_CAPTURES) writeFileSync(process.env.OPENSHELL_TERM_CAPTURES, JSON.stringify(captures, null, 2));
  });

  it('the empty inbox shows the proxy, the run command and a curl to try, for this core', async () => {
    const screen = await tmux.screen();
    captures.empty80x24 = screen;
    expect(screen).toContain('No requests yet');
    expect(screen).toContain(`proxy  ${proxy}`);
    expect(screen).toContain(`openshell-term run --state-dir ${stateDir} -- <agent>`);
    expect(screen).toContain(`curl -x ${proxy} https://example.com`);
  });

  it('approved, rejected, error 502, timed out and held: each by symbol and colour, methods coloured', async () => {
    const decide = async (url: string, method: string, key: string, host: string) => {
      const pending = curlVia(proxy, url, ['-X', method]);
      await tmux.waitFor((s) => s.includes(host) && /held \d+s/.test(s), `${host} held`);
      await tmux.press('g', key);
      return pending;
    };
    expect((await decide(`http://pypi.test:${upstream.port}/simple/`, 'GET', 'a', 'pypi.test')).status).toBe(200);
    expect((await decide(`http://tracker.test:${upstream.port}/collect`, 'POST', 'r', 'tracker.test')).status).toBe(403);
    expect((await decide(`http://dead.test:${deadPort}/x`, 'GET', 'a', 'dead.test')).status).toBe(502);
    // Held until the hold times out (6 s): the agent gets its 403, the row says so.
    expect((await curlVia(proxy, `http://slow.test:${upstream.port}/v1/things/42`, ['-X', 'DELETE'])).status).toBe(403);
    const held = curlVia(proxy, `http://new.test:${upstream.port}/fresh`, ['-m', '30']).catch(() => undefined);
    const plain = await tmux.waitFor(
      (s) => ['✓ approved', '✗ rejected', '! error 502', '◌ timed out', '◐ held'].every((t) => s.includes(t)),
      'every status',
    );
    for (const line of plain.split('\n')) expect([...line].length).toBeLessThanOrEqual(80);
    // host:port stays whole at 80 columns.
    for (const dest of ['pypi.test:', 'tracker.test:', `dead.test:${deadPort}`, 'slow.test:', 'new.test:']) expect(plain).toContain(dest);
    const screen = await coloured(tmux);
    captures.inbox80x24 = plain;
    captures.inbox80x24Sgr = screen;
    expect(codesAt(screen, '✓ approved')).toContain('32'); // green
    expect(codesAt(screen, '✗ rejected')).toContain('31'); // red
    expect(codesAt(screen, '! error 502')).toContain('31');
    expect(codesAt(screen, '◌ timed out')).toContain('33'); // yellow
    expect(codesAt(screen, '◐ held')).toContain('33');
    expect(codesAt(screen, 'POST')).toContain('35'); // a write: warm
    expect(codesAt(screen, 'DELETE')).toContain('31');
    // The selection is a full-width bar: a background colour on its row.
    expect(screen.split('\n').some((l) => l.replace(SGR, '').startsWith('▌') && l.includes('[44m'))).toBe(true);

    // Enter on the error row explains it.
    await tmux.press('/');
    await tmux.press('dead', 'Enter', 'Enter');
    const detail = await tmux.waitFor((s) => s.includes('upstream failed'), 'the error detail');
    expect(detail).toMatch(/502/);
    await tmux.press('Escape', 'Escape');
    await tmux.waitFor((s) => s.includes('new.test'), 'the whole inbox again');

    await exec('tmux', ['resize-window', '-t', tmux.name, '-x', '200', '-y', '60']);
    const wide = await tmux.waitFor(
      (s) => s.split('\n').some((l) => [...l].length > 100) && / sandbox\s*$/m.test(s) && s.includes('/v1/things/42'),
      'the wide layout',
    );
    for (const line of wide.split('\n')) expect([...line].length).toBeLessThanOrEqual(200);
    captures.inbox200x60 = wide;
    captures.inbox200x60Sgr = await coloured(tmux);
    await held;
  }, 90_000);

  it('the logs screen is the event stream: kinds on every line, K shows one kind', async () => {
    await tmux.press('4');
    const logs = await tmux.waitFor((s) => s.includes('FOLLOWING'), 'the logs');
    for (const kind of ['request', 'decision', 'upstream', 'timeout']) expect(logs).toContain(kind);
    await tmux.press('K');
    const only = await tmux.waitFor((s) => s.includes('kind: request'), 'kind filter');
    captures.logsRequests200x60 = only;
    const lines = only.split('\n').filter((l) => /^\d\d:\d\d:\d\d /.test(l));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(/ request /);
    await tmux.press('1');
  }, 20_000);

  it('a second console on the same state dir attaches to the running core and says so', async () => {
    const second = new TmuxSession();
    try {
      await second.start(`${process.execPath} ${BIN} --state-dir ${stateDir}; sleep 10`, 120, 30);
      const screen = await second.waitFor(
        (s) => s.includes('attached to the core already running') && s.includes('● connected') && s.includes('pypi.test'),
        'the second console',
        40_000,
      );
      expect(screen).not.toContain('EADDRINUSE');
      // A decision in the second console reaches the first (one core).
      const pending = curlVia(proxy, `http://new.test:${upstream.port}/second`, ['-m', '30']);
      await second.waitFor((s) => /◐ held \d+s/.test(s), 'held in the second console');
      await second.press('g', 'a');
      expect((await pending).status).toBe(200);
      await tmux.waitFor((s) => /new\.test.*\n?/.test(s) && s.includes('✓ approved'), 'approved in the first console');
      // Quitting the second console leaves the core running.
      await second.press('q');
      await new Promise((r) => setTimeout(r, 500));
      expect((await curlVia(proxy, `http://pypi.test:${upstream.port}/again`)).status).toBe(200);
    } finally {
      await second.stop();
    }
  }, 80_000);
});
