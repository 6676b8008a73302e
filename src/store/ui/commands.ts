// Every key the console understands, as data: command id → its bindings in each mode, what it does, where
// it works, what it needs of the gateway. The reducer dispatches through this table; the nav bar, the `?`
// help and the README's key table are generated from it, so what is shown is what works. A command
// missing here, or one the reducer does not handle, is a type error.
import type { GatewayCapabilities } from '../../gateway/gateway.js';
import { keyLabel, keyMatches, type KeyPress, type KeySpec } from './keys.js';
import type { ConsoleUiState, Mode, Screen } from './ui-state.js';

export type CommandId =
  // decide
  | 'approve'
  | 'reject'
  | 'rejectWithReason'
  | 'approveAll'
  | 'reapprove'
  | 'editChunk'
  | 'clearDrafts'
  | 'undo'
  | 'promote'
  | 'cycleLifetime'
  // look
  | 'detail'
  | 'filter'
  | 'follow'
  | 'cycleLogKind'
  | 'copyLine'
  | 'copyView'
  | 'sandboxMetadata'
  | 'sandboxSettings'
  | 'draftHistory'
  | 'editSetting'
  | 'deleteSetting'
  | 'cycleWorkspace'
  // move
  | 'down'
  | 'up'
  | 'top'
  | 'bottom'
  | 'pageDown'
  | 'pageUp'
  // screens
  | 'nextScreen'
  | 'prevScreen'
  | 'gotoInbox'
  | 'gotoDashboard'
  | 'gotoSandbox'
  | 'gotoLogs'
  // general
  | 'command'
  | 'help'
  | 'back'
  | 'quit'
  // dialogs and text fields
  | 'submit'
  | 'cancel'
  | 'confirm'
  | 'complete'
  | 'deleteBack'
  | 'deleteWord'
  | 'clearField'
  | 'nextField'
  | 'prevField'
  | 'nextChoice'
  | 'prevChoice';

export type Category = 'decide' | 'look' | 'move' | 'screens' | 'general' | 'dialogs';
export const CATEGORIES: Record<Category, string> = {
  decide: 'Decide',
  look: 'Look',
  move: 'Move',
  screens: 'Screens',
  general: 'General',
  dialogs: 'Prompts and dialogs',
};

/** Boolean capabilities, plus "lifetimes" (a gateway has some or none). */
export type Need =
  | { [K in keyof GatewayCapabilities]: GatewayCapabilities[K] extends boolean ? K : never }[keyof GatewayCapabilities]
  | 'lifetimes';

export interface CommandSpec {
  description: string;
  category: Category;
  /** Its keys in each mode where it works. */
  keys: Partial<Record<Mode, readonly KeySpec[]>>;
  /** In normal and detail mode: the screens where it works (absent: all). */
  screens?: readonly Screen[];
  /** Its label in the nav bar (absent: shown only in help). */
  hint?: string;
  /** What it needs of the gateway; without it the key explains instead of acting, and is not offered. */
  needs?: Need;
  /** Said when the gateway lacks what it needs. */
  unavailable?: string;
  /** A further condition for it to be live (e.g. Tab completes only commands). */
  when?: (state: ConsoleUiState) => boolean;
}

export const COMMANDS = {
  approve: {
    description: 'Approve the selected request (current lifetime)',
    category: 'decide',
    keys: { normal: ['a'], detail: ['a'] },
    screens: ['inbox'],
    hint: 'approve',
  },
  reject: {
    description: 'Reject the selected request',
    category: 'decide',
    keys: { normal: ['r', 'x'], detail: ['r', 'x'] },
    screens: ['inbox'],
    hint: 'reject',
  },
  rejectWithReason: {
    description: 'Reject with a reason (shown to the agent)',
    category: 'decide',
    keys: { normal: ['R'], detail: ['R'] },
    screens: ['inbox'],
  },
  approveAll: {
    description: 'Approve all visible pending requests (asks first)',
    category: 'decide',
    keys: { normal: ['A'] },
    screens: ['inbox'],
    hint: 'all',
  },
  reapprove: {
    description: 'Re-approve the selected rejected request',
    category: 'decide',
    keys: { normal: ['v'], detail: ['v'] },
    screens: ['inbox'],
    needs: 'reapprove',
    unavailable: 'this gateway cannot approve a rejected request',
  },
  editChunk: {
    description: 'Narrow the selected proposal (ports, binaries, paths, allowed_ips), then approve it',
    category: 'decide',
    keys: { normal: ['e'], detail: ['e'] },
    screens: ['inbox'],
    hint: 'edit',
    needs: 'editChunk',
    unavailable: 'this gateway decides requests as asked: there is no proposal to narrow',
  },
  clearDrafts: {
    description: "Clear the sandbox's pending proposals (asks first)",
    category: 'decide',
    keys: { normal: ['C'] },
    screens: ['inbox'],
    needs: 'clearDrafts',
    unavailable: 'pending requests here are live connections: approve or reject them',
  },
  undo: {
    description: 'Undo the decision on the selected request',
    category: 'decide',
    keys: { normal: ['u'], detail: ['u'] },
    screens: ['inbox'],
    hint: 'undo',
  },
  promote: {
    description: 'Promote the selected request to a persisted preset',
    category: 'decide',
    keys: { normal: ['p'], detail: ['p'] },
    screens: ['inbox'],
    hint: 'promote',
    needs: 'promote',
    unavailable: 'this gateway cannot promote requests to presets',
  },
  cycleLifetime: {
    description: 'Cycle the approval lifetime: session, once, 10m',
    category: 'decide',
    keys: { normal: ['t'] },
    screens: ['inbox'],
    hint: 'lifetime',
    needs: 'lifetimes',
    unavailable: 'a gateway approval is a policy revision: it has no lifetime (undo takes it back)',
  },
  detail: {
    description: 'Show every detail of the selection (dashboard: switch gateway or open the sandbox)',
    category: 'look',
    keys: { normal: ['enter'] },
    screens: ['inbox', 'logs', 'dashboard'],
    hint: 'detail',
  },
  filter: {
    description: 'Filter (host, binary, status, sandbox; logs: text)',
    category: 'look',
    keys: { normal: ['/'] },
    screens: ['inbox', 'logs'],
    hint: 'filter',
  },
  follow: {
    description: 'Resume following new log lines',
    category: 'look',
    keys: { normal: ['f'] },
    screens: ['logs'],
    hint: 'follow',
  },
  cycleLogKind: {
    description: 'Logs: one kind of event at a time (request, timeout, decision, denial, tls, upstream, policy, notice, other, all)',
    category: 'look',
    keys: { normal: ['K'] },
    screens: ['logs'],
    hint: 'kind',
  },
  copyLine: {
    description: 'Copy the log line at the cursor to the clipboard (OSC 52)',
    category: 'look',
    keys: { normal: ['y'], detail: ['y'] },
    screens: ['logs'],
    hint: 'copy',
  },
  copyView: {
    description: 'Copy the log lines in view to the clipboard (OSC 52)',
    category: 'look',
    keys: { normal: ['Y'] },
    screens: ['logs'],
  },
  sandboxMetadata: {
    description: 'Sandbox: its metadata (phase, image, providers, conditions, admission, restarts, policy load); again: the policy',
    category: 'look',
    keys: { normal: ['i'] },
    screens: ['sandbox'],
    hint: 'info',
    needs: 'sandboxMetadata',
    unavailable: 'this gateway reports no sandbox metadata (the embedded core has one local sandbox)',
  },
  sandboxSettings: {
    description: 'Sandbox: its settings and the gateway-global ones, with their source; again: the policy',
    category: 'look',
    keys: { normal: ['s'] },
    screens: ['sandbox'],
    hint: 'settings',
    needs: 'settings',
    unavailable: 'this gateway has no runtime settings',
  },
  draftHistory: {
    description: 'Sandbox: its draft history (what was proposed, approved, rejected, when); again: the policy',
    category: 'look',
    keys: { normal: ['H'] },
    screens: ['sandbox'],
    hint: 'history',
    needs: 'draftHistory',
    unavailable: 'this gateway keeps no draft history (decisions are in the audit log)',
  },
  editSetting: {
    description: 'Settings: set the selected setting (typed, checked, then confirmed)',
    category: 'decide',
    keys: { normal: ['e'] },
    screens: ['sandbox'],
    hint: 'set',
    needs: 'settings',
    unavailable: 'this gateway has no runtime settings',
    when: (s) => s.sandboxTab === 'settings',
  },
  deleteSetting: {
    description: 'Settings: delete the selected setting (confirmed first)',
    category: 'decide',
    keys: { normal: ['d'] },
    screens: ['sandbox'],
    hint: 'delete',
    needs: 'settings',
    unavailable: 'this gateway has no runtime settings',
    when: (s) => s.sandboxTab === 'settings',
  },
  cycleWorkspace: {
    description: 'Next workspace, then all workspaces at once',
    category: 'screens',
    keys: { normal: ['w'] },
    hint: 'workspace',
    needs: 'workspaces',
    unavailable: 'this gateway has no workspaces (one enforcement core, one local sandbox)',
  },
  down: { description: 'Move down', category: 'move', keys: { normal: ['j', 'down'], detail: ['j', 'down'] } },
  up: { description: 'Move up', category: 'move', keys: { normal: ['k', 'up'], detail: ['k', 'up'] } },
  top: { description: 'Go to the top', category: 'move', keys: { normal: ['g', 'home'] } },
  bottom: { description: 'Go to the bottom (logs: follow)', category: 'move', keys: { normal: ['G', 'end'] } },
  pageDown: { description: 'Page down', category: 'move', keys: { normal: ['pagedown', 'C-d'] } },
  pageUp: { description: 'Page up', category: 'move', keys: { normal: ['pageup', 'C-u'] } },
  nextScreen: { description: 'Next screen', category: 'screens', keys: { normal: ['tab'] } },
  prevScreen: { description: 'Previous screen', category: 'screens', keys: { normal: ['S-tab'] } },
  gotoInbox: { description: 'Inbox', category: 'screens', keys: { normal: ['1'] } },
  gotoDashboard: { description: 'Dashboard: gateways, providers, sandboxes', category: 'screens', keys: { normal: ['2'] } },
  gotoSandbox: { description: 'Sandbox: effective policy and revisions', category: 'screens', keys: { normal: ['3'] } },
  gotoLogs: { description: 'Logs', category: 'screens', keys: { normal: ['4'] } },
  command: { description: 'Command (see the list below)', category: 'general', keys: { normal: [':'] }, hint: 'cmd' },
  help: { description: 'Toggle this help', category: 'general', keys: { normal: ['?'], help: ['?'] }, hint: 'help' },
  back: { description: 'Clear the filter first, then go back', category: 'general', keys: { normal: ['esc'] } },
  quit: { description: 'Back, or quit from the inbox', category: 'general', keys: { normal: ['q'] }, hint: 'quit' },
  submit: {
    description: 'Apply the filter, run the command, send the reason; write and apply the preset; narrow and approve',
    category: 'dialogs',
    keys: { prompt: ['enter'], promote: ['enter'], edit: ['enter'] },
    hint: 'ok',
  },
  cancel: {
    description: 'Close without acting (a prompt, a dialog, the detail, the help)',
    category: 'dialogs',
    keys: {
      prompt: ['esc'],
      confirm: ['n', 'esc'],
      promote: ['esc'],
      edit: ['esc'],
      detail: ['esc', 'q', 'enter'],
      help: ['esc', 'q'],
    },
    hint: 'close',
  },
  confirm: { description: 'Yes: do what the dialog asks', category: 'dialogs', keys: { confirm: ['y'] }, hint: 'yes' },
  complete: {
    description: 'Complete the command or its argument',
    category: 'dialogs',
    keys: { prompt: ['tab'] },
    hint: 'complete',
    when: (s) => s.prompt?.kind === 'command',
  },
  deleteBack: {
    description: 'Delete the character before the cursor',
    category: 'dialogs',
    keys: { prompt: ['backspace'], promote: ['backspace'], edit: ['backspace'] },
  },
  deleteWord: {
    description: 'Delete the word before the cursor',
    category: 'dialogs',
    keys: { prompt: ['C-w'], promote: ['C-w'], edit: ['C-w'] },
  },
  clearField: { description: 'Clear the field', category: 'dialogs', keys: { prompt: ['C-u'], promote: ['C-u'], edit: ['C-u'] } },
  nextField: {
    description: 'Next field',
    category: 'dialogs',
    keys: { promote: ['tab', 'down'], edit: ['tab', 'down'] },
    hint: 'next field',
  },
  prevField: { description: 'Previous field', category: 'dialogs', keys: { promote: ['S-tab', 'up'], edit: ['S-tab', 'up'] } },
  nextChoice: {
    description: 'Next choice (access, binary scope)',
    category: 'dialogs',
    keys: { promote: ['space', 'right'] },
    hint: 'change',
    when: (s) => (s.promote?.focus ?? 0) >= 2,
  },
  prevChoice: {
    description: 'Previous choice',
    category: 'dialogs',
    keys: { promote: ['left'] },
    when: (s) => (s.promote?.focus ?? 0) >= 2,
  },
} as const satisfies Record<CommandId, CommandSpec>;

const SPECS: Record<CommandId, CommandSpec> = COMMANDS;
export const COMMAND_IDS = Object.keys(COMMANDS) as CommandId[];

export const specOf = (id: CommandId): CommandSpec => SPECS[id];

export function hasNeed(capabilities: GatewayCapabilities, need: Need | undefined): boolean {
  if (need === undefined) return true;
  return need === 'lifetimes' ? capabilities.lifetimes.length > 0 : capabilities[need];
}

/** Whether a command is live in this mode, on this screen, in this state (capabilities aside). */
export function liveIn(id: CommandId, mode: Mode, state: ConsoleUiState): boolean {
  const spec = SPECS[id];
  if (!spec.keys[mode]) return false;
  if (spec.screens && (mode === 'normal' || mode === 'detail') && !spec.screens.includes(state.screen)) return false;
  return spec.when ? spec.when(state) : true;
}

/** The command a key runs in this mode and state, if any (the first binding in table order wins). */
export function commandFor(key: KeyPress, mode: Mode, state: ConsoleUiState): CommandId | undefined {
  for (const id of COMMAND_IDS) {
    if (!liveIn(id, mode, state)) continue;
    if (SPECS[id].keys[mode]!.some((spec) => keyMatches(spec, key))) return id;
  }
  return undefined;
}

/** Every key of a command in a mode, as shown to people ("r x", "S-Tab ↑"). */
export const labelsOf = (id: CommandId, mode: Mode): string[] => (SPECS[id].keys[mode] ?? []).map(keyLabel);
