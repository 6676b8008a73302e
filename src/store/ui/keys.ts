// Keys as values: what the terminal sent, turned into one KeyPress per key, and the spellings bindings are
// written in ("a", "S-tab", "C-u", "enter"). Ink hands over whatever arrived together as one input
// ("jj", three Backspaces, ":q\r" typed fast); every key in it counts, in order.

/** Keys that are not a printable character. */
export const SPECIAL_KEYS = [
  'enter',
  'esc',
  'tab',
  'backspace',
  'delete',
  'up',
  'down',
  'left',
  'right',
  'pageup',
  'pagedown',
  'home',
  'end',
  'space',
] as const;
export type SpecialKey = (typeof SPECIAL_KEYS)[number];

export interface KeyPress {
  /** A special key's name, or the one printable character typed. */
  name: SpecialKey | string;
  ctrl?: boolean;
  meta?: boolean;
  /** Only for special keys: a printable character already says whether shift was held. */
  shift?: boolean;
}

/** The flags Ink passes with each input (structurally: the store does not depend on Ink). */
export interface TerminalKey {
  upArrow: boolean;
  downArrow: boolean;
  leftArrow: boolean;
  rightArrow: boolean;
  pageDown: boolean;
  pageUp: boolean;
  home?: boolean;
  end?: boolean;
  return: boolean;
  escape: boolean;
  ctrl: boolean;
  shift: boolean;
  tab: boolean;
  backspace: boolean;
  delete: boolean;
  meta: boolean;
}

const FLAG_NAMES: Array<[keyof TerminalKey, SpecialKey]> = [
  ['return', 'enter'],
  ['escape', 'esc'],
  ['tab', 'tab'],
  ['backspace', 'backspace'],
  // Most terminals send DEL (0x7f) for Backspace, which Ink reports as "delete": both erase backwards.
  ['delete', 'backspace'],
  ['upArrow', 'up'],
  ['downArrow', 'down'],
  ['leftArrow', 'left'],
  ['rightArrow', 'right'],
  ['pageUp', 'pageup'],
  ['pageDown', 'pagedown'],
  ['home', 'home'],
  ['end', 'end'],
];

/** One character of a burst as a key: control characters are the keys they stand for. */
function charKey(ch: string): KeyPress | undefined {
  if (ch === '\r' || ch === '\n') return { name: 'enter' };
  if (ch === '\t') return { name: 'tab' };
  if (ch === '\u007f' || ch === '\b') return { name: 'backspace' };
  if (ch === '\u001b') return { name: 'esc' };
  if (ch === ' ') return { name: 'space' };
  const code = ch.codePointAt(0)!;
  if (code >= 1 && code <= 26) return { name: String.fromCharCode(code + 96), ctrl: true };
  if (code < 0x20 || (code >= 0x80 && code < 0xa0)) return undefined; // other C0/C1 controls: not keys
  return { name: ch };
}

/** Everything one terminal input holds, one KeyPress per key, in the order they were typed. */
export function keysOf(input: string, key: TerminalKey): KeyPress[] {
  for (const [flag, name] of FLAG_NAMES) {
    if (key[flag]) return [{ name, ...(key.ctrl ? { ctrl: true } : {}), ...(key.shift ? { shift: true } : {}) }];
  }
  if (key.ctrl && input.length === 1) return [{ name: input.toLowerCase(), ctrl: true }];
  if (key.meta && input.length === 1) return [{ name: input, meta: true }];
  const out: KeyPress[] = [];
  for (const ch of input) {
    const k = charKey(ch);
    if (k) out.push(k);
  }
  return out;
}

/** The text a key types into a field, if it types any. */
export function textOf(key: KeyPress): string | undefined {
  if (key.ctrl || key.meta) return undefined;
  if (key.name === 'space') return ' ';
  return (SPECIAL_KEYS as readonly string[]).includes(key.name) ? undefined : key.name;
}

/** A binding's spelling: "a", "G", "?", "enter", "S-tab", "C-u". */
export type KeySpec = string;

export function parseKeySpec(spec: KeySpec): KeyPress {
  let rest = spec;
  const press: KeyPress = { name: '' };
  for (;;) {
    if (rest.length > 2 && rest.startsWith('C-')) (press.ctrl = true), (rest = rest.slice(2));
    else if (rest.length > 2 && rest.startsWith('M-')) (press.meta = true), (rest = rest.slice(2));
    else if (rest.length > 2 && rest.startsWith('S-')) (press.shift = true), (rest = rest.slice(2));
    else break;
  }
  const special = (SPECIAL_KEYS as readonly string[]).includes(rest);
  if (!special && [...rest].length !== 1) throw new Error(`bad key spec '${spec}': one character or one of ${SPECIAL_KEYS.join(', ')}`);
  if (press.shift && !special) throw new Error(`bad key spec '${spec}': write the shifted character itself`);
  press.name = rest;
  return press;
}

const parsed = new Map<KeySpec, KeyPress>();

export function keyMatches(spec: KeySpec, key: KeyPress): boolean {
  let want = parsed.get(spec);
  if (!want) parsed.set(spec, (want = parseKeySpec(spec)));
  if (want.name !== key.name || Boolean(want.ctrl) !== Boolean(key.ctrl) || Boolean(want.meta) !== Boolean(key.meta)) return false;
  const special = (SPECIAL_KEYS as readonly string[]).includes(key.name);
  return !special || Boolean(want.shift) === Boolean(key.shift);
}

const LABELS: Record<SpecialKey, string> = {
  enter: 'Enter',
  esc: 'Esc',
  tab: 'Tab',
  backspace: 'Bksp',
  delete: 'Del',
  up: '↑',
  down: '↓',
  left: '←',
  right: '→',
  pageup: 'PgUp',
  pagedown: 'PgDn',
  home: 'Home',
  end: 'End',
  space: 'Space',
};

/** How a binding is shown in the nav bar, the help and the README: generated, so it cannot drift. */
export function keyLabel(spec: KeySpec): string {
  const k = parseKeySpec(spec);
  const base = LABELS[k.name as SpecialKey] ?? k.name;
  return `${k.ctrl ? 'C-' : ''}${k.meta ? 'M-' : ''}${k.shift ? 'S-' : ''}${base}`;
}
