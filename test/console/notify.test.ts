// Notifications on a new pending request: OSC 9 / OSC 777 sequences an agent's text cannot break out of,
// --notify-cmd run as argv (no shell) with the request in environment variables (a real process writes
// what it got), and a rate limit under flood that says how many it held back.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { desktopSequence, notifier, parseNotifyCommand, RateLimit } from '../../src/console/notify.js';
import type { GatewayEvent, InboxRequest } from '../../src/gateway/gateway.js';

const request = (over: Partial<InboxRequest> = {}): InboxRequest => ({
  id: 'r1',
  host: 'pypi.org',
  port: 443,
  binary: '/usr/bin/curl',
  firstSeen: 1,
  lastSeen: 1,
  hits: 1,
  samples: [{ method: 'GET', path: '/simple/' }],
  status: 'pending',
  held: 1,
  reason: 'no rule',
  sandbox: 'local',
  ...over,
});
const event = (over: Partial<InboxRequest> = {}): GatewayEvent => ({ type: 'request', request: request(over) });

describe('desktop notifications', () => {
  it('OSC 9 and OSC 777 on a new pending request only', () => {
    const out: string[] = [];
    const notify9 = notifier({ desktop: 'osc9', write: (t) => out.push(t) })!;
    notify9('embedded', event());
    notify9('embedded', event({ hits: 2 }));
    notify9('embedded', event({ status: 'approved' }));
    expect(out).toEqual(['\u001b]9;openshell-term: embedded: pypi.org:443 GET /simple/ (curl) waits for a decision\u0007']);
    expect(desktopSequence('osc777', 'openshell-term', 'body')).toBe('\u001b]777;notify;openshell-term;body\u0007');
  });

  it("an agent's host or path cannot end the sequence or start another", () => {
    const seq = desktopSequence('osc777', 'openshell-term', 'evil\u0007\u001b]52;c;AAAA\u0007;x');
    expect(seq.startsWith('\u001b]777;notify;openshell-term;')).toBe(true);
    expect(seq.slice(0, -1)).not.toContain('\u0007');
    expect(seq.match(/;/g)).toHaveLength(3);
    expect((seq.match(/\u001b/g) ?? []).length).toBe(1);
  });

  it('the bell, too, when asked; nothing at all when nothing is asked', () => {
    const out: string[] = [];
    notifier({ bell: true, write: (t) => out.push(t) })!('embedded', event());
    expect(out).toEqual(['\u0007']);
    expect(notifier({})).toBeUndefined();
  });
});

describe('rate limit under flood', () => {
  it('lets a burst through, then one per interval, and says how many it held back', () => {
    let t = 0;
    const limit = new RateLimit(3, 5000, () => t);
    const gone = Array.from({ length: 100 }, () => limit.take().go);
    expect(gone.filter(Boolean)).toHaveLength(3);
    t += 5000;
    expect(limit.take()).toEqual({ go: true, skipped: 97 });
    expect(limit.take().go).toBe(false);
  });

  it('a flood of 1,000 new requests makes 3 desktop notifications, the next one later says "+N more"', () => {
    let t = 0;
    const out: string[] = [];
    const notify = notifier({ desktop: 'osc9', write: (x) => out.push(x), now: () => t })!;
    for (let i = 0; i < 1000; i++) notify('embedded', event({ id: `r${i}` }));
    expect(out).toHaveLength(3);
    t += 5000;
    notify('embedded', event({ id: 'late' }));
    expect(out[3]).toContain('(+997 more)');
  });
});

describe('--notify-cmd', () => {
  it('runs the command as argv, no shell; the request facts arrive as environment variables', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ost-notify-'));
    const file = join(dir, 'got.json');
    const script = `require('fs').writeFileSync(${JSON.stringify(file)}, JSON.stringify({argv: process.argv.slice(1), env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('OPENSHELL_')))}))`;
    const argv = [process.execPath, '-e', script, '--', 'a;b', '$(x)'];
    const problems: string[] = [];
    const notify = notifier({ command: argv, onProblem: (m) => problems.push(m) })!;
    // A host an agent controls, with shell syntax in it: only ever a value.
    notify('embedded', event({ host: 'x.test;touch /tmp/pwned', samples: [{ method: 'POST', path: '/$(id)' }] }));
    let got: { argv: string[]; env: Record<string, string> } | undefined;
    for (let i = 0; i < 200 && !got; i++) {
      try {
        got = JSON.parse(readFileSync(file, 'utf8'));
      } catch {
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    expect(got?.argv).toEqual(['a;b', '$(x)']);
    expect(got?.env).toMatchObject({
      OPENSHELL_REQUEST_ID: 'r1',
      OPENSHELL_REQUEST_HOST: 'x.test;touch /tmp/pwned',
      OPENSHELL_REQUEST_PORT: '443',
      OPENSHELL_REQUEST_METHOD: 'POST',
      OPENSHELL_REQUEST_PATH: '/$(id)',
      OPENSHELL_REQUEST_BINARY: '/usr/bin/curl',
      OPENSHELL_GATEWAY_NAME: 'embedded',
      OPENSHELL_NOTIFICATIONS_SKIPPED: '0',
    });
    expect(problems).toEqual([]);
  });

  it('a command that cannot run is said (once), not swallowed', async () => {
    const problems: string[] = [];
    const notify = notifier({ command: ['/nonexistent/notify-me'], onProblem: (m) => problems.push(m) })!;
    notify('embedded', event({ id: 'a' }));
    notify('embedded', event({ id: 'b' }));
    for (let i = 0; i < 100 && problems.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/--notify-cmd failed: .*ENOENT/);
  });

  it('the flag is split into words, never given to a shell', () => {
    expect(parseNotifyCommand('notify-send  openshell ')).toEqual(['notify-send', 'openshell']);
    expect(() => parseNotifyCommand('   ')).toThrow(/needs a command/);
  });
});
