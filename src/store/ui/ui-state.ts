// The console's UI state: which screen, which overlay, what is typed, where the cursors are. Plain data,
// changed only by the UI reducer (ui-reducer.ts); remote data lives in the console store, not here.
import type { LogKind } from '../../core/engine/log-buffer.js';
import type { GatewayErrorCode } from '../../gateway/errors.js';
import type { Lifetime, PromoteRequest, SkipReason } from '../../gateway/gateway.js';
import type { EditState } from './edit-form.js';
import type { GatewayCall } from './effects.js';

export type Screen = 'inbox' | 'dashboard' | 'sandbox' | 'logs';
export const SCREENS: readonly Screen[] = ['inbox', 'dashboard', 'sandbox', 'logs'];

/** What covers the screen: help, the detail of the selection (a request, a log line), a confirmation, the promote or edit form. */
export type Overlay = 'none' | 'help' | 'detail' | 'confirm' | 'promote' | 'edit';

/** Which keys are live: each overlay and the prompt own theirs while open. */
export type Mode = 'normal' | 'prompt' | 'confirm' | 'promote' | 'edit' | 'detail' | 'help';
export const MODES: readonly Mode[] = ['normal', 'prompt', 'confirm', 'promote', 'edit', 'detail', 'help'];

export type PromptKind = 'filter' | 'command' | 'reason' | 'setting';
export type LogLevelFilter = 'all' | 'info' | 'warn' | 'error';

export interface Status {
  text: string;
  kind: 'info' | 'error';
  /** For errors: what kind (the status line shows a hint for some). */
  code?: GatewayErrorCode;
}

export interface PromptState {
  kind: PromptKind;
  value: string;
  /** A reason prompt rejects this request (fixed when the prompt opened). */
  target?: string;
  /** A setting prompt sets this key in this scope (fixed when the prompt opened). */
  setting?: SettingTarget;
}

/** A setting as the settings view lists it: which scope it is in, and its key. */
export interface SettingTarget {
  scope: 'global' | 'sandbox';
  key: string;
}

/** The sandbox screen's views: its effective policy, its metadata, its settings, its draft history. */
export type SandboxTab = 'policy' | 'metadata' | 'settings' | 'history';

/** A single gateway call that asks first (a setting set or deleted): exactly what the dialog said. */
export interface PendingCall {
  question: string;
  call: GatewayCall;
}

/** The promote form: 0 name, 1 description (text), 2 access, 3 binary scope (choices). */
export type PromoteFocus = 0 | 1 | 2 | 3;

export interface PromoteState {
  requestId: string;
  form: PromoteRequest;
  focus: PromoteFocus;
}

/** A request as a dialog lists it. */
export interface ConfirmRow {
  id: string;
  /** host:port */
  subject: string;
  sandbox: string;
}

/** What a confirmation asks: approve-all lists exactly what it approves and what it skips (and why). */
export type ConfirmState =
  | {
      kind: 'approveAll';
      /** Exactly what the dialog said it would approve. */
      ids: string[];
      lifetime: Lifetime;
      approve: ConfirmRow[];
      skip: Array<ConfirmRow & { why: SkipReason }>;
    }
  | { kind: 'clearDrafts'; sandbox: string; count: number };

export interface ConsoleUiState {
  screen: Screen;
  overlay: Overlay;
  prompt?: PromptState;
  inboxFilter: string;
  logsFilter: string;
  logLevel: LogLevelFilter;
  logSource: string;
  /** Logs: one kind of event only (new requests, timeouts, decisions, denials, TLS, upstream, policy, notices), or all. */
  logKind: LogKind | 'all';
  /** The selected request; kept on its request while newer ones arrive above it. */
  selectedId?: string;
  /** Index into the gateway's lifetimes. */
  lifetimeIndex: number;
  status?: Status;
  /** Logs: following shows the newest line; paused keeps the cursor where the operator left it. */
  following: boolean;
  pausedCursor: number;
  policyScroll: number;
  /** Sandbox screen: comparing revision N with the current one. */
  compareRev?: number;
  /** Dashboard: gateways first, then sandboxes; unset starts on the first sandbox. */
  dashCursor?: number;
  /** The sandbox the sandbox screen and sandbox-scoped commands use (unset: the gateway's first). */
  currentSandbox?: string;
  promote?: PromoteState;
  confirm?: ConfirmState;
  /** The edit form (narrowing a proposal before approving it). */
  edit?: EditState;
  /** The confirm overlay asks about this call (rather than approve-all). */
  pendingCall?: PendingCall;
  sandboxTab: SandboxTab;
  /** Settings view: the row under the cursor (sandbox settings first, then global ones). */
  settingsCursor: number;
  /** Bumped after a setting changed: settings are fetched again. */
  settingsRev: number;
  /** Bumped when w finds the workspace list failed: it is asked for again. */
  workspacesAsk: number;
  /** Dashboard: the provider whose detail is shown. */
  providerDetail?: string;
  /** dark, light or auto; unset: $OPENSHELL_TERM_THEME, else auto. */
  theme?: string;
  rows: number;
  columns: number;
}

export function initialUiState(options: { rows?: number; columns?: number; theme?: string } = {}): ConsoleUiState {
  return {
    screen: 'inbox',
    overlay: 'none',
    inboxFilter: '',
    logsFilter: '',
    logLevel: 'all',
    logSource: 'all',
    logKind: 'all',
    lifetimeIndex: 0,
    following: true,
    pausedCursor: 0,
    policyScroll: 0,
    sandboxTab: 'policy',
    settingsCursor: 0,
    settingsRev: 0,
    workspacesAsk: 0,
    theme: options.theme,
    rows: options.rows ?? 24,
    columns: options.columns ?? 80,
  };
}

/** The mode a state is in: the prompt first, then whichever overlay is open. */
export function modeOf(state: ConsoleUiState): Mode {
  if (state.prompt) return 'prompt';
  switch (state.overlay) {
    case 'none':
      return 'normal';
    case 'help':
    case 'detail':
    case 'confirm':
    case 'promote':
    case 'edit':
      return state.overlay;
  }
}

/** Whether a text field has focus (printable keys type into it instead of running commands). */
export const textFocused = (state: ConsoleUiState) =>
  state.prompt !== undefined ||
  (state.overlay === 'promote' && state.promote !== undefined && state.promote.focus < 2) ||
  (state.overlay === 'edit' && state.edit !== undefined);
