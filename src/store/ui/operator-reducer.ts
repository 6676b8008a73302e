// The operator views' commands, as the UI reducer runs them: cycle workspaces, open the sandbox's
// metadata / settings / draft history, set and delete a setting (typed, checked, then confirmed), copy
// log lines to the clipboard. Pure like the reducer: gateway calls and the clipboard leave as effects.
import { checkSettingInput } from '../../gateway/setting-input.js';
import type { Effect, GatewayCall } from './effects.js';
import { settingPlace, workspaceLabel } from './effects.js';
import {
  logViewHeight,
  nextWorkspace,
  plainLogLine,
  selectDraftHistory,
  selectLogWindow,
  selectSettingsRows,
  selectWorkspaceCycle,
} from './operator-selectors.js';
import { selectLogCursor, selectVisibleLogs, type UiWorld } from './selectors.js';
import type { ConsoleUiState, PromptState, SandboxTab, Status } from './ui-state.js';

/** The same shape as ui-reducer's Transition (declared here so the reducer can import this file, not the reverse). */
export interface OperatorTransition {
  state: ConsoleUiState;
  effects: Effect[];
}

export type OperatorCommand =
  | 'cycleWorkspace'
  | 'sandboxMetadata'
  | 'sandboxSettings'
  | 'draftHistory'
  | 'editSetting'
  | 'deleteSetting'
  | 'copyLine'
  | 'copyView';

const stay = (state: ConsoleUiState): OperatorTransition => ({ state, effects: [] });
const say = (state: ConsoleUiState, text: string, kind: Status['kind'] = 'info', code?: Status['code']): OperatorTransition => ({
  state: { ...state, status: { text, kind, ...(code ? { code } : {}) } },
  effects: [],
});

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function runOperator(state: ConsoleUiState, id: OperatorCommand, world: UiWorld): OperatorTransition {
  switch (id) {
    case 'cycleWorkspace': {
      const { cycle, error } = selectWorkspaceCycle(world);
      if (error) return say(state, `cannot list workspaces: ${error}`, 'error');
      if (!cycle) return say(state, 'the workspace list is still loading; try again in a moment');
      const name = nextWorkspace(cycle, world.workspace);
      const closed = { ...state, currentSandbox: undefined, dashCursor: undefined, selectedId: undefined, policyScroll: 0 };
      return {
        state: { ...closed, status: { text: `switching to ${workspaceLabel(name)}…`, kind: 'info' } },
        effects: [{ type: 'call', call: { op: 'selectWorkspace', name } }],
      };
    }
    case 'sandboxMetadata':
      return tab(state, 'metadata');
    case 'sandboxSettings':
      return tab(state, 'settings');
    case 'draftHistory':
      return tab(state, 'history');
    case 'editSetting': {
      const row = selectedSetting(state, world);
      if (!row) return say(state, 'no setting selected', 'error');
      const prompt: PromptState = { kind: 'setting', value: row.value, setting: { scope: row.scope, key: row.key } };
      return stay({ ...state, prompt });
    }
    case 'deleteSetting': {
      const row = selectedSetting(state, world);
      if (!row) return say(state, 'no setting selected', 'error');
      if (row.source === 'unset' || (row.scope === 'sandbox' && row.source !== 'sandbox'))
        return say(state, `${row.key} has no ${row.scope === 'global' ? 'gateway-global' : 'sandbox'} value to delete`, 'error');
      const call: GatewayCall = {
        op: 'setSetting',
        scope: row.scope,
        sandbox: sandboxFor(row.scope, state, world),
        key: row.key,
        raw: null,
      };
      return stay({ ...state, overlay: 'confirm', pendingCall: { question: `Delete ${row.key} (${settingPlace(call)})?`, call } });
    }
    case 'copyLine':
    case 'copyView': {
      const lines = selectVisibleLogs(world.logs, state.logLevel, state.logSource, state.logsFilter);
      if (lines.length === 0) return say(state, 'no log lines to copy');
      const cursor = selectLogCursor(state, lines.length);
      const { start, end } =
        id === 'copyLine' ? { start: cursor, end: cursor + 1 } : selectLogWindow(cursor, lines.length, logViewHeight(state));
      const text = lines.slice(start, end).map(plainLogLine).join('\n');
      return {
        state: { ...state, status: { text: `copied ${plural(end - start, 'log line')} to the clipboard (OSC 52)`, kind: 'info' } },
        effects: [{ type: 'copy', text }],
      };
    }
  }
}

/** Opens a view of the sandbox screen; the same key again goes back to the policy. */
function tab(state: ConsoleUiState, view: SandboxTab): OperatorTransition {
  return stay({ ...state, sandboxTab: state.sandboxTab === view ? 'policy' : view, policyScroll: 0, settingsCursor: 0 });
}

function selectedSetting(state: ConsoleUiState, world: UiWorld) {
  const view = selectSettingsRows(state, world);
  return view.rows[view.cursor];
}

const sandboxFor = (scope: 'global' | 'sandbox', state: ConsoleUiState, world: UiWorld) =>
  scope === 'global' ? undefined : (state.currentSandbox ?? world.sandboxes[0]?.name);

/** Enter in the setting prompt: the value checked against the setting's type, then a confirm with exactly what will be sent. */
export function submitSetting(state: ConsoleUiState, prompt: PromptState, world: UiWorld): OperatorTransition {
  const target = prompt.setting;
  const row = target && selectSettingsRows(state, world).rows.find((r) => r.scope === target.scope && r.key === target.key);
  if (!target || !row) return say(state, `setting ${target?.key ?? ''} went away; nothing was set`, 'error', 'not_found');
  const checked = checkSettingInput(row, prompt.value);
  if ('error' in checked) return say({ ...state, prompt }, checked.error, 'error', 'invalid_argument');
  const call: GatewayCall = {
    op: 'setSetting',
    scope: target.scope,
    sandbox: sandboxFor(target.scope, state, world),
    key: target.key,
    raw: checked.value,
  };
  const was = row.source === 'unset' ? 'unset' : row.value;
  return stay({
    ...state,
    overlay: 'confirm',
    pendingCall: { question: `Set ${target.key} = ${checked.value} (${settingPlace(call)}; was ${was})?`, call },
  });
}

/** j/k on the sandbox screen's views: the settings cursor, or the draft history's scroll. */
export function moveInTab(state: ConsoleUiState, delta: number, world: UiWorld): OperatorTransition | undefined {
  const clamp = (n: number, max: number) => Math.min(Math.max(0, max), Math.max(0, n));
  if (state.sandboxTab === 'settings') {
    const view = selectSettingsRows(state, world);
    return stay({ ...state, settingsCursor: clamp(view.cursor + delta, view.rows.length - 1) });
  }
  if (state.sandboxTab === 'history') {
    const count = selectDraftHistory(state, world).data?.length ?? 0;
    return stay({ ...state, policyScroll: clamp(state.policyScroll + delta, count - 1) });
  }
  if (state.sandboxTab === 'metadata') return stay(state);
  return undefined;
}
