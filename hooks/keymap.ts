// Every key the console understands, as data: the dispatcher matches against it, and the nav bar and the
// help overlay are generated from it, so what is shown never drifts from what works.
import type { Key } from 'ink';

export type Screen = 'inbox' | 'dashboard' | 'sandbox' | 'logs';
export const SCREENS: Screen[] = ['inbox', 'dashboard', 'sandbox', 'logs'];

export type CommandId =
  | 'approve'
  | 'reject'
  | 'rejectWithReason'
  | 'approveAll'
  | 'undo'
  | 'promote'
  | 'cycleLifetime'
  | 'detail'
  | 'filter'
  | 'command'
  | 'help'
  | 'nextScreen'
  | 'prevScreen'
  | 'gotoInbox'
  | 'gotoDashboard'
  | 'gotoSandbox'
  | 'gotoLogs'
  | 'down'
  | 'up'
  | 'top'
  | 'bottom'
  | 'pageDown'
  | 'pageUp'
  | 'follow'
  | 'back'
  | 'quit';

interface KeySpec {
  input?: string;
  special?: 'upArrow' | 'downArrow' | 'return' | 'escape' | 'tab' | 'pageUp' | 'pageDown';
  shift?: boolean;
  ctrl?: boolean;
}

export interface Binding {
  id: CommandId;
  /** How the keys are written in hints and help. */
  label: string;
  keys: KeySpec[];
  description: string;
  /** Screens where it works; undefined = everywhere. */
  screens?: Screen[];
  /** Shown in the nav bar (the rest only in help). */
  hint?: string;
}

export const KEYMAP: Binding[] = [
  {
    id: 'approve',
    label: 'a',
    keys: [{ input: 'a' }],
    description: 'Approve the selected request (current lifetime)',
    screens: ['inbox'],
    hint: 'approve',
  },
  {
    id: 'reject',
    label: 'r x',
    keys: [{ input: 'r' }, { input: 'x' }],
    description: 'Reject the selected request',
    screens: ['inbox'],
    hint: 'reject',
  },
  {
    id: 'rejectWithReason',
    label: 'R',
    keys: [{ input: 'R' }],
    description: 'Reject with a reason (shown to the agent)',
    screens: ['inbox'],
  },
  {
    id: 'approveAll',
    label: 'A',
    keys: [{ input: 'A' }],
    description: 'Approve all visible pending requests (asks first)',
    screens: ['inbox'],
    hint: 'all',
  },
  {
    id: 'undo',
    label: 'u',
    keys: [{ input: 'u' }],
    description: 'Undo the decision on the selected request',
    screens: ['inbox'],
    hint: 'undo',
  },
  {
    id: 'promote',
    label: 'p',
    keys: [{ input: 'p' }],
    description: 'Promote the selected request to a persisted preset',
    screens: ['inbox'],
    hint: 'promote',
  },
  {
    id: 'cycleLifetime',
    label: 't',
    keys: [{ input: 't' }],
    description: 'Cycle the approval lifetime: session, once, 10m',
    screens: ['inbox'],
    hint: 'lifetime',
  },
  {
    id: 'detail',
    label: 'Enter',
    keys: [{ special: 'return' }],
    description: 'Show every detail of the selection (dashboard: open the sandbox)',
    screens: ['inbox', 'logs', 'dashboard'],
    hint: 'detail',
  },
  {
    id: 'filter',
    label: '/',
    keys: [{ input: '/' }],
    description: 'Filter (host, binary, status; logs: text)',
    screens: ['inbox', 'logs'],
    hint: 'filter',
  },
  { id: 'follow', label: 'f G', keys: [{ input: 'f' }], description: 'Resume following new log lines', screens: ['logs'], hint: 'follow' },
  { id: 'down', label: 'j ↓', keys: [{ input: 'j' }, { special: 'downArrow' }], description: 'Move down' },
  { id: 'up', label: 'k ↑', keys: [{ input: 'k' }, { special: 'upArrow' }], description: 'Move up' },
  { id: 'top', label: 'g', keys: [{ input: 'g' }], description: 'Go to the top' },
  { id: 'bottom', label: 'G', keys: [{ input: 'G' }], description: 'Go to the bottom (logs: follow)' },
  { id: 'pageDown', label: 'PgDn', keys: [{ special: 'pageDown' }], description: 'Page down' },
  { id: 'pageUp', label: 'PgUp', keys: [{ special: 'pageUp' }], description: 'Page up' },
  { id: 'nextScreen', label: 'Tab', keys: [{ special: 'tab' }], description: 'Next screen' },
  { id: 'prevScreen', label: 'S-Tab', keys: [{ special: 'tab', shift: true }], description: 'Previous screen' },
  { id: 'gotoInbox', label: '1', keys: [{ input: '1' }], description: 'Inbox' },
  { id: 'gotoDashboard', label: '2', keys: [{ input: '2' }], description: 'Dashboard' },
  { id: 'gotoSandbox', label: '3', keys: [{ input: '3' }], description: 'Sandbox: effective policy and revisions' },
  { id: 'gotoLogs', label: '4', keys: [{ input: '4' }], description: 'Logs' },
  {
    id: 'command',
    label: ':',
    keys: [{ input: ':' }],
    description: 'Command (:q, :approve ID, :reject ID, :preset add NAME, :tier balanced, :rev N, :theme light)',
    hint: 'cmd',
  },
  { id: 'help', label: '?', keys: [{ input: '?' }], description: 'Toggle this help', hint: 'help' },
  { id: 'back', label: 'Esc', keys: [{ special: 'escape' }], description: 'Clear the filter first, then go back' },
  { id: 'quit', label: 'q', keys: [{ input: 'q' }], description: 'Back, or quit from the inbox', hint: 'quit' },
];

export function matches(spec: KeySpec, input: string, key: Key): boolean {
  if (spec.special) {
    if (!key[spec.special]) return false;
    return spec.special === 'tab' ? Boolean(spec.shift) === Boolean(key.shift) : true;
  }
  if (spec.ctrl && !key.ctrl) return false;
  return input === spec.input && !key.ctrl && !key.meta;
}

export function commandFor(screen: Screen, input: string, key: Key): CommandId | undefined {
  for (const binding of KEYMAP) {
    if (binding.screens && !binding.screens.includes(screen)) continue;
    if (binding.keys.some((k) => matches(k, input, key))) return binding.id;
  }
  return undefined;
}

/** Nav-bar hints for a screen (minus commands this gateway lacks): help and quit first, so a narrow terminal still shows the way out. */
export function hintsFor(screen: Screen, unavailable: readonly CommandId[] = []): Array<{ keys: string; label: string }> {
  const first: CommandId[] = ['help', 'quit'];
  const shown = KEYMAP.filter((b) => b.hint && (!b.screens || b.screens.includes(screen)) && !unavailable.includes(b.id));
  shown.sort((a, b) => Number(first.includes(b.id)) - Number(first.includes(a.id)));
  return shown.map((b) => ({ keys: b.label.split(' ')[0], label: b.hint! }));
}

export function helpFor(screen: Screen): Array<{ keys: string; description: string }> {
  return KEYMAP.filter((b) => !b.screens || b.screens.includes(screen)).map((b) => ({ keys: b.label, description: b.description }));
}
