// The console's behaviour as one pure function: (UI state, action, world) → (new UI state, effects). A key
// becomes a command through the registry (commands.ts) for the mode the state is in; gateway calls leave
// as effects and their outcomes come back as actions. No I/O, no timers, no React: tested action by action.
import { parseLifetime } from '../../core/approvals/session-approvals.js';
import { LOG_KINDS } from '../../core/engine/log-buffer.js';
import type { ErrorInfo } from '../../gateway/errors.js';
import type { ApprovePreview, InboxRequest } from '../../gateway/gateway.js';
import { promoteDefaults, previewPromote } from '../../gateway/promote-draft.js';
import { colonByWord, colonSpec, colonUsage, completeColon, unknownColon } from './colon-commands.js';
import { type CommandId, commandFor, hasNeed, specOf } from './commands.js';
import { globalPolicyRefusal } from './decision-guards.js';
import { checkEdit, EDIT_FIELDS, openEdit } from './edit-form.js';
import { describeDone, describeFailed, type Effect, type GatewayCall } from './effects.js';
import { type KeyPress, textOf } from './keys.js';
import { moveInTab, runOperator, submitSetting } from './operator-reducer.js';
import {
  pendingOf,
  selectBuiltinPresets,
  selectDashboardRows,
  selectDashIndex,
  selectLifetime,
  selectLogCursor,
  selectSandboxView,
  selectSelected,
  selectSourceNames,
  selectVisibleLogs,
  selectVisibleRequests,
  type UiWorld,
} from './selectors.js';
import { type ConsoleUiState, modeOf, type PromoteFocus, SCREENS, type Status, textFocused } from './ui-state.js';

export type UiAction =
  | { type: 'key'; key: KeyPress }
  | { type: 'command'; id: CommandId }
  | { type: 'resize'; rows: number; columns: number }
  /** The gateway's data changed (a store flush): keep the selection on its request, close forms whose request went away. */
  | { type: 'data.changed' }
  | { type: 'call.done'; call: GatewayCall; result: unknown }
  | { type: 'call.failed'; call: GatewayCall; error: ErrorInfo }
  | { type: 'status'; status: Status };

export interface Transition {
  state: ConsoleUiState;
  effects: Effect[];
}

const stay = (state: ConsoleUiState): Transition => ({ state, effects: [] });
const go = (state: ConsoleUiState, ...effects: Effect[]): Transition => ({ state, effects });
const say = (state: ConsoleUiState, text: string, kind: Status['kind'] = 'info', code?: Status['code']): Transition =>
  go({ ...state, status: { text, kind, ...(code ? { code } : {}) } });
const call = (state: ConsoleUiState, c: GatewayCall): Transition => go(state, { type: 'call', call: c });
const clamp = (n: number, max: number) => Math.min(Math.max(0, max), Math.max(0, n));
const ACCESS = ['read-only', 'read-write', 'full'] as const;

export function reduce(state: ConsoleUiState, action: UiAction, world: UiWorld): Transition {
  switch (action.type) {
    case 'key':
      return onKey(state, action.key, world);
    case 'command':
      return run(state, action.id, world);
    case 'resize':
      return state.rows === action.rows && state.columns === action.columns
        ? stay(state)
        : stay({ ...state, rows: action.rows, columns: action.columns });
    case 'data.changed':
      return onData(state, world);
    case 'call.done': {
      if (action.call.op === 'previewApproveAll') return openApproveAll(state, action.call, action.result as ApprovePreview, world);
      // A changed setting is fetched again (the settings view asks with the new settingsRev).
      const next = action.call.op === 'setSetting' ? { ...state, settingsRev: state.settingsRev + 1 } : state;
      return say(next, describeDone(action.call, action.result));
    }
    case 'call.failed':
      return say(state, describeFailed(action.call, action.error), 'error', action.error.code);
    case 'status':
      return go({ ...state, status: action.status });
  }
}

function onKey(state: ConsoleUiState, key: KeyPress, world: UiWorld): Transition {
  const id = commandFor(key, modeOf(state), state);
  if (id) return run(state, id, world);
  const text = textFocused(state) ? textOf(key) : undefined;
  return text === undefined ? stay(state) : editText(state, (v) => v + text);
}

function onData(state: ConsoleUiState, world: UiWorld): Transition {
  let next = state;
  if (state.selectedId === undefined || !(state.selectedId in world.requests)) {
    const first = selectVisibleRequests(world.requests, world.order, state.inboxFilter)[0];
    if (state.selectedId === undefined && first) next = { ...next, selectedId: first.id };
  }
  if (state.promote && !(state.promote.requestId in world.requests))
    return say(
      { ...next, overlay: 'none', promote: undefined },
      `request ${state.promote.requestId} went away; nothing was promoted`,
      'error',
    );
  const editing = state.edit ? world.requests[state.edit.requestId] : undefined;
  if (state.edit && editing?.status !== 'pending')
    return say(
      { ...next, overlay: 'none', edit: undefined },
      `request ${state.edit.requestId} ${editing ? `is ${editing.status} now` : 'went away'}; nothing was edited`,
      'error',
    );
  return stay(next);
}

function visible(state: ConsoleUiState, world: UiWorld) {
  return selectVisibleRequests(world.requests, world.order, state.inboxFilter);
}

function selected(state: ConsoleUiState, world: UiWorld): InboxRequest | undefined {
  return selectSelected(state.selectedId, visible(state, world)).request;
}

const subject = (r: InboxRequest) => `${r.host}:${r.port}`;
const noLifetimes = (world: UiWorld) => world.capabilities.lifetimes.length === 0;

/** Refuses (on the status line, nothing sent) a decision on a sandbox a gateway-global policy overrides. */
function refused(state: ConsoleUiState, world: UiWorld, r: InboxRequest, verb: 'approve' | 'modify'): Transition | undefined {
  const why = globalPolicyRefusal(world.sandboxes, r.sandbox, verb);
  return why ? say(state, why, 'error', 'failed_precondition') : undefined;
}

/** One command, in the state's mode. Every CommandId is handled (the `never` below fails to compile otherwise). */
function run(state: ConsoleUiState, id: CommandId, world: UiWorld): Transition {
  const spec = specOf(id);
  if (!hasNeed(world.capabilities, spec.needs)) return say(state, spec.unavailable ?? `not available on ${world.activeGateway}`);
  const r = () => selected(state, world);
  const nothing = () => say(state, 'nothing selected', 'error');
  switch (id) {
    case 'approve': {
      const req = r();
      if (!req) return nothing();
      const lifetime = selectLifetime(state, world.capabilities);
      return (
        refused(state, world, req, 'approve') ??
        call(state, { op: 'approve', id: req.id, subject: subject(req), lifetime, revision: noLifetimes(world) })
      );
    }
    case 'reject': {
      const req = r();
      if (!req) return nothing();
      return refused(state, world, req, 'modify') ?? call(state, { op: 'reject', id: req.id, subject: subject(req) });
    }
    case 'rejectWithReason': {
      const req = r();
      if (!req) return nothing();
      return refused(state, world, req, 'modify') ?? stay({ ...state, prompt: { kind: 'reason', value: '', target: req.id } });
    }
    case 'approveAll': {
      const pending = pendingOf(visible(state, world));
      if (pending.length === 0) return say(state, 'no pending requests to approve');
      const open = pending.filter((x) => !globalPolicyRefusal(world.sandboxes, x.sandbox, 'approve'));
      if (open.length === 0) return refused(state, world, pending[0], 'approve')!;
      // The gateway says what it would approve and skip; its answer opens the dialog (openApproveAll).
      const lifetime = selectLifetime(state, world.capabilities);
      return call(state, { op: 'previewApproveAll', ids: pending.map((x) => x.id), lifetime });
    }
    case 'reapprove': {
      const req = r();
      if (!req) return nothing();
      const blocked = refused(state, world, req, 'approve');
      if (blocked) return blocked;
      if (req.status !== 'rejected') return say(state, `${req.id} is ${req.status}; only a rejected request is re-approved`, 'error');
      const lifetime = selectLifetime(state, world.capabilities);
      return call(state, { op: 'reapprove', id: req.id, subject: subject(req), lifetime, revision: noLifetimes(world) });
    }
    case 'editChunk': {
      const req = r();
      if (!req) return nothing();
      const blocked = refused(state, world, req, 'modify');
      if (blocked) return blocked;
      const opened = openEdit(req);
      if ('error' in opened) return say(state, opened.error, 'error', 'failed_precondition');
      return stay({ ...state, overlay: 'edit', edit: opened.edit });
    }
    case 'clearDrafts':
      return askClearDrafts(state, world);
    case 'undo': {
      const req = r();
      return req ? call(state, { op: 'undo', id: req.id }) : nothing();
    }
    case 'promote': {
      const req = r();
      if (!req) return nothing();
      return stay({ ...state, overlay: 'promote', promote: { requestId: req.id, form: promoteDefaults(req), focus: 0 } });
    }
    case 'cycleLifetime':
      return stay({ ...state, lifetimeIndex: (state.lifetimeIndex + 1) % world.capabilities.lifetimes.length });
    case 'detail':
      return openDetail(state, world);
    case 'filter':
      return stay({ ...state, prompt: { kind: 'filter', value: state.screen === 'logs' ? state.logsFilter : state.inboxFilter } });
    case 'follow':
      return stay({ ...state, following: true });
    case 'cycleLogKind': {
      const kinds = ['all', ...LOG_KINDS] as const;
      const logKind = kinds[(kinds.indexOf(state.logKind) + 1) % kinds.length];
      return say({ ...state, logKind }, logKind === 'all' ? 'logs: every kind' : `logs: ${logKind} lines only (K for the next kind)`);
    }
    case 'cycleWorkspace':
    case 'sandboxMetadata':
    case 'sandboxSettings':
    case 'draftHistory':
    case 'editSetting':
    case 'deleteSetting':
    case 'copyLine':
    case 'copyView':
      return runOperator(state, id, world);
    case 'down':
      return move(state, 1, world);
    case 'up':
      return move(state, -1, world);
    case 'pageDown':
      return move(state, pageSize(state), world);
    case 'pageUp':
      return move(state, -pageSize(state), world);
    case 'top':
      if (state.screen !== 'logs') return move(state, -Infinity, world);
      return stay({ ...state, following: false, pausedCursor: Math.max(0, Math.min(logCount(state, world) - 1, pageSize(state) - 1)) });
    case 'bottom':
      return state.screen === 'logs' ? stay({ ...state, following: true }) : move(state, Infinity, world);
    case 'nextScreen':
      return stay({ ...state, screen: SCREENS[(SCREENS.indexOf(state.screen) + 1) % SCREENS.length] });
    case 'prevScreen':
      return stay({ ...state, screen: SCREENS[(SCREENS.indexOf(state.screen) + SCREENS.length - 1) % SCREENS.length] });
    case 'gotoInbox':
      return stay({ ...state, screen: 'inbox' });
    case 'gotoDashboard':
      return stay({ ...state, screen: 'dashboard' });
    case 'gotoSandbox':
      return stay({ ...state, screen: 'sandbox' });
    case 'gotoLogs':
      return stay({ ...state, screen: 'logs' });
    case 'command':
      return stay({ ...state, prompt: { kind: 'command', value: '' } });
    case 'help':
      return stay({ ...state, overlay: state.overlay === 'help' ? 'none' : 'help' });
    case 'back':
      if (state.screen === 'sandbox' && state.sandboxTab !== 'policy') return stay({ ...state, sandboxTab: 'policy', policyScroll: 0 });
      if (state.screen === 'dashboard' && state.providerDetail) return stay({ ...state, providerDetail: undefined });
      if (state.screen === 'sandbox' && state.compareRev !== undefined) return stay({ ...state, compareRev: undefined, policyScroll: 0 });
      if (state.screen === 'inbox' && state.inboxFilter) return stay({ ...state, inboxFilter: '' });
      if (state.screen === 'logs' && state.logsFilter) return stay({ ...state, logsFilter: '' });
      return state.screen === 'inbox' ? stay(state) : stay({ ...state, screen: 'inbox' });
    case 'quit':
      return state.screen === 'inbox' ? go(state, { type: 'quit' }) : stay({ ...state, screen: 'inbox' });
    case 'submit':
      if (state.prompt) return submitPrompt({ ...state, prompt: undefined }, state.prompt, world);
      return state.overlay === 'edit' ? submitEdit(state, world) : submitPromote(state, world);
    case 'cancel':
      return stay(
        state.prompt
          ? { ...state, prompt: undefined }
          : { ...state, overlay: 'none', promote: undefined, confirm: undefined, edit: undefined, pendingCall: undefined },
      );
    case 'confirm': {
      const c = state.confirm;
      const closed = { ...state, overlay: 'none' as const, confirm: undefined, pendingCall: undefined };
      if (state.pendingCall) return call(closed, state.pendingCall.call);
      if (!c) return stay(closed);
      if (c.kind === 'clearDrafts') return call(closed, { op: 'clearDrafts', sandbox: c.sandbox });
      return call(closed, { op: 'approveAll', ids: c.ids, lifetime: c.lifetime, revision: noLifetimes(world) });
    }
    case 'complete':
      return complete(state, world);
    case 'deleteBack':
      return editText(state, (v) => [...v].slice(0, -1).join(''));
    case 'deleteWord':
      return editText(state, (v) => v.replace(/\S*\s*$/, ''));
    case 'clearField':
      return editText(state, () => '');
    case 'nextField':
      return state.overlay === 'edit' ? focusEdit(state, 1) : focusPromote(state, 1);
    case 'prevField':
      return state.overlay === 'edit' ? focusEdit(state, EDIT_FIELDS.length - 1) : focusPromote(state, 3);
    case 'nextChoice':
      return cycleChoice(state, 1);
    case 'prevChoice':
      return cycleChoice(state, 2);
    default:
      return unhandled(id);
  }
}

function unhandled(id: never): never {
  throw new Error(`command ${String(id)} has no handler`);
}

const pageSize = (state: ConsoleUiState) => Math.max(1, state.rows - 10);
const visibleLogs = (state: ConsoleUiState, world: UiWorld) =>
  selectVisibleLogs(world.logs, state.logLevel, state.logSource, state.logsFilter, state.logKind);
const logCount = (state: ConsoleUiState, world: UiWorld) => visibleLogs(state, world).length;

function move(state: ConsoleUiState, delta: number, world: UiWorld): Transition {
  switch (state.screen) {
    case 'inbox': {
      const rows = visible(state, world);
      if (rows.length === 0) return stay(state);
      const { index } = selectSelected(state.selectedId, rows);
      return stay({ ...state, selectedId: rows[clamp(index + delta, rows.length - 1)].id });
    }
    case 'logs': {
      const count = logCount(state, world);
      return stay({ ...state, following: false, pausedCursor: clamp(selectLogCursor(state, count) + delta, count - 1) });
    }
    case 'sandbox':
      return (
        moveInTab(state, delta, world) ??
        stay({ ...state, policyScroll: clamp(state.policyScroll + delta, selectSandboxView(state, world).lines - 1) })
      );
    case 'dashboard': {
      const rows = world.gateways.length + world.sandboxes.length;
      return stay({ ...state, dashCursor: clamp(selectDashIndex(state, world) + delta, rows - 1) });
    }
  }
}

function openDetail(state: ConsoleUiState, world: UiWorld): Transition {
  if (state.screen === 'logs') return logCount(state, world) > 0 ? stay({ ...state, overlay: 'detail' }) : stay(state);
  if (state.screen === 'inbox') return selected(state, world) ? stay({ ...state, overlay: 'detail' }) : stay(state);
  if (state.screen !== 'dashboard') return stay(state);
  const row = selectDashboardRows(world)[selectDashIndex(state, world)];
  if (!row) return stay(state);
  if (row.kind === 'gateway') {
    const name = row.entry.info.name;
    return name === world.activeGateway ? say(state, `already on ${name}`) : go(state, { type: 'switchGateway', name });
  }
  return stay({ ...state, currentSandbox: row.sandbox.name, policyScroll: 0, compareRev: undefined, screen: 'sandbox' });
}

// ---- text fields --------------------------------------------------------------------------------

/** Typed text is plain: control characters never reach a field. */
const printable = (v: string) => v.replace(/[\u0000-\u001f\u007f-\u009f]/g, '');

function editText(state: ConsoleUiState, edit: (value: string) => string): Transition {
  if (state.prompt) return stay({ ...state, prompt: { ...state.prompt, value: printable(edit(state.prompt.value)) } });
  if (state.overlay === 'edit' && state.edit) {
    const field = EDIT_FIELDS[state.edit.focus];
    const values = { ...state.edit.values, [field]: printable(edit(state.edit.values[field])) };
    return stay({ ...state, edit: { ...state.edit, values } });
  }
  const p = state.promote;
  if (state.overlay !== 'promote' || !p || p.focus >= 2) return stay(state);
  const field = p.focus === 0 ? 'name' : 'description';
  const value = printable(edit(p.form[field] ?? ''));
  return stay({ ...state, promote: { ...p, form: { ...p.form, [field]: value } } });
}

function complete(state: ConsoleUiState, world: UiWorld): Transition {
  if (state.prompt?.kind !== 'command') return stay(state);
  const presets = world.queries.presets?.data?.map((p) => p.name) ?? [];
  const done = completeColon(state.prompt.value, {
    requests: pendingOf(visible(state, world)).map((r) => r.id),
    presets,
    sources: ['all', ...selectSourceNames(world.logs)],
    providers: world.queries.providers?.data?.map((p) => p.name) ?? [],
  });
  const next = { ...state, prompt: { ...state.prompt, value: done.value } };
  return done.candidates ? say(next, done.candidates.join('  ')) : stay(next);
}

function submitPrompt(state: ConsoleUiState, prompt: NonNullable<ConsoleUiState['prompt']>, world: UiWorld): Transition {
  switch (prompt.kind) {
    case 'filter':
      return stay(state.screen === 'logs' ? { ...state, logsFilter: prompt.value } : { ...state, inboxFilter: prompt.value });
    case 'reason': {
      const target = prompt.target ? world.requests[prompt.target] : undefined;
      if (!target) return say(state, `request ${prompt.target ?? ''} went away; nothing was rejected`, 'error');
      return call(state, { op: 'reject', id: target.id, subject: subject(target), reason: prompt.value || undefined });
    }
    case 'command':
      return runColon(state, prompt.value, world);
    case 'setting':
      return submitSetting(state, prompt, world);
  }
}

// ---- the promote form ---------------------------------------------------------------------------

function focusPromote(state: ConsoleUiState, step: 1 | 3): Transition {
  const p = state.promote;
  return p ? stay({ ...state, promote: { ...p, focus: ((p.focus + step) % 4) as PromoteFocus } }) : stay(state);
}

function cycleChoice(state: ConsoleUiState, step: 1 | 2): Transition {
  const p = state.promote;
  if (!p || p.focus < 2) return stay(state);
  if (p.focus === 3) return stay({ ...state, promote: { ...p, form: { ...p.form, anyBinary: !p.form.anyBinary } } });
  const access = ACCESS[(ACCESS.indexOf(p.form.access) + step) % ACCESS.length];
  return stay({ ...state, promote: { ...p, form: { ...p.form, access } } });
}

function submitPromote(state: ConsoleUiState, world: UiWorld): Transition {
  const p = state.promote;
  const request = p ? world.requests[p.requestId] : undefined;
  if (!p || !request) return stay({ ...state, overlay: 'none', promote: undefined });
  const preview = previewPromote(request, p.form, selectBuiltinPresets(state, world).names);
  if (preview.error) return say(state, preview.error, 'error', 'invalid_argument');
  const form = { ...p.form, description: p.form.description || undefined };
  return call({ ...state, overlay: 'none', promote: undefined }, { op: 'promote', id: request.id, request: form });
}

// ---- approve-all, clear, edit -------------------------------------------------------------------

/** The gateway's preview came back: the dialog lists what approve-all approves and what it skips, and why. */
function openApproveAll(
  state: ConsoleUiState,
  c: Extract<GatewayCall, { op: 'previewApproveAll' }>,
  preview: ApprovePreview,
  world: UiWorld,
): Transition {
  if (state.overlay !== 'none' || state.prompt) return stay(state); // the operator moved on meanwhile
  const row = (r: InboxRequest) => ({ id: r.id, subject: subject(r), sandbox: r.sandbox });
  // A sandbox a global policy overrides is skipped here too (the gateway would refuse it).
  const blocked = preview.approve.filter((r) => globalPolicyRefusal(world.sandboxes, r.sandbox, 'approve'));
  const approve = preview.approve.filter((r) => !blocked.includes(r)).map(row);
  const skip = [
    ...blocked.map((r) => ({ ...row(r), why: 'global-policy' as const })),
    ...preview.skip.filter((k) => k.why !== 'not-pending').map((k) => ({ ...row(k.request), why: k.why })),
  ];
  if (approve.length === 0)
    return say(
      state,
      `approve-all: nothing it can approve; skipped ${skip.map((k) => `${k.subject} (${k.why})`).join(', ') || 'none'}`,
      'error',
      'failed_precondition',
    );
  const confirm = { kind: 'approveAll' as const, ids: approve.map((r) => r.id), lifetime: c.lifetime, approve, skip };
  return stay({ ...state, overlay: 'confirm', confirm });
}

function askClearDrafts(state: ConsoleUiState, world: UiWorld): Transition {
  const sandbox = selected(state, world)?.sandbox ?? state.currentSandbox ?? world.sandboxes[0]?.name;
  if (!sandbox) return say(state, 'no sandbox to clear', 'error');
  // Allowed under a global policy, as upstream's gateway allows it: dropping proposals changes no policy.
  const count = Object.values(world.requests).filter((r) => r.sandbox === sandbox && r.status === 'pending' && !r.awaitingProposal).length;
  if (count === 0) return say(state, `${sandbox} has no pending proposals to clear`);
  return stay({ ...state, overlay: 'confirm', confirm: { kind: 'clearDrafts', sandbox, count } });
}

function focusEdit(state: ConsoleUiState, step: number): Transition {
  const e = state.edit;
  return e ? stay({ ...state, edit: { ...e, focus: (e.focus + step) % EDIT_FIELDS.length } }) : stay(state);
}

function submitEdit(state: ConsoleUiState, world: UiWorld): Transition {
  const e = state.edit;
  const request = e ? world.requests[e.requestId] : undefined;
  if (!e || !request?.proposal) return stay({ ...state, overlay: 'none', edit: undefined });
  const checked = checkEdit(e, request.proposal.rule);
  if ('error' in checked) return say(state, checked.error, 'error', 'invalid_argument');
  const blocked = refused(state, world, request, 'modify');
  if (blocked) return blocked;
  const lifetime = selectLifetime(state, world.capabilities);
  return call(
    { ...state, overlay: 'none', edit: undefined },
    { op: 'editApprove', id: request.id, subject: subject(request), change: checked.change, lifetime, revision: noLifetimes(world) },
  );
}

// ---- `:` commands -------------------------------------------------------------------------------

/** A request by its id, or by a gateway chunk's own id when exactly one request has it. */
function requestNamed(id: string | undefined, world: UiWorld): InboxRequest | undefined {
  if (!id) return undefined;
  if (world.requests[id]) return world.requests[id];
  const tails = Object.values(world.requests).filter((r) => r.id.endsWith(`/${id}`));
  return tails.length === 1 ? tails[0] : undefined;
}

function runColon(state: ConsoleUiState, line: string, world: UiWorld): Transition {
  const [word, ...args] = line.trim().split(/\s+/);
  if (!word) return stay(state);
  const name = colonByWord(word);
  if (!name) return say(state, unknownColon(word), 'error');
  const spec = colonSpec(name);
  if (!hasNeed(world.capabilities, spec.needs))
    return say(state, `:${name} is not available on ${world.activeGateway}`, 'error', 'unimplemented');
  const usage = () => say(state, `usage: ${colonUsage(name)} (${spec.description})`, 'error', 'invalid_argument');
  const sandbox = state.currentSandbox;
  switch (name) {
    case 'q':
      return go(state, { type: 'quit' });
    case 'approve':
    case 'reject':
    case 'undo': {
      const r = requestNamed(args[0], world);
      if (!r) return say(state, `no request '${args[0] ?? ''}'`, 'error', 'not_found');
      if (name === 'reject')
        return call(state, { op: 'reject', id: r.id, subject: subject(r), reason: args.slice(1).join(' ') || undefined });
      if (name === 'undo') return call(state, { op: 'undo', id: r.id });
      if (args[1] !== undefined && noLifetimes(world)) return run(state, 'cycleLifetime', world);
      if (args[1] !== undefined && !parseLifetime(args[1])) return usage();
      const lifetime = args[1] ?? selectLifetime(state, world.capabilities);
      return call(state, { op: 'approve', id: r.id, subject: subject(r), lifetime: lifetime as never, revision: noLifetimes(world) });
    }
    case 'preset': {
      const [verb, preset] = args;
      if ((verb !== 'add' && verb !== 'remove') || !preset) return usage();
      return call(state, verb === 'add' ? { op: 'addPreset', name: preset, sandbox } : { op: 'removePreset', name: preset, sandbox });
    }
    case 'tier':
      return args[0] ? call(state, { op: 'applyTier', tier: args[0], sandbox }) : usage();
    case 'rev': {
      const n = Number(args[0]);
      if (!Number.isInteger(n) || n < 1) return usage();
      return stay({ ...state, screen: 'sandbox', policyScroll: 0, compareRev: n });
    }
    case 'level': {
      const level = args[0];
      if (level !== 'all' && level !== 'info' && level !== 'warn' && level !== 'error') return usage();
      return say({ ...state, screen: 'logs', logLevel: level }, `logs: level ${level} and above`);
    }
    case 'source':
      return args[0] ? say({ ...state, screen: 'logs', logSource: args[0] }, `logs: source ${args[0]}`) : usage();
    case 'kind': {
      const kind = LOG_KINDS.find((k) => k === args[0]) ?? (args[0] === 'all' ? 'all' : undefined);
      if (!kind) return usage();
      return say({ ...state, screen: 'logs', logKind: kind }, kind === 'all' ? 'logs: every kind' : `logs: ${kind} lines only`);
    }
    case 'theme':
      if (args[0] !== 'light' && args[0] !== 'dark' && args[0] !== 'auto') return usage();
      return say({ ...state, theme: args[0] }, `theme ${args[0]}`);
    case 'help':
      return stay({ ...state, overlay: 'help' });
    case 'creds':
      return args[0] ? stay({ ...state, screen: 'dashboard', providerDetail: args[0] }) : usage();
    default:
      return unhandled(name);
  }
}
