// The console as an operator uses it: requests arrive, keys decide them, the core receives the decisions.
import { afterEach, describe, expect, it } from 'vitest';
import { KEYS, startConsole } from '../helpers/console.js';

type Console = Awaited<ReturnType<typeof startConsole>>;
let ui: Console | undefined;

afterEach(async () => {
  await ui?.stop();
  ui = undefined;
});

/** A real held request in the real core (no network needed): resolves with its verdict once decided. */
const hold = (c: Console, host: string, extra: { method?: string; path?: string } = {}) =>
  c.core.evaluate(
    { host, port: 443, binary: '/usr/bin/curl', ...extra },
    extra.method ? { method: extra.method, path: extra.path ?? '/' } : undefined,
  );

describe('console', () => {
  it('starts on an empty inbox, without errors', async () => {
    ui = await startConsole();
    const frame = await ui.waitForFrame((f) => f.includes('No requests yet') && f.includes('● connected'));
    expect(frame).toContain('openshell-term');
    expect(frame).toContain('● connected');
    expect(frame).toContain('? help');
    expect(frame).not.toContain('Error');
  });

  it('shows a held request with its countdown; a approves it and the held request proceeds', async () => {
    ui = await startConsole();
    const verdict = hold(ui, 'pypi.org', { method: 'GET', path: '/simple/requests/' });
    const frame = await ui.waitForFrame((f) => f.includes('pypi.org:443'));
    expect(frame).toMatch(/GET \/simple\/requ/);
    expect(frame).toMatch(/held \d+s/);
    expect(frame).toContain('curl');
    await ui.press('a');
    expect((await verdict).allowed).toBe(true);
    await ui.waitForFrame((f) => f.includes('approved'));
    expect(ui.core.revision.cause).toBe('approval');
  });

  it('r rejects (403 for the agent), u undoes it', async () => {
    ui = await startConsole();
    const verdict = hold(ui, 'evil.example');
    await ui.waitForFrame((f) => f.includes('evil.example:443'));
    await ui.press('r');
    expect((await verdict).allowed).toBe(false);
    await ui.waitForFrame((f) => f.includes('rejected'));
    await ui.press('u');
    await ui.waitForFrame((f) => f.includes('undid r1'));
    expect(ui.core.listRequests()[0].status).toBe('pending');
  });

  it('R asks for a reason, which the agent gets in its 403', async () => {
    ui = await startConsole();
    const verdict = hold(ui, 'tracker.example');
    await ui.waitForFrame((f) => f.includes('tracker.example'));
    await ui.press('R');
    await ui.waitForFrame((f) => f.includes('reject reason:'));
    await ui.type('no trackers');
    await ui.press(KEYS.enter);
    const v = await verdict;
    expect(v.allowed).toBe(false);
    expect(v.decision.reason).toContain('no trackers');
  });

  it('t cycles the lifetime; an approval "once" lets only the waiting request through', async () => {
    ui = await startConsole();
    const first = hold(ui, 'once.example');
    await ui.waitForFrame((f) => f.includes('once.example'));
    await ui.press('t');
    await ui.waitForFrame((f) => f.includes('[once]'));
    await ui.press('a');
    expect((await first).allowed).toBe(true);
    expect(ui.core.revision.number).toBe(1); // no policy change for "once"
  });

  it('A approves all visible pending requests after a confirmation', async () => {
    ui = await startConsole();
    const verdicts = ['a.example', 'b.example', 'c.example'].map((h) => hold(ui!, h));
    await ui.waitForFrame((f) => f.includes('a.example') && f.includes('c.example'));
    await ui.press('A');
    await ui.waitForFrame((f) => f.includes('Approve all 3 visible pending requests'));
    await ui.press('y');
    expect((await Promise.all(verdicts)).every((v) => v.allowed)).toBe(true);
  });

  it('/ filters by host, Esc clears the filter first', async () => {
    ui = await startConsole();
    hold(ui, 'api.github.com');
    hold(ui, 'registry.npmjs.org');
    await ui.waitForFrame((f) => f.includes('api.github.com') && f.includes('registry.npmjs.org'));
    await ui.press('/');
    await ui.type('npm');
    await ui.press(KEYS.enter);
    const filtered = await ui.waitForFrame((f) => !f.includes('api.github.com'));
    expect(filtered).toContain('registry.npmjs.org');
    expect(filtered).toContain('filter: npm');
    await ui.press(KEYS.escape);
    await ui.waitForFrame((f) => f.includes('api.github.com'));
  });

  it('j/k move the selection; Enter opens the detail with what approving would add', async () => {
    ui = await startConsole();
    hold(ui, 'first.example');
    await ui.waitForFrame((f) => f.includes('first.example'));
    hold(ui, 'second.example', { method: 'POST', path: '/v1/upload' });
    await ui.waitForFrame((f) => f.includes('second.example'));
    await ui.press('j');
    await ui.press(KEYS.enter);
    const detail = await ui.waitForFrame((f) => f.includes('approving adds'));
    expect(detail).toContain('endpoints: [ { host: first.example, port: 443 } ]');
    expect(detail).toContain('Request r1');
    expect(detail).toContain('first.example:443');
    expect(detail).toContain('session_approval_r1');
    expect(detail).toContain('/usr/bin/curl');
    await ui.press(KEYS.escape);
    await ui.waitForFrame((f) => !f.includes('approving adds'));
  });

  it('? shows help generated from the keymap', async () => {
    ui = await startConsole();
    await ui.press('?');
    const help = await ui.waitForFrame((f) => f.includes('Keys — inbox'));
    expect(help).toContain('Approve the selected request');
    expect(help).toContain('Reject with a reason');
    await ui.press('?');
    await ui.waitForFrame((f) => !f.includes('Keys — inbox'));
  });

  it(': runs commands; unknown ones explain themselves', async () => {
    ui = await startConsole();
    const verdict = hold(ui, 'cmd.example');
    await ui.waitForFrame((f) => f.includes('cmd.example'));
    await ui.press(':');
    await ui.type('approve r1');
    await ui.press(KEYS.enter);
    expect((await verdict).allowed).toBe(true);
    await ui.press(':');
    await ui.type('frobnicate');
    await ui.press(KEYS.enter);
    await ui.waitForFrame((f) => f.includes("unknown command ':frobnicate'"));
    await ui.press(':');
    await ui.type('q');
    await ui.press(KEYS.enter);
    expect(ui.quitRequested()).toBe(true);
  });

  it('2, 3 and 4 show the dashboard, the labelled effective policy with revisions, and the logs', async () => {
    ui = await startConsole();
    const verdict = hold(ui, 'layer.example');
    await ui.waitForFrame((f) => f.includes('layer.example'));
    await ui.press('a');
    await verdict;
    await ui.press('2');
    const dash = await ui.waitForFrame((f) => f.includes('Sandboxes'));
    expect(dash).toContain('Gateways');
    expect(dash).toContain('standalone');
    expect(dash).toContain('Providers');
    await ui.press(KEYS.enter);
    await ui.waitForFrame((f) => f.includes('Effective policy'));
    await ui.press('2');
    await ui.press('3');
    const sandbox = await ui.waitForFrame((f) => f.includes('Effective policy'));
    expect(sandbox).toContain('session_approval_r1:   # session approval');
    expect(sandbox).toMatch(/2 .* approval: approve r1/);
    await ui.press('4');
    const logs = await ui.waitForFrame((f) => f.includes('FOLLOWING'));
    expect(logs).toContain('approved r1 layer.example:443');
    await ui.press('k');
    await ui.waitForFrame((f) => f.includes('PAUSED'));
    await ui.press('f');
    await ui.waitForFrame((f) => f.includes('FOLLOWING'));
    await ui.press('q');
    await ui.waitForFrame((f) => f.includes('layer.example'));
  });

  it('logs filter by level and source, search text, and show a line in full', async () => {
    ui = await startConsole();
    ui.core.log('info', 'agent', 'fetching the index');
    ui.core.log('warn', 'agent', 'slow upstream, retrying');
    ui.core.log('error', 'proxy', 'upstream reset the connection');
    await ui.press('4');
    await ui.waitForFrame((f) => f.includes('upstream reset'));
    await ui.press(':');
    await ui.type('level warn');
    await ui.press(KEYS.enter);
    let frame = await ui.waitForFrame((f) => f.includes('level ≥ warn'));
    expect(frame).not.toContain('fetching the index');
    expect(frame).toContain('slow upstream');
    await ui.press(':');
    await ui.type('source proxy');
    await ui.press(KEYS.enter);
    frame = await ui.waitForFrame((f) => f.includes('source: proxy'));
    expect(frame).not.toContain('slow upstream');
    expect(frame).toContain('upstream reset');
    await ui.press(KEYS.enter);
    await ui.waitForFrame((f) => f.includes('Log line'));
    await ui.press(KEYS.escape);
    await ui.press(':');
    await ui.type('level all');
    await ui.press(KEYS.enter);
    await ui.press(':');
    await ui.type('source all');
    await ui.press(KEYS.enter);
    await ui.press('/');
    await ui.type('index');
    await ui.press(KEYS.enter);
    frame = await ui.waitForFrame((f) => f.includes('filter: index'));
    expect(frame).toContain('fetching the index');
    expect(frame).not.toContain('upstream reset');
  });

  it(':rev N compares a past revision with the current policy; Esc returns', async () => {
    ui = await startConsole();
    const verdict = hold(ui, 'diff.example');
    await ui.waitForFrame((f) => f.includes('diff.example'));
    await ui.press('a');
    await verdict;
    await ui.press(':');
    await ui.type('rev 1');
    await ui.press(KEYS.enter);
    const diff = await ui.waitForFrame((f) => f.includes('Revision 1 → 2'));
    expect(diff).toContain('+   session_approval_r1:');
    expect(diff).toContain('+       - host: diff.example');
    await ui.press(KEYS.escape);
    await ui.waitForFrame((f) => f.includes('Effective policy — revision 2'));
  });

  it('p promotes: name pre-filled and validated live, access cycles, Enter writes the preset and releases the request', async () => {
    ui = await startConsole();
    const verdict = hold(ui, 'files.pythonhosted.org', { method: 'GET', path: '/packages/x.whl' });
    await ui.waitForFrame((f) => f.includes('files.pythonhosted.org'));
    await ui.press('p');
    let frame = await ui.waitForFrame((f) => f.includes('Promote r1'));
    expect(frame).toContain('files-pythonhosted-org');
    expect(frame).toContain('read-only');
    expect(frame).toContain('✓ ready');
    expect(frame).toContain('host: files.pythonhosted.org');
    // Replace the name with a built-in one: refused live.
    for (let i = 0; i < 'files-pythonhosted-org'.length; i++) await ui.press(KEYS.backspace);
    await ui.type('pypi');
    frame = await ui.waitForFrame((f) => f.includes('is a built-in preset name'));
    await ui.type('-mirror');
    await ui.waitForFrame((f) => f.includes('✓ ready'));
    await ui.press(KEYS.tab, KEYS.tab); // to access
    await ui.press(' ');
    await ui.waitForFrame((f) => /access\s+read-write/.test(f));
    await ui.press(KEYS.enter);
    expect((await verdict).allowed).toBe(true);
    frame = await ui.waitForFrame((f) => f.includes("promoted r1 to preset 'pypi-mirror'"));
    expect(frame).toContain('pypi-mirror.yaml');
    expect(ui.core.revision.cause).toBe('preset add');
  });

  it(':preset add / remove and :tier change the effective policy', async () => {
    ui = await startConsole();
    await ui.press(':');
    await ui.type('preset add pypi');
    await ui.press(KEYS.enter);
    await ui.waitForFrame((f) => f.includes("applied preset 'pypi'"));
    expect(Object.keys(ui.core.effective.policy.network_policies)).toContain('pypi');
    await ui.press(':');
    await ui.type('preset remove pypi');
    await ui.press(KEYS.enter);
    await ui.waitForFrame((f) => f.includes("removed preset 'pypi'"));
    expect(Object.keys(ui.core.effective.policy.network_policies)).not.toContain('pypi');
    await ui.press(':');
    await ui.type('tier balanced');
    await ui.press(KEYS.enter);
    await ui.waitForFrame((f) => f.includes('tier balanced: applied'));
    expect(ui.core.revision.cause).toBe('tier');
    await ui.press(':');
    await ui.type('tier lavish');
    await ui.press(KEYS.enter);
    await ui.waitForFrame((f) => f.includes("unknown tier 'lavish'"));
  });

  it('never lets an agent draw on the screen: control characters and bidi overrides are stripped', async () => {
    ui = await startConsole();
    hold(ui, 'evil\u001b[2J\u001b[31m.example\u202e', { method: 'GET', path: '/\u001b]0;pwned\u0007x' });
    const frame = await ui.waitForFrame((f) => f.includes('evil'));
    expect(frame).not.toMatch(/\u001b\[2J|\u001b\]0;|\u202e|\u0007/);
    await ui.press(KEYS.enter); // the detail shows the full host and path: sanitised there too
    const detail = await ui.waitForFrame((f) => f.includes('Request r1'));
    expect(detail).not.toMatch(/\u001b|\u202e|\u0007/);
  });

  it('a burst of 3,000 log lines and 200 requests renders without errors, logs still following', async () => {
    ui = await startConsole({ holdTimeoutSeconds: 0 });
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(args);
    try {
      await ui.press('4');
      for (let i = 0; i < 3000; i++) ui.core.log('info', 'agent', `line ${i}`);
      for (let i = 0; i < 200; i++) void ui.core.evaluate({ host: `h${i}.burst.test`, port: 443, binary: '/usr/bin/node' });
      // The newest line is the last new request's (the logs are the operator's event stream).
      const frame = await ui.waitForFrame((f) => f.includes('new request r200'));
      expect(frame).toContain('● FOLLOWING');
      expect(frame).not.toContain('Error');
      await ui.press('1');
      await ui.waitForFrame((f) => f.includes('200 pending'));
    } finally {
      console.error = original;
    }
    expect(errors).toEqual([]);
  });

  it('q on the inbox quits', async () => {
    ui = await startConsole();
    await ui.press('q');
    expect(ui.quitRequested()).toBe(true);
  });
});
