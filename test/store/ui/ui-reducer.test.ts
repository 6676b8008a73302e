// The console's behaviour, action by action: keys in, UI state and effects out. No Ink, no core, no sleeps.
import { describe, expect, it } from 'vitest';
import { COMMAND_IDS } from '../../../src/store/ui/commands.js';
import { selectFooter, selectSelected, selectVisibleRequests } from '../../../src/store/ui/selectors.js';
import { reduce } from '../../../src/store/ui/ui-reducer.js';
import { initialUiState, SCREENS } from '../../../src/store/ui/ui-state.js';
import { ctrl, DOWN, Driver, ENTER, ESC, GATEWAY_CAPABILITIES, input, log, request, SHIFT_TAB, TAB, world } from './fixtures.js';

const three = () => world([request('r1', 1), request('r2', 2), request('r3', 3)]);
const selectedOf = (d: Driver) =>
  selectSelected(d.state.selectedId, selectVisibleRequests(d.world.requests, d.world.order, d.state.inboxFilter)).request?.id;

describe('selection', () => {
  it('lands on the newest request, and stays on it while newer ones arrive above', () => {
    const d = new Driver(undefined, world([request('r1', 1)]));
    expect(selectedOf(d)).toBe('r1');
    d.change(world([request('r1', 1), request('r2', 2)]));
    expect(selectedOf(d)).toBe('r1'); // the row under the operator's finger does not change by itself
  });

  it('characters that arrive together are separate keys: "jj" moves two rows, "kk" back', () => {
    const d = new Driver(undefined, three());
    expect(selectedOf(d)).toBe('r3');
    d.press('jj');
    expect(selectedOf(d)).toBe('r1');
    d.press('kk');
    expect(selectedOf(d)).toBe('r3');
    d.press('G');
    expect(selectedOf(d)).toBe('r1');
    d.press('g');
    expect(selectedOf(d)).toBe('r3');
  });
});

describe('decisions leave as effects, outcomes come back as the status line', () => {
  it('a approves the selection with the current lifetime; t cycles it', () => {
    const d = new Driver(undefined, three());
    d.press('t', 'a');
    expect(d.take()).toEqual([
      { type: 'call', call: { op: 'approve', id: 'r3', subject: 'r3.example:443', lifetime: 'once', revision: false } },
    ]);
    d.dispatch({
      type: 'call.done',
      call: { op: 'approve', id: 'r3', subject: 'r3.example:443', lifetime: 'once', revision: false },
      result: undefined,
    });
    expect(d.state.status).toEqual({ text: 'approved r3 r3.example:443 (once)', kind: 'info' });
  });

  it('a failure keeps its kind: the status line says what was tried, why, and what to do for a stale review', () => {
    const d = new Driver(undefined, three());
    const call = { op: 'approve' as const, id: 'r3', subject: 'r3.example:443', lifetime: 'session' as const, revision: false };
    d.dispatch({ type: 'call.failed', call, error: { code: 'stale_review', message: 'review token is stale' } });
    expect(d.state.status?.kind).toBe('error');
    expect(d.state.status?.code).toBe('stale_review');
    expect(d.state.status?.text).toMatch(/^approve r3 failed: review token is stale \(the request changed since it was shown/);
  });

  it('on a gateway without lifetimes an approval is a revision: t explains, the nav bar offers no lifetime', () => {
    const d = new Driver(undefined, world([request('gw/1', 1)], { capabilities: GATEWAY_CAPABILITIES }));
    d.press('t');
    expect(d.state.status?.text).toContain('policy revision');
    expect(d.take()).toEqual([]);
    const footer = selectFooter(d.state, GATEWAY_CAPABILITIES);
    expect(footer.lifetime).toBeUndefined();
    expect(footer.hints.map((h) => h.label)).not.toContain('lifetime');
    d.press('a');
    expect(d.take()).toMatchObject([{ call: { op: 'approve', revision: true } }]);
  });

  it('R asks for a reason for the request selected then, whatever is selected when Enter is pressed', () => {
    const d = new Driver(undefined, three());
    d.press('R', 'no ', 'trackers');
    d.change(world([request('r1', 1), request('r2', 2), request('r3', 3), request('r4', 4)]));
    d.press(ENTER);
    expect(d.take()).toEqual([{ type: 'call', call: { op: 'reject', id: 'r3', subject: 'r3.example:443', reason: 'no trackers' } }]);
  });

  it('A asks the gateway what it would do, asks first with that list, and approves exactly what it said', () => {
    const d = new Driver(undefined, world([request('r1', 1), request('r2', 2, { status: 'approved' }), request('r3', 3)]));
    d.press('A');
    const preview = { op: 'previewApproveAll' as const, ids: ['r3', 'r1'], lifetime: 'session' as const };
    expect(d.take()).toEqual([{ type: 'call', call: preview }]);
    expect(d.state.overlay).toBe('none'); // nothing to confirm until the gateway answers
    const r = d.world.requests;
    d.dispatch({ type: 'call.done', call: preview, result: { approve: [r.r3, r.r1], skip: [] } });
    expect(d.state.confirm).toMatchObject({ kind: 'approveAll', ids: ['r3', 'r1'], lifetime: 'session', skip: [] });
    d.press('j', 'a', 'q'); // the dialog owns the keys while open
    expect(d.take()).toEqual([]);
    expect(d.state.overlay).toBe('confirm');
    d.press('n');
    expect(d.state.overlay).toBe('none');
    d.dispatch({ type: 'call.done', call: preview, result: { approve: [r.r3, r.r1], skip: [] } });
    d.press('y');
    expect(d.take()).toEqual([{ type: 'call', call: { op: 'approveAll', ids: ['r3', 'r1'], lifetime: 'session', revision: false } }]);
  });
});

describe('each overlay owns its keys', () => {
  it('in the detail view a, r, u and p act on the request shown, and the nav bar offers them', () => {
    const d = new Driver(undefined, three());
    d.press(ENTER);
    expect(d.state.overlay).toBe('detail');
    expect(selectFooter(d.state, d.world.capabilities).hints.map((h) => h.label)).toEqual(
      expect.arrayContaining(['approve', 'reject', 'undo', 'promote', 'close']),
    );
    d.press('a');
    expect(d.take()).toMatchObject([{ call: { op: 'approve', id: 'r3' } }]);
    d.press('j'); // the detail follows the selection
    d.press('x');
    expect(d.take()).toMatchObject([{ call: { op: 'reject', id: 'r2' } }]);
    d.press('q');
    expect(d.state.overlay).toBe('none');
  });

  it('the help overlay ignores everything but the keys that close it', () => {
    const d = new Driver(undefined, three());
    d.press('?', 'a', 'j', '2');
    expect(d.take()).toEqual([]);
    expect(d.state).toMatchObject({ overlay: 'help', screen: 'inbox' });
    d.press('?');
    expect(d.state.overlay).toBe('none');
  });

  it('a log line in detail has no decisions', () => {
    const d = new Driver(undefined, world([request('r1', 1)], { logs: [log(1), log(2)] }));
    d.press('4', ENTER, 'a');
    expect(d.state.overlay).toBe('detail');
    expect(d.take()).toEqual([]);
  });
});

describe('text fields', () => {
  it('typed text goes into the prompt, letters included; a burst of Backspace is every Backspace', () => {
    const d = new Driver(undefined, three());
    d.press('/', 'r3.exq');
    expect(d.state.prompt?.value).toBe('r3.exq');
    d.press('\u007f\u007f\u007f\u007f');
    expect(d.state.prompt?.value).toBe('r3');
    d.press(ENTER);
    expect(d.state.inboxFilter).toBe('r3');
    expect(d.take()).toEqual([]); // not one approve or reject on the way
  });

  it('Ctrl bindings match: C-w deletes a word, C-u clears; in normal mode C-d pages down', () => {
    const d = new Driver(undefined, three());
    d.press(':', 'reject r1 bad idea', ctrl('w'));
    expect(d.state.prompt?.value).toBe('reject r1 bad ');
    d.press(ctrl('u'));
    expect(d.state.prompt?.value).toBe('');
    d.press(ESC, ctrl('d'));
    expect(selectedOf(d)).toBe('r1');
  });

  it('control characters never reach a field', () => {
    const d = new Driver(undefined, three());
    d.press('/', 'a\u0007b\u009bc\u0000d');
    expect(d.state.prompt?.value).toBe('abcd');
  });

  it('":q" and Enter typed in one burst quit', () => {
    const d = new Driver(undefined, three());
    d.press(':q\r');
    expect(d.take()).toEqual([{ type: 'quit' }]);
  });
});

describe(': commands', () => {
  it('an unknown command names the closest and lists the real ones', () => {
    const d = new Driver(undefined, three());
    d.press(':', 'aprove r1', ENTER);
    expect(d.state.status?.kind).toBe('error');
    expect(d.state.status?.text).toContain("unknown command ':aprove' (did you mean :approve?)");
    expect(d.state.status?.text).toContain(':preset add|remove NAME');
  });

  it('Tab completes the command, then its arguments; ambiguous prefixes list the candidates', () => {
    const d = new Driver(undefined, three());
    d.press(':', 'app', TAB);
    expect(d.state.prompt?.value).toBe('approve ');
    d.press('r', TAB);
    expect(d.state.prompt?.value).toBe('approve r');
    expect(d.state.status?.text).toBe('r1  r2  r3');
    d.press('2', TAB, 'o', TAB, ENTER);
    expect(d.take()).toEqual([
      { type: 'call', call: { op: 'approve', id: 'r2', subject: 'r2.example:443', lifetime: 'once', revision: false } },
    ]);
  });

  it('arguments are checked before anything is sent', () => {
    const d = new Driver(undefined, three());
    for (const line of ['approve r1 forever', 'rev x', 'level loud', 'preset frob pypi', 'approve nope']) d.press(':', line, ENTER);
    expect(d.take()).toEqual([]);
    expect(d.state.status?.text).toBe("no request 'nope'");
  });

  it('commands a gateway cannot run are refused with why', () => {
    const d = new Driver(undefined, three());
    d.world = { ...d.world, capabilities: { ...d.world.capabilities, tiers: false } };
    d.press(':', 'tier balanced', ENTER);
    expect(d.take()).toEqual([]);
    expect(d.state.status).toMatchObject({ kind: 'error', code: 'unimplemented' });
  });
});

describe('the promote form', () => {
  it('opens with the core’s defaults: name from the host, read-only for a GET, read-write for a POST', () => {
    const get = new Driver(undefined, world([request('r1', 1, { host: 'files.pythonhosted.org' })])).press('p');
    expect(get.state.promote?.form).toEqual({ name: 'files-pythonhosted-org', description: '', access: 'read-only', anyBinary: false });
    const post = new Driver(undefined, world([request('r1', 1, { samples: [{ method: 'POST', path: '/upload' }] })])).press('p');
    expect(post.state.promote?.form.access).toBe('read-write');
  });

  it('Tab moves between fields, Space changes a choice, Enter sends exactly the form', () => {
    const d = new Driver(undefined, world([request('r1', 1)]));
    d.press('p', ctrl('u'), 'mine', TAB, 'why not', TAB, ' ', DOWN, ' ', SHIFT_TAB, 'left', input('', { leftArrow: true }), ENTER);
    expect(d.take()).toEqual([
      {
        type: 'call',
        call: { op: 'promote', id: 'r1', request: { name: 'mine', description: 'why not', access: 'read-only', anyBinary: true } },
      },
    ]);
    expect(d.state.overlay).toBe('none');
  });

  it('a built-in name is refused before anything is written', () => {
    const d = new Driver(undefined, world([request('r1', 1)]));
    d.world = {
      ...d.world,
      queries: {
        presets: {
          family: 'presets|local',
          key: 'presets|local@1.1',
          status: 'ok',
          data: [{ name: 'pypi', source: 'builtin', applied: false, description: '' }],
        },
      },
    };
    d.press('p', ctrl('u'), 'pypi', ENTER);
    expect(d.take()).toEqual([]);
    expect(d.state.status?.text).toContain('built-in preset name');
    expect(d.state.overlay).toBe('promote');
  });

  it('closes, saying so, when its request goes away', () => {
    const d = new Driver(undefined, world([request('gw/1', 1)]));
    d.press('p');
    d.change(world([]));
    expect(d.state.overlay).toBe('none');
    expect(d.state.status?.text).toContain('went away');
  });
});

describe('screens and going back', () => {
  it('Esc clears the filter first, then goes back to the inbox; q quits only from the inbox', () => {
    const d = new Driver(undefined, world([request('r1', 1)], { logs: [log(1)] }));
    d.press('4', '/', 'x', ENTER);
    expect(d.state.logsFilter).toBe('x');
    d.press(ESC);
    expect(d.state).toMatchObject({ logsFilter: '', screen: 'logs' });
    d.press(ESC);
    expect(d.state.screen).toBe('inbox');
    d.press('3', 'q');
    expect(d.state.screen).toBe('inbox');
    expect(d.take()).toEqual([]);
    d.press('q');
    expect(d.take()).toEqual([{ type: 'quit' }]);
  });

  it('logs pause when the cursor moves up and follow again on f or G', () => {
    const d = new Driver(undefined, world([], { logs: [log(1), log(2), log(3)] }));
    d.press('4', 'k');
    expect(d.state).toMatchObject({ following: false, pausedCursor: 1 });
    d.press('f');
    expect(d.state.following).toBe(true);
    d.press('kk', 'G');
    expect(d.state.following).toBe(true);
  });

  it('the dashboard starts on the first sandbox; Enter opens it, or switches gateway', () => {
    const gateways = [
      { info: { name: 'embedded', mode: 'standalone' as const, endpoint: 'x', version: '' }, connection: { status: 'connected' as const } },
      { info: { name: 'prod', mode: 'remote' as const, endpoint: 'y', version: '' }, connection: { status: 'connecting' as const } },
    ];
    const d = new Driver(undefined, world([], { gateways }));
    d.press('2', ENTER);
    expect(d.state).toMatchObject({ screen: 'sandbox', currentSandbox: 'local' });
    d.press('2', 'k', ENTER);
    expect(d.take()).toEqual([{ type: 'switchGateway', name: 'prod' }]);
    d.press('k', ENTER);
    expect(d.state.status?.text).toBe('already on embedded');
  });
});

describe('robustness', () => {
  it('every command in every mode and screen leaves a valid state, with or without requests', () => {
    for (const w of [world(), three(), world([request('gw/1', 1)], { capabilities: GATEWAY_CAPABILITIES })]) {
      for (const screen of SCREENS) {
        for (const overlay of ['none', 'help', 'detail', 'confirm', 'promote'] as const) {
          for (const id of COMMAND_IDS) {
            const base = { ...initialUiState(), screen, overlay };
            const t = reduce(base, { type: 'command', id }, w);
            expect(SCREENS).toContain(t.state.screen);
          }
        }
      }
    }
  });

  it('an action that changes nothing returns the same state (no re-render)', () => {
    const d = new Driver(undefined, three());
    const before = d.state;
    d.dispatch({ type: 'data.changed' });
    d.dispatch({ type: 'resize', rows: 30, columns: 120 });
    expect(d.state).toBe(before);
  });
});
