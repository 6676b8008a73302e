// The operator views, action by action: workspaces, the sandbox screen's metadata / settings / draft
// history, setting a setting (typed check, then confirm), copying log lines. No Ink, no gateway, no sleeps.
import { describe, expect, it } from 'vitest';
import { ALL_WORKSPACES } from '../../../src/gateway/operator-views.js';
import { checkSettingInput } from '../../../src/gateway/setting-input.js';
import { want, wantNamed, type QuerySlots } from '../../../src/store/queries.js';
import { nextWorkspace, selectSettingsRows } from '../../../src/store/ui/operator-selectors.js';
import type { Effect } from '../../../src/store/ui/effects.js';
import { osc52 } from '../../../src/store/ui/osc52.js';
import { selectFooter, selectWantedQueries, type UiWorld } from '../../../src/store/ui/selectors.js';
import { initialUiState } from '../../../src/store/ui/ui-state.js';
import { ctrl, Driver, ENTER, ESC, GATEWAY_CAPABILITIES, log, world } from './fixtures.js';

const CAPS = { ...GATEWAY_CAPABILITIES, workspaces: true, settings: true, draftHistory: true, sandboxMetadata: true };

const slot = (q: ReturnType<typeof want>, data: unknown) => ({ family: q.family, key: q.key, status: 'ok' as const, data });

/** A gateway world with workspaces `default` and `team`, on `default`, and two settings. */
function gatewayWorld(over: Partial<UiWorld> = {}): UiWorld {
  const base = world([], { capabilities: CAPS, workspace: 'default' });
  const wq = want('workspaces', undefined, base.epoch);
  const sq = want('settings', 'local', `${base.epoch}.0`);
  const gq = want('globalSettings', undefined, `${base.epoch}.0`);
  const queries: QuerySlots = {
    workspaces: slot(wq, [
      { name: 'default', phase: 'active' },
      { name: 'team', phase: 'active' },
    ]),
    settings: slot(sq, [
      { key: 'ocsf_json_enabled', value: 'true', kind: 'bool', source: 'sandbox', type: 'bool' },
      { key: 'proposal_approval_mode', value: '', kind: 'unset', source: 'unset', type: 'string', allowed: ['manual', 'auto'] },
    ]),
    globalSettings: slot(gq, [{ key: 'providers_v2_enabled', value: 'false', kind: 'bool', source: 'global', type: 'bool' }]),
  } as QuerySlots;
  return { ...base, queries, ...over };
}

describe('workspaces', () => {
  it('w cycles the listed workspaces, then all of them at once, then back to the first', () => {
    expect(nextWorkspace(['default', 'team', ALL_WORKSPACES], 'default')).toBe('team');
    expect(nextWorkspace(['default', 'team', ALL_WORKSPACES], 'team')).toBe(ALL_WORKSPACES);
    expect(nextWorkspace(['default', 'team', ALL_WORKSPACES], ALL_WORKSPACES)).toBe('default');
    const d = new Driver(undefined, gatewayWorld());
    d.press('w');
    expect(d.take()).toEqual([{ type: 'call', call: { op: 'selectWorkspace', name: 'team' } }]);
    expect(d.state.status?.text).toBe('switching to workspace team…');
    d.change(gatewayWorld({ workspace: 'team' })).press('w');
    expect(d.take()).toEqual([{ type: 'call', call: { op: 'selectWorkspace', name: ALL_WORKSPACES } }]);
  });

  it('w says why on a gateway without workspaces, and sends nothing', () => {
    const d = new Driver(undefined, world());
    d.press('w');
    expect(d.take()).toEqual([]);
    expect(d.state.status?.text).toMatch(/no workspaces/);
    expect(selectFooter(d.state, world().capabilities).hints.map((h) => h.keys)).not.toContain('w');
  });

  it('w waits for the workspace list instead of guessing', () => {
    const d = new Driver(undefined, gatewayWorld({ queries: {} }));
    d.press('w');
    expect(d.take()).toEqual([]);
    expect(d.state.status?.text).toMatch(/still loading/);
  });

  it('w after the list failed says why and asks again (a new key: the query hook fetches it anew)', () => {
    const base = gatewayWorld();
    const q = want('workspaces', undefined, `${base.epoch}.0`);
    const failed = {
      family: q.family,
      key: q.key,
      status: 'error' as const,
      error: { code: 'unavailable' as const, message: 'deadline exceeded' },
    };
    const d = new Driver(undefined, { ...base, queries: { ...base.queries, workspaces: failed } });
    const before = selectWantedQueries(d.state, d.world).find((x) => x.kind === 'workspaces')?.key;
    d.press('w');
    expect(d.take()).toEqual([]);
    expect(d.state.status).toMatchObject({ kind: 'error', text: 'cannot list workspaces: deadline exceeded; asking again' });
    expect(selectWantedQueries(d.state, d.world).find((x) => x.kind === 'workspaces')?.key).not.toBe(before);
  });

  it('the workspace list is asked for whenever the gateway has workspaces', () => {
    const kinds = selectWantedQueries(initialUiState(), gatewayWorld()).map((q) => q.kind);
    expect(kinds).toContain('workspaces');
    expect(selectWantedQueries(initialUiState(), world()).map((q) => q.kind)).not.toContain('workspaces');
  });
});

describe('the sandbox screen views', () => {
  it('i, s and H open metadata, settings and draft history (and ask for them); again or Esc returns to the policy', () => {
    const d = new Driver(undefined, gatewayWorld());
    d.press('3', 'i');
    expect(d.state.sandboxTab).toBe('metadata');
    expect(selectWantedQueries(d.state, d.world).map((q) => q.kind)).toContain('sandboxMetadata');
    d.press('i');
    expect(d.state.sandboxTab).toBe('policy');
    d.press('s');
    expect(d.state.sandboxTab).toBe('settings');
    expect(selectWantedQueries(d.state, d.world).map((q) => q.kind)).toEqual(expect.arrayContaining(['settings', 'globalSettings']));
    d.press('H');
    expect(d.state.sandboxTab).toBe('history');
    expect(selectWantedQueries(d.state, d.world).map((q) => q.kind)).toContain('draftHistory');
    d.press(ESC);
    expect(d.state.sandboxTab).toBe('policy');
    expect(d.state.screen).toBe('sandbox');
  });

  it('without the capabilities the keys explain and nothing is fetched', () => {
    const d = new Driver(undefined, world());
    d.press('3', 'i');
    expect(d.state.sandboxTab).toBe('policy');
    expect(d.state.status?.text).toMatch(/no sandbox metadata/);
    d.press('s');
    expect(d.state.status?.text).toMatch(/no runtime settings/);
  });
});

describe('settings: typed, checked, confirmed', () => {
  it('rows are the sandbox settings then the global ones, each with its scope and source', () => {
    const d = new Driver(undefined, gatewayWorld());
    d.press('3', 's');
    const view = selectSettingsRows(d.state, d.world);
    expect(view.rows.map((r) => `${r.scope}:${r.key}:${r.source}`)).toEqual([
      'sandbox:ocsf_json_enabled:sandbox',
      'sandbox:proposal_approval_mode:unset',
      'global:providers_v2_enabled:global',
    ]);
  });

  it('e opens a prompt with the value; a bad value is refused before anything is sent', () => {
    const d = new Driver(undefined, gatewayWorld());
    d.press('3', 's', 'e');
    expect(d.state.prompt).toMatchObject({ kind: 'setting', value: 'true', setting: { scope: 'sandbox', key: 'ocsf_json_enabled' } });
    d.press(ctrl('u')); // clears the field
    d.press('maybe', ENTER);
    expect(d.take()).toEqual([]);
    expect(d.state.status).toMatchObject({ kind: 'error', code: 'invalid_argument' });
    expect(d.state.status?.text).toMatch(/takes a bool/);
    expect(d.state.prompt?.value).toBe('maybe'); // kept, to fix
  });

  it('a good value asks first, with exactly what will be sent; y sends it, and the settings are fetched again after', () => {
    const d = new Driver(undefined, gatewayWorld());
    d.press('3', 's', 'j', 'e', 'auto', ENTER);
    expect(d.take()).toEqual([]);
    expect(d.state.overlay).toBe('confirm');
    expect(d.state.pendingCall?.question).toBe('Set proposal_approval_mode = auto (sandbox local; was unset)?');
    d.press('y');
    const effects = d.take();
    expect(effects).toEqual([
      { type: 'call', call: { op: 'setSetting', scope: 'sandbox', sandbox: 'local', key: 'proposal_approval_mode', raw: 'auto' } },
    ]);
    expect(d.state.overlay).toBe('none');
    const call = (effects[0] as Extract<Effect, { type: 'call' }>).call;
    d.dispatch({ type: 'call.done', call, result: undefined });
    expect(d.state.settingsRev).toBe(1);
    expect(d.state.status?.text).toBe('set proposal_approval_mode = auto (sandbox local)');
    // The next question about settings has a new key: the hook asks the gateway again.
    expect(selectWantedQueries(d.state, d.world).find((q) => q.kind === 'settings')?.key).toMatch(/\.1$/);
  });

  it('a value outside the allowed list is refused with the list', () => {
    const d = new Driver(undefined, gatewayWorld());
    d.press('3', 's', 'j', 'e', 'sometimes', ENTER);
    expect(d.state.status?.text).toBe("proposal_approval_mode must be one of manual, auto, got 'sometimes'");
  });

  it('d deletes a global setting after a confirm; n cancels, and nothing is sent', () => {
    const d = new Driver(undefined, gatewayWorld());
    d.press('3', 's', 'j', 'j', 'd');
    expect(d.state.pendingCall?.question).toBe('Delete providers_v2_enabled (gateway-global)?');
    d.press('n');
    expect(d.take()).toEqual([]);
    expect(d.state.pendingCall).toBeUndefined();
    d.press('d', 'y');
    expect(d.take()).toEqual([{ type: 'call', call: { op: 'setSetting', scope: 'global', key: 'providers_v2_enabled', raw: null } }]);
  });

  it('d on a setting with no value of its own says so', () => {
    const d = new Driver(undefined, gatewayWorld());
    d.press('3', 's', 'j', 'd');
    expect(d.state.overlay).toBe('none');
    expect(d.state.status?.text).toMatch(/no sandbox value to delete/);
  });

  it('a failure keeps its code on the status line', () => {
    const d = new Driver(undefined, gatewayWorld());
    d.dispatch({
      type: 'call.failed',
      call: { op: 'setSetting', scope: 'global', key: 'x', raw: '1' },
      error: { code: 'permission_denied', message: 'not an admin' },
    });
    expect(d.state.status).toEqual({ text: 'set x (gateway-global) failed: not an admin', kind: 'error', code: 'permission_denied' });
  });

  it('the typed check: bools leniently, 64-bit integers, allowed strings', () => {
    expect(checkSettingInput({ key: 'b', type: 'bool' }, ' Yes ')).toEqual({ value: 'true' });
    expect(checkSettingInput({ key: 'b', type: 'bool' }, 'off')).toEqual({ value: 'false' });
    expect(checkSettingInput({ key: 'n', type: 'int' }, '-42')).toEqual({ value: '-42' });
    expect(checkSettingInput({ key: 'n', type: 'int' }, '9223372036854775808')).toHaveProperty('error');
    expect(checkSettingInput({ key: 'n', type: 'int' }, '1.5')).toHaveProperty('error');
    expect(checkSettingInput({ key: 's', type: 'string' }, '')).toHaveProperty('error');
    expect(checkSettingInput({ key: 'u' }, 'x')).toHaveProperty('error');
  });
});

describe('providers', () => {
  it(':creds NAME opens the provider on the dashboard and asks for it; Esc closes it', () => {
    const d = new Driver(undefined, gatewayWorld());
    d.press(':', 'creds github', ENTER);
    expect(d.state).toMatchObject({ screen: 'dashboard', providerDetail: 'github' });
    expect(selectWantedQueries(d.state, d.world)).toContainEqual(wantNamed('providerDetail', 'github', d.world.epoch));
    d.press(ESC);
    expect(d.state.providerDetail).toBeUndefined();
    expect(d.state.screen).toBe('dashboard');
  });
});

describe('logs: copy', () => {
  const logs = Array.from({ length: 40 }, (_, i) => log(i + 1, { time: Date.UTC(2026, 0, 1, 0, 0, i) }));

  it('y copies the line at the cursor, Y the lines in view, as plain text (OSC 52 effect)', () => {
    const d = new Driver(initialUiState({ rows: 20, columns: 100 }), world([], { logs }));
    d.press('4', 'y');
    expect(d.take()).toEqual([{ type: 'copy', text: '2026-01-01T00:00:39.000Z info agent line 40' }]);
    expect(d.state.status?.text).toBe('copied 1 log line to the clipboard (OSC 52)');
    d.press('k', 'Y');
    const [copy] = d.take() as Array<{ type: 'copy'; text: string }>;
    const lines = copy.text.split('\n');
    expect(lines).toHaveLength(13); // 20 rows: a body of 14, the pane's own header takes one
    expect(lines.at(-1)).toMatch(/line 39$/);
    expect(lines[0]).toMatch(/line 27$/);
  });

  it('nothing to copy says so', () => {
    const d = new Driver(undefined, world());
    d.press('4', 'y');
    expect(d.take()).toEqual([]);
    expect(d.state.status?.text).toBe('no log lines to copy');
  });

  it('the sequence is OSC 52 to the clipboard with the text in base64', () => {
    expect(osc52('héllo\n')).toBe(`\u001b]52;c;${Buffer.from('héllo\n').toString('base64')}\u0007`);
  });
});
