// The keymap is the single source of the nav bar and the help; themes honour NO_COLOR.
import { describe, expect, it } from 'vitest';
import type { Key } from 'ink';
import { resolveTheme } from '../../components/theme.js';
import { commandFor, helpFor, hintsFor, KEYMAP, SCREENS } from '../../hooks/keymap.js';

const key = (over: Partial<Key> = {}): Key =>
  ({
    upArrow: false,
    downArrow: false,
    leftArrow: false,
    rightArrow: false,
    pageDown: false,
    pageUp: false,
    return: false,
    escape: false,
    ctrl: false,
    shift: false,
    tab: false,
    backspace: false,
    delete: false,
    meta: false,
    ...over,
  }) as Key;

describe('keymap', () => {
  it('every screen shows help and quit first in its hints, and help lists every binding that works there', () => {
    for (const screen of SCREENS) {
      const hints = hintsFor(screen);
      expect(hints.slice(0, 2).map((h) => h.label)).toEqual(['help', 'quit']);
      const help = helpFor(screen).map((h) => h.description);
      for (const b of KEYMAP.filter((b) => !b.screens || b.screens.includes(screen))) expect(help).toContain(b.description);
    }
  });
  it('keys resolve per screen: a approves only on the inbox; Shift-Tab is not Tab', () => {
    expect(commandFor('inbox', 'a', key())).toBe('approve');
    expect(commandFor('logs', 'a', key())).toBeUndefined();
    expect(commandFor('inbox', 'x', key())).toBe('reject');
    expect(commandFor('inbox', '', key({ tab: true }))).toBe('nextScreen');
    expect(commandFor('inbox', '', key({ tab: true, shift: true }))).toBe('prevScreen');
    expect(commandFor('inbox', 'a', key({ ctrl: true }))).toBeUndefined();
  });
  it('no key is bound twice on the same screen', () => {
    for (const screen of SCREENS) {
      const seen = new Set<string>();
      for (const b of KEYMAP.filter((b) => !b.screens || b.screens.includes(screen))) {
        for (const k of b.keys) {
          const id = JSON.stringify(k);
          expect(seen.has(id), `${id} twice on ${screen}`).toBe(false);
          seen.add(id);
        }
      }
    }
  });
});

describe('themes', () => {
  it('NO_COLOR removes every colour', () => {
    expect(resolveTheme('dark', { NO_COLOR: '1' })).toEqual({});
  });
  it('light, dark and auto (COLORFGBG) pick semantic palettes', () => {
    expect(resolveTheme('light', {}).accent).toBe('blue');
    expect(resolveTheme('dark', {}).accent).toBe('cyan');
    expect(resolveTheme(undefined, { OPENSHELL_TERM_THEME: 'light' }).accent).toBe('blue');
    expect(resolveTheme(undefined, { COLORFGBG: '0;15' }).accent).toBe('blue');
    expect(resolveTheme(undefined, { COLORFGBG: '15;0' }).accent).toBe('cyan');
  });
});
